import type { EpochMs } from '../src/domain/types.js';
import type { Clock } from '../src/ports/Clock.js';

interface Timer {
  readonly at: EpochMs;
  readonly order: number;
  readonly fire: () => void;
}

/**
 * Simulated time for one schedule: `sleep` and `at` register timers; `step()` fires every timer due at the earliest
 * time, in the order they were registered, then lets every promise continuation run (one macrotask turn drains the
 * microtask queue). Nothing here reads the wall clock or starts a real timer, so one schedule gives one trace.
 *
 * @example
 * const clock = new VirtualClock(0);
 * clock.at(5_000, () => console.log('five seconds'));
 * while (await clock.step(60_000)) { check(); }
 */
export class VirtualClock implements Clock {
  private current: EpochMs;
  private timers: Timer[] = [];
  private nextOrder = 0;

  constructor(start: EpochMs) {
    this.current = start;
  }

  now(): EpochMs {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.current + Math.max(0, ms), resolve));
  }

  /** Runs `fire` at `at` (not before now). */
  at(at: EpochMs, fire: () => void): void {
    const timer: Timer = { at: Math.max(at, this.current), order: this.nextOrder++, fire };
    // Timers are kept sorted by (at, order); most are added near the end, so search from there.
    let index = this.timers.length;
    while (index > 0 && this.timers[index - 1]!.at > timer.at) index -= 1;
    this.timers.splice(index, 0, timer);
  }

  /** Fires the timers due at the next time, if that is not after `until`; false when nothing is left to do by then. */
  async step(until: EpochMs): Promise<boolean> {
    await settle();
    const first = this.timers[0];
    if (first === undefined || first.at > until) return false;
    this.current = first.at;
    let count = 0;
    while (count < this.timers.length && this.timers[count]!.at === first.at) count += 1;
    const due = this.timers.splice(0, count);
    for (const timer of due) timer.fire();
    await settle();
    return true;
  }

  /** Moves time to `to` once nothing is due before it. */
  jumpTo(to: EpochMs): void {
    if (to > this.current) this.current = to;
  }

  get pending(): number {
    return this.timers.length;
  }
}

/** One macrotask turn: every queued promise continuation (and those it queues) runs before it ends. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

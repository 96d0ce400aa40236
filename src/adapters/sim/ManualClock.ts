import type { EpochMs } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';

interface Sleeper {
  readonly wakeAt: EpochMs;
  readonly order: number;
  readonly wake: () => void;
}

/**
 * A clock that moves only when told: `advance(ms)` wakes sleepers in the order of their wake-up times,
 * setting `now()` to each one's time before waking it, so code that sleeps in a loop sees every step.
 *
 * @example
 * const clock = new ManualClock(0);
 * const done = clock.sleep(1_000);
 * await clock.advance(1_000); // `done` resolves with now() === 1_000
 */
export class ManualClock implements Clock {
  private current: EpochMs;
  private sleepers: Sleeper[] = [];
  private nextOrder = 0;

  constructor(start: EpochMs = 0) {
    this.current = start;
  }

  now(): EpochMs {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.push({ wakeAt: this.current + ms, order: this.nextOrder++, wake: resolve });
    });
  }

  /** Moves time forward by `ms`, waking due sleepers one by one and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      this.sleepers = this.sleepers.filter((sleeper) => sleeper !== next);
      this.current = next.wakeAt;
      next.wake();
      await settle();
    }
    this.current = target;
  }

  /** Sleepers still waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  private nextDue(target: EpochMs): Sleeper | undefined {
    let earliest: Sleeper | undefined;
    for (const sleeper of this.sleepers) {
      if (sleeper.wakeAt > target) continue;
      if (earliest === undefined || sleeper.wakeAt < earliest.wakeAt || (sleeper.wakeAt === earliest.wakeAt && sleeper.order < earliest.order)) {
        earliest = sleeper;
      }
    }
    return earliest;
  }
}

/** Lets promise continuations (and the sleeps they start) run before time moves again. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

import { openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { EpochMs } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';

/**
 * Real milliseconds this thread has spent runnable but waiting for a CPU, from Linux's `/proc/thread-self/schedstat`
 * (second field, nanoseconds). Undefined where the kernel does not say (then no wait is compensated).
 */
export type CpuWaitMeter = () => number | undefined;

/** Real milliseconds the event loop has spent waiting for something to do (timers, I/O), cumulative. */
export type IdleMeter = () => number;

const SCHEDSTAT = '/proc/thread-self/schedstat';
/** The counter file, opened once and read again from its start: one `pread` (about a microsecond, not ten). */
let schedstatFd: number | undefined;
const schedstatBuffer = Buffer.alloc(128);

/** The kernel's count of how long the drill's thread waited in the run queue; undefined off Linux. */
export const schedstatCpuWait: CpuWaitMeter = () => {
  try {
    schedstatFd ??= openSync(SCHEDSTAT, 'r');
    const length = readSync(schedstatFd, schedstatBuffer, 0, schedstatBuffer.length, 0);
    const waitNs = Number(schedstatBuffer.toString('latin1', 0, length).split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
  } catch {
    return undefined;
  }
};

/** Node's count of the event loop's time in the poll phase with nothing to run (`eventLoopUtilization().idle`). */
export const eventLoopIdle: IdleMeter = () => performance.eventLoopUtilization().idle;

/**
 * The longest a single stall may stop the drill, in real milliseconds, before the run is not trusted: the clock stands
 * still through it, but the real-time parts of the run (sockets to DynamoDB Local and the health servers) may not.
 */
export const DEFAULT_MAX_STALL_MS = 5_000;
/** How often the clock looks at itself for a stall (real milliseconds). */
const WATCH_INTERVAL_MS = 10;
/** Real time after the watch's last look that still counts as running: a look later than this means a stall. */
const STALL_ALLOWANCE_MS = 2 * WATCH_INTERVAL_MS;

/** What the clock saw of the machine: how long it stood still for it, and its worst stalls. */
export interface Starvation {
  /** Real milliseconds the thread waited for a CPU while the clock was running; the clock stood still for them. */
  readonly cpuWaitMs: number;
  /** Real milliseconds the event loop was stopped beyond the watch's allowance (CPU waits, garbage collection). */
  readonly stalledMs: number;
  /** The longest single stop of the event loop, in real milliseconds. */
  readonly longestStallMs: number;
  /** Stalls longer than `maxStallMs`: when (simulated), and how long (real). */
  readonly stalls: readonly { readonly at: EpochMs; readonly realMs: number }[];
  /** False when the kernel does not report CPU waits (not Linux): only the event-loop watch compensates. */
  readonly measured: boolean;
}

/**
 * The local drill's clock: compressed time (`now()` runs `factor` times faster than real time), except that it
 * **stands still while the control plane waits for storage or HTTP probes** (`hold`) **and while the drill waits for
 * the machine**: the kernel's count of the thread's run-queue wait, any stop of the event loop longer than its
 * watch allows (a look every 10 ms), and the event loop's sleep past a sleeper's time. DynamoDB Local answers in milliseconds of real time, which a plain compressed clock
 * multiplies into seconds of simulated time; a busy machine that keeps the drill off the CPU for 100 ms would move a
 * ×100 clock by 10 s, and timeouts, lease expiries and probe schedules would then see time the control plane never had.
 * `sleep` waits until `now()` has moved by `ms`, so a sleeper never wakes early; and while the event loop sleeps, the
 * clock does not pass the earliest sleeper's time (a timer fires up to a real millisecond late, and a machine that
 * runs other work can wake the drill many milliseconds late, which its run-queue count does not show: ×100 makes each
 * of those milliseconds 100 simulated ones), so a sleeper wakes on its simulated time, not a timer's lateness after.
 * What the drill's own code runs still moves the clock, sleepers due or not: its CPU is the control plane's time.
 *
 * `starvation()` says what the machine did; a stall longer than `maxStallMs` of real time is named there, so that
 * the run is reported as not trusted instead of turned into a verdict.
 *
 * @example
 * const clock = new DrillClock({ factor: 100 });
 * await clock.hold(() => stores.stateStore.load('orders')); // no simulated time passes during the call
 * await clock.sleep(5_000);                                 // about 50 ms of real time
 * clock.stop();                                             // ends the stall watch
 */
export class DrillClock implements Clock {
  readonly factor: number;
  private readonly start: EpochMs;
  private readonly cpuWait: CpuWaitMeter;
  private readonly cpuWaitStart: number | undefined;
  private readonly idle: IdleMeter;
  private readonly maxStallMs: number;
  private held = 0;
  /** Simulated milliseconds since `start`. */
  private simulatedMs = 0;
  private lastReal: number;
  private lastWait: number;
  private lastIdle: number;
  private lastLook: number;
  /** Each pending sleeper's time, in simulated milliseconds since `start`. */
  private readonly sleepers = new Map<object, number>();
  private waitedMs = 0;
  private stalledMs = 0;
  private longestStall = 0;
  private readonly stalls: { at: EpochMs; realMs: number }[] = [];
  private readonly watch: NodeJS.Timeout | undefined;

  constructor(options: {
    factor: number;
    start?: EpochMs;
    cpuWait?: CpuWaitMeter;
    /** Default: the event loop's own count (`eventLoopIdle`). */
    idle?: IdleMeter;
    maxStallMs?: number;
    watch?: boolean;
  }) {
    if (!(options.factor >= 1)) throw new RangeError(`factor must be at least 1 (got ${options.factor})`);
    this.factor = options.factor;
    this.start = options.start ?? Date.now();
    this.cpuWait = options.cpuWait ?? schedstatCpuWait;
    this.maxStallMs = options.maxStallMs ?? DEFAULT_MAX_STALL_MS;
    this.cpuWaitStart = this.cpuWait();
    this.lastWait = this.cpuWaitStart ?? 0;
    this.idle = options.idle ?? eventLoopIdle;
    this.lastIdle = this.idle();
    this.lastReal = performance.now();
    this.lastLook = options.watch === false ? Number.POSITIVE_INFINITY : this.lastReal;
    if (options.watch !== false) {
      this.watch = setInterval(() => this.look(), WATCH_INTERVAL_MS);
      this.watch.unref();
    }
  }

  now(): EpochMs {
    this.sample();
    return Math.round(this.start + this.simulatedMs);
  }

  async sleep(ms: number): Promise<void> {
    const until = this.now() + Math.max(0, ms);
    if (until <= this.now()) return;
    // While the sleeper is pending, the event loop's sleep does not move the clock past `until` (see `sample`): the
    // timer may fire late, or early (libuv counts whole milliseconds from the loop's cached time), never both.
    const sleeper = {};
    this.sleepers.set(sleeper, until - this.start);
    try {
      for (let left = until - this.now(); left > 0; left = until - this.now()) {
        await new Promise((resolve) => setTimeout(resolve, left / this.factor));
      }
    } finally {
      this.sleepers.delete(sleeper);
    }
  }

  /** Runs `work` with the clock standing still (nested and concurrent holds are fine). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.held === 0) this.sample();
    this.held += 1;
    try {
      return await work();
    } finally {
      if (this.held === 1) this.sample();
      this.held -= 1;
    }
  }

  /**
   * `port` with every method call made under `hold`: the clock stands still until the call settles.
   *
   * @example
   * const stateStore = clock.holding(stores.stateStore);
   */
  holding<T extends object>(port: T): T {
    return new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => this.hold(() => (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
  }

  /** What the machine did to the run so far. */
  starvation(): Starvation {
    this.sample();
    return {
      cpuWaitMs: Math.round(this.waitedMs),
      stalledMs: Math.round(this.stalledMs),
      longestStallMs: Math.round(this.longestStall),
      stalls: [...this.stalls],
      measured: this.cpuWaitStart !== undefined,
    };
  }

  /** Ends the stall watch (the clock still tells the time, compensating CPU waits only). */
  stop(): void {
    if (this.watch !== undefined) clearInterval(this.watch);
    this.lastLook = Number.POSITIVE_INFINITY;
  }

  /**
   * Moves simulated time by the real time since the last sample that the drill really ran: not held, not waiting
   * for a CPU, not the clock's own sampling, not past the watch's allowance (the watch looks every 10 ms when the
   * event loop runs), and not the event loop's sleep past the earliest pending sleeper's time.
   */
  private sample(): void {
    const real = performance.now();
    const wait = this.cpuWait() ?? this.lastWait;
    const idle = this.idle();
    const elapsed = real - this.lastReal;
    const waited = Math.max(0, wait - this.lastWait);
    const withinWatch = Math.max(0, Math.min(real, this.lastLook + STALL_ALLOWANCE_MS) - this.lastReal);
    if (this.held === 0) {
      const ran = Math.max(0, Math.min(elapsed - waited, withinWatch));
      // What surely ran code: neither the loop's sleep nor a CPU wait (a wait may fall inside the sleep, when the
      // kernel wakes the thread and it queues for a CPU, so this is a lower bound). It moves the clock past a sleeper's
      // time; the loop's sleep moves it only up to that time.
      const busy = Math.max(0, Math.min(ran, elapsed - waited - Math.max(0, idle - this.lastIdle)));
      const untilWake = this.earliestWake() - this.simulatedMs;
      const moved = Math.max(Math.min(ran * this.factor, Math.max(0, untilWake)), busy * this.factor);
      this.simulatedMs += moved;
      this.waitedMs += Math.min(waited, elapsed);
      this.stalledMs += Math.max(0, elapsed - waited - withinWatch);
    }
    // The clock's own look at the counters is not time the drill ran: the next sample starts after it.
    this.lastReal = performance.now();
    this.lastWait = wait;
    this.lastIdle = this.idle();
  }

  /** The earliest pending sleeper's time (simulated milliseconds since `start`); infinity when none sleeps. */
  private earliestWake(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of this.sleepers.values()) if (at < earliest) earliest = at;
    return earliest;
  }

  /** One look of the watch: a look later than the allowance after the previous one was a stall. */
  private look(): void {
    const real = performance.now();
    const stall = real - this.lastLook - WATCH_INTERVAL_MS;
    this.sample();
    this.lastLook = real;
    if (stall > this.longestStall) this.longestStall = stall;
    if (stall > this.maxStallMs && this.stalls.length < 100) {
      this.stalls.push({ at: Math.round(this.start + this.simulatedMs), realMs: Math.round(stall) });
    }
  }
}

import type { EpochMs } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';

/**
 * The local drill's clock: compressed time (`now()` runs `factor` times faster than real time), except that it
 * **stands still while the control plane waits for storage or HTTP probes** (`hold`). DynamoDB Local
 * answers in milliseconds of real time, which a plain compressed clock multiplies into seconds of simulated time
 * (5 ms × 25 = 125 ms per call, a second or more per executor run on a loaded machine); holding the clock during
 * those calls keeps the simulated step timings what the simulated world says (promotion, DNS sync, API latency),
 * however slow the machine. `sleep` waits until `now()` has moved by `ms`, so a sleeper never wakes early.
 *
 * @example
 * const clock = new DrillClock({ factor: 100 });
 * await clock.hold(() => stores.stateStore.load('orders')); // no simulated time passes during the call
 * await clock.sleep(5_000);                                 // about 50 ms of real time
 */
export class DrillClock implements Clock {
  readonly factor: number;
  private readonly start: EpochMs;
  private readonly realStart: number;
  private held = 0;
  private heldSince = 0;
  private heldTotal = 0;

  constructor(options: { factor: number; start?: EpochMs }) {
    if (!(options.factor >= 1)) throw new RangeError(`factor must be at least 1 (got ${options.factor})`);
    this.factor = options.factor;
    this.start = options.start ?? Date.now();
    this.realStart = performance.now();
  }

  now(): EpochMs {
    const real = performance.now();
    const frozen = this.heldTotal + (this.held > 0 ? real - this.heldSince : 0);
    return Math.round(this.start + (real - this.realStart - frozen) * this.factor);
  }

  async sleep(ms: number): Promise<void> {
    const until = this.now() + Math.max(0, ms);
    for (let left = until - this.now(); left > 0; left = until - this.now()) {
      await new Promise((resolve) => setTimeout(resolve, left / this.factor));
    }
  }

  /** Runs `work` with the clock standing still (nested and concurrent holds are fine). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.held === 0) this.heldSince = performance.now();
    this.held += 1;
    try {
      return await work();
    } finally {
      this.held -= 1;
      if (this.held === 0) this.heldTotal += performance.now() - this.heldSince;
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
}

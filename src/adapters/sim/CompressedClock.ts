import type { EpochMs } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';

/**
 * A drill clock: simulated time runs `factor` times faster than real time, so a five-minute failover
 * plays out in seconds while every component still reads one consistent clock.
 * `now()` = `start` + real time elapsed × `factor`; `sleep(ms)` waits `ms / factor` real milliseconds.
 *
 * @example
 * const clock = new CompressedClock({ factor: 50 });
 * await clock.sleep(10_000); // about 200 ms of real time
 */
export class CompressedClock implements Clock {
  readonly factor: number;
  private readonly start: EpochMs;
  private readonly realStart: number;

  constructor(options: { factor: number; start?: EpochMs }) {
    if (!(options.factor >= 1)) throw new RangeError(`factor must be at least 1 (got ${options.factor})`);
    this.factor = options.factor;
    this.start = options.start ?? Date.now();
    this.realStart = performance.now();
  }

  now(): EpochMs {
    return Math.round(this.start + (performance.now() - this.realStart) * this.factor);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) / this.factor));
  }
}

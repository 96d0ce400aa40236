import type { EpochMs } from '../domain/types.js';

/**
 * Time, injectable: the real clock, a compressed drill clock, or a manual test clock.
 *
 * @example
 * const deadline = clock.now() + 30_000;
 * while (clock.now() < deadline) await clock.sleep(1_000); // a drill clock at ×100 waits 10 ms of real time
 */
export interface Clock {
  now(): EpochMs;
  /** Waits `ms` of this clock's time (a compressed clock waits less real time). */
  sleep(ms: number): Promise<void>;
}

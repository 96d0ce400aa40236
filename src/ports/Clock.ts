import type { EpochMs } from '../domain/types.js';

/** Time, injectable: the real clock, a compressed drill clock, or a manual test clock. */
export interface Clock {
  now(): EpochMs;
  /** Waits `ms` of this clock's time (a compressed clock waits less real time). */
  sleep(ms: number): Promise<void>;
}

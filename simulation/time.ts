import type { EpochMs } from '../src/domain/types.js';

/** Simulated time zero: a fixed date, so traces and failover ids never depend on when the run happened. */
export const SIM_START = Date.UTC(2026, 0, 1, 0, 0, 0);

/** `T+mm:ss.mmm` from the start of the simulation. */
export function formatTime(at: EpochMs): string {
  const ms = at - SIM_START;
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0');
  return `T+${String(minutes).padStart(2, '0')}:${seconds}`;
}

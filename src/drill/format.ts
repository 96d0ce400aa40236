/**
 * A duration for people: `850 ms`, `32.0 s`, `2 min 04 s`, `5 min`.
 *
 * @example
 * formatDuration(124_000); // '2 min 04 s'
 * formatDuration(300_000); // '5 min'
 */
export function formatDuration(ms: number): string {
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const seconds = totalSeconds % 60;
  const minutes = `${Math.floor(totalSeconds / 60)} min`;
  return seconds === 0 ? minutes : `${minutes} ${String(seconds).padStart(2, '0')} s`;
}

export function formatSeconds(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

export function formatOffset(ms: number): string {
  return `T+${(ms / 1000).toFixed(1)}s`;
}

/**
 * A moment as UTC wall-clock time to the tenth of a second, for next to a T+ offset.
 *
 * @example
 * formatUtc(Date.UTC(2026, 10, 30, 13, 5, 9, 450)); // '13:05:09.4Z'
 */
export function formatUtc(at: number): string {
  return `${new Date(at).toISOString().slice(11, 21)}Z`;
}

/**
 * A moment as a full UTC timestamp, for a header.
 *
 * @example
 * formatUtcDate(Date.UTC(2026, 10, 30, 13, 5, 9)); // '2026-11-30 13:05:09 UTC'
 */
export function formatUtcDate(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

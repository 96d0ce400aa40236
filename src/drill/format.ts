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

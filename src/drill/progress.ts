import type { EpochMs, LoggedEvent } from '../domain/types.js';
import type { Scenario } from './scenarios/types.js';

/** Live output: what the drill did, each logged event (state changes, step results) with its simulated time. */
export type DrillProgress = ProgressWithoutTime & {
  /** The simulated moment, as a date (printed in UTC next to the T+ offset `atMs`). */
  readonly at: EpochMs;
};

export type ProgressWithoutTime =
  | { readonly kind: 'started'; readonly atMs: 0; readonly scenario: Scenario; readonly groupId: string; readonly factor: number }
  | { readonly kind: 'action'; readonly atMs: number; readonly description: string }
  | { readonly kind: 'event'; readonly atMs: number; readonly event: LoggedEvent }
  | { readonly kind: 'finished'; readonly atMs: number; readonly state: string; readonly realMs: number };

/**
 * Stamps progress with its moment (T+0 is `origin()`) and hands it to the listener, if there is one.
 *
 * @example
 * const emit = progressEmitter(options.onProgress, () => startedAt);
 * emit({ kind: 'action', atMs: 1_200, description: 'fault injected: region-outage eu-west-1' });
 */
export function progressEmitter(
  listener: ((progress: DrillProgress) => void) | undefined,
  origin: () => EpochMs,
): (progress: ProgressWithoutTime) => void {
  return (progress) => listener?.({ ...progress, at: origin() + progress.atMs });
}

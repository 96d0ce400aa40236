import { FAILOVER_STEPS } from './types.js';
import type { EpochMs, FailoverStep, FailoverTimestamps } from './types.js';

/** The step timeouts of `policy.stepTimeouts` a phase is bounded by. */
export type PhaseTimeoutKey =
  | 'fencingSeconds'
  | 'drainingSeconds'
  | 'promotionSeconds'
  | 'trafficSwitchSeconds'
  | 'dnsSyncSeconds'
  | 'verificationSeconds';

export type PhaseName =
  | 'decision'
  | 'approval'
  | 'fencing'
  | 'draining'
  | 'promotion request'
  | 'promotion'
  | 'traffic switch'
  | 'DNS sync'
  | 'verification';

export interface PhaseDefinition {
  /** In words, as `fcp history` and the drill report print it. */
  readonly name: PhaseName;
  /** The same phase as a metric dimension value (`FailoverPhaseDuration`, `phase`). */
  readonly metric: string;
  /** The timestamp that ends the phase; it starts at the previous timestamp the failover recorded. */
  readonly endsAt: keyof FailoverTimestamps;
  readonly timeout?: PhaseTimeoutKey;
}

/**
 * The phases of a failover in the order the machine stamps their ending timestamps. In approval mode the decision
 * (the proposal) comes before the approval: the machine stamps `decidedAt` when it proposes, `approvedAt` when an
 * operator approves.
 */
export const FAILOVER_PHASES: readonly PhaseDefinition[] = [
  { name: 'decision', metric: 'detection', endsAt: 'decidedAt' },
  { name: 'approval', metric: 'approval', endsAt: 'approvedAt' },
  { name: 'fencing', metric: 'fencing', endsAt: 'fencedAt', timeout: 'fencingSeconds' },
  { name: 'draining', metric: 'draining', endsAt: 'drainedAt', timeout: 'drainingSeconds' },
  { name: 'promotion request', metric: 'promotionRequest', endsAt: 'promotionStartedAt', timeout: 'promotionSeconds' },
  { name: 'promotion', metric: 'promotion', endsAt: 'promotedAt', timeout: 'promotionSeconds' },
  { name: 'traffic switch', metric: 'trafficSwitch', endsAt: 'trafficSwitchedAt', timeout: 'trafficSwitchSeconds' },
  { name: 'DNS sync', metric: 'dnsSync', endsAt: 'dnsInSyncAt', timeout: 'dnsSyncSeconds' },
  { name: 'verification', metric: 'verification', endsAt: 'verifiedAt', timeout: 'verificationSeconds' },
];

export interface Phase {
  readonly definition: PhaseDefinition;
  readonly startedAt: EpochMs;
  readonly endedAt: EpochMs;
  readonly durationMs: number;
}

/** Where a failover's recovery window starts: detection, or the decision when no detection time is known. */
export function windowStartKey(timestamps: FailoverTimestamps): 'detectedAt' | 'decidedAt' {
  return timestamps.detectedAt === undefined ? 'decidedAt' : 'detectedAt';
}

/**
 * A failover's phases: the window from detection (or decision) cut at each phase's ending timestamp, in the order of
 * `FAILOVER_PHASES`. Phases never overlap and leave no gap, so their durations sum to the time from the start to the
 * last timestamp; a phase the failover skipped is absent; a timestamp out of order gives a zero-length phase rather
 * than a negative one. Timestamps after `until` (the end of the window, when known) are left out.
 *
 * @example
 * failoverPhases(record.timestamps).map((phase) => `${phase.definition.name} ${phase.durationMs} ms`);
 * // ['decision 400 ms', 'approval 70000 ms', 'fencing 700 ms', ...]
 */
export function failoverPhases(timestamps: FailoverTimestamps, until?: EpochMs): Phase[] {
  const startKey = windowStartKey(timestamps);
  const start = timestamps[startKey];
  if (start === undefined) return [];
  const phases: Phase[] = [];
  let cursor = start;
  for (const definition of FAILOVER_PHASES) {
    const at = timestamps[definition.endsAt];
    if (definition.endsAt === startKey || at === undefined || (until !== undefined && at > until)) continue;
    const endedAt = Math.max(cursor, at);
    phases.push({ definition, startedAt: cursor, endedAt, durationMs: endedAt - cursor });
    cursor = endedAt;
  }
  return phases;
}

/** The first step after which the old primary may no longer be the writer: abort is refused from here on. */
export const POINT_OF_NO_RETURN: FailoverStep = 'promoting';

/**
 * True from the step after which the old primary may no longer be the writer (`POINT_OF_NO_RETURN`): an abort is
 * refused there, because the target may already accept writes.
 *
 * @example
 * pastPointOfNoReturn('fencing');   // false
 * pastPointOfNoReturn('promoting'); // true
 */
export function pastPointOfNoReturn(step: FailoverStep): boolean {
  return FAILOVER_STEPS.indexOf(step) >= FAILOVER_STEPS.indexOf(POINT_OF_NO_RETURN);
}

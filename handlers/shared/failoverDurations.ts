import type { FailoverRecord, FailoverTimestamps } from '../../src/domain/types.js';

/** A phase of a failover, measured between two of its timestamps. */
export interface PhaseDuration {
  readonly phase: string;
  readonly ms: number;
}

/** Each phase runs from the first timestamp present in `from` (in order) to `to`. */
const PHASES: readonly { phase: string; from: readonly (keyof FailoverTimestamps)[]; to: keyof FailoverTimestamps }[] = [
  { phase: 'detection', from: ['detectedAt'], to: 'decidedAt' },
  { phase: 'approval', from: ['decidedAt'], to: 'approvedAt' },
  { phase: 'fencing', from: ['approvedAt', 'decidedAt'], to: 'fencedAt' },
  { phase: 'draining', from: ['fencedAt'], to: 'drainedAt' },
  { phase: 'promotion', from: ['promotionStartedAt'], to: 'promotedAt' },
  { phase: 'trafficSwitch', from: ['promotedAt'], to: 'trafficSwitchedAt' },
  { phase: 'dnsSync', from: ['trafficSwitchedAt'], to: 'dnsInSyncAt' },
  { phase: 'verification', from: ['dnsInSyncAt'], to: 'verifiedAt' },
];

/**
 * The durations of a failover's phases, from the timestamps its record carries; a phase whose timestamps are missing
 * (no approval in automatic mode, no fencing when it was skipped) is left out.
 *
 * @example
 * phaseDurations(record); // [{ phase: 'detection', ms: 30000 }, { phase: 'promotion', ms: 412000 }, ...]
 */
export function phaseDurations(failover: FailoverRecord): PhaseDuration[] {
  const at = failover.timestamps;
  return PHASES.flatMap(({ phase, from, to }) => {
    const start = from.map((key) => at[key]).find((value) => value !== undefined);
    const end = at[to];
    return start === undefined || end === undefined ? [] : [{ phase, ms: end - start }];
  });
}

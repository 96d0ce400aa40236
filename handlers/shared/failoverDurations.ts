import { failoverPhases } from '../../src/domain/phases.js';
import type { FailoverRecord } from '../../src/domain/types.js';

/** A phase of a failover, measured between two of its timestamps. */
export interface PhaseDuration {
  readonly phase: string;
  readonly ms: number;
}

/**
 * The durations of a failover's phases as metric dimensions: the phase table of src/domain/phases.ts, under each
 * phase's metric name. A phase the failover skipped (no approval in automatic mode) is left out.
 *
 * @example
 * phaseDurations(record); // [{ phase: 'detection', ms: 30000 }, { phase: 'promotion', ms: 412000 }, ...]
 */
export function phaseDurations(failover: FailoverRecord): PhaseDuration[] {
  return failoverPhases(failover.timestamps).map((phase) => ({ phase: phase.definition.metric, ms: phase.durationMs }));
}

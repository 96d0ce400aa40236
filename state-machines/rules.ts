import type { FailoverRecord, FailoverStep, FailoverTimestamps, FailoverTrigger, RegionName } from '../src/domain/types.js';
import { FAILOVER_STEPS, POINT_OF_NO_RETURN } from '../src/domain/types.js';
import type { BlockReason, FailoverContext } from './types.js';

/** The primary is confirmed down and this incident was not already rejected or aborted by an operator. */
export function isNewIncident(context: FailoverContext): boolean {
  const { assessment } = context;
  if (assessment === undefined || assessment.primaryVerdict !== 'unhealthy') return false;
  // After a failover the last assessment still describes the old primary until fresh health arrives.
  if (assessment.primaryRegion !== context.primaryRegion) return false;
  return context.dismissedIncident !== assessment.primaryVerdictSince;
}

/** Why an automatic failover may not start now, or undefined when it may. */
export function blockReasonNow(context: FailoverContext): { reason: BlockReason; detail: string } | undefined {
  const { assessment, settings } = context;
  if (settings.mode === 'manual') {
    return { reason: 'manual-mode', detail: 'the group is in manual mode: an operator decides (fcp failover)' };
  }
  if (context.lastCompletedFailoverAt !== undefined && context.now < context.lastCompletedFailoverAt + settings.cooldownMs) {
    const until = new Date(context.lastCompletedFailoverAt + settings.cooldownMs).toISOString();
    return { reason: 'cooldown', detail: `the last failover completed less than the cooldown ago; automatic failover resumes at ${until}` };
  }
  if (assessment !== undefined && assessment.candidate === undefined) {
    const why = assessment.ineligible.map(({ region, reason }) => `${region}: ${reason}`).join('; ');
    return { reason: assessment.noCandidateReason ?? 'no-eligible-replica', detail: why || 'no replica region configured' };
  }
  return undefined;
}

function stepIndex(step: FailoverStep): number {
  return FAILOVER_STEPS.indexOf(step);
}

/** Abort is allowed only before the promotion step: after it the old primary may no longer be the writer. */
export function canAbortFrom(context: FailoverContext): boolean {
  const step = context.stalled?.step ?? context.step?.name;
  return step !== undefined && stepIndex(step) < stepIndex(POINT_OF_NO_RETURN);
}

export function stepTimedOut(context: FailoverContext): boolean {
  const { step } = context;
  if (step === undefined) return false;
  return context.now - step.startedAt >= context.settings.stepTimeoutsMs[step.name];
}

export function newFailover(
  context: FailoverContext,
  init: {
    id: string;
    trigger: FailoverTrigger;
    reason: string;
    to: RegionName;
    planned: boolean;
    allowDataLoss: boolean;
    detectedAt: number;
  },
): FailoverRecord {
  return {
    id: init.id,
    groupId: context.groupId,
    trigger: init.trigger,
    reason: init.reason,
    from: context.primaryRegion,
    to: init.to,
    planned: init.planned,
    allowDataLoss: init.allowDataLoss,
    outcome: 'in-progress',
    timestamps: { detectedAt: init.detectedAt },
  };
}

export function stampFailover(
  failover: FailoverRecord | undefined,
  stamps: Partial<FailoverTimestamps>,
): FailoverRecord | undefined {
  return failover && { ...failover, timestamps: { ...failover.timestamps, ...stamps } };
}

/** RTO runs from detection (automatic) or the operator's request to the end of verification. */
export function completeFailover(failover: FailoverRecord, at: number): FailoverRecord {
  const timestamps = { ...failover.timestamps, verifiedAt: at, completedAt: at };
  const start = timestamps.detectedAt ?? timestamps.decidedAt ?? at;
  return { ...failover, outcome: 'completed', timestamps, rtoMs: at - start };
}

import type { EpochMs, FailoverRecord, FailoverStep, FailoverTimestamps, FailoverTrigger, RegionName } from '../src/domain/types.js';
import { pastPointOfNoReturn } from '../src/domain/phases.js';
import type { BlockReason, FailoverContext, FailoverEvent, FailoverRequest, StepProgress } from './types.js';

/**
 * The primary is confirmed down, a quorum of fresh observers sees it failing now, and this incident was not already
 * rejected or aborted by an operator. An `unhealthy` verdict stays until recovery is confirmed, also while the data plane
 * passes and only the control plane cannot confirm the database (its API errs): such an old verdict never starts a
 * failover (a candidate that becomes eligible minutes later must not act on it).
 */
export function isNewIncident(context: FailoverContext): boolean {
  const { assessment } = context;
  if (assessment === undefined || assessment.primaryVerdict !== 'unhealthy') return false;
  if (assessment.primaryFailingNow === false) return false;
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
  if (assessment !== undefined && assessment.candidate === undefined) {
    const why = assessment.ineligible.map(({ region, reason }) => `${region}: ${reason}`).join('; ');
    return { reason: assessment.noCandidateReason ?? 'no-eligible-replica', detail: why || 'no replica region configured' };
  }
  return undefined;
}

/** Abort is allowed only before the point of no return: after it the old primary may no longer be the writer. */
export function canAbortFrom(context: FailoverContext): boolean {
  const step = context.stalled?.step ?? context.step?.name;
  return step !== undefined && !pastPointOfNoReturn(step);
}

/** The event is a retryable failure of the current step, and the policy allows another attempt. */
export function retriesLeft(context: FailoverContext, event: FailoverEvent): boolean {
  if (event.type !== 'STEP_FAILED' || event.step !== context.step?.name) return false;
  return event.retryable && context.step.attempts < context.settings.maxStepAttempts;
}

/** What fencing came to: the outcome the database reported, or why the failover went on without it (failed, timed out). */
export function fenceOutcome(event: FailoverEvent): string {
  if (event.type === 'FENCED') return event.outcome;
  return `not fenced: ${event.type === 'STEP_FAILED' ? event.error : 'timed out'}`;
}

/** The step after a failed attempt (`STEP_FAILED`) that will be retried: the time spent, one attempt more, the error. */
export function failedAttempt(step: StepProgress | undefined, event: FailoverEvent): StepProgress | undefined {
  return step && {
    ...spendTime(step, event.at, false)!,
    attempts: step.attempts + 1,
    lastError: event.type === 'STEP_FAILED' ? event.error : step.lastError,
  };
}

/** A step times out on the time an executor spent on it, never on time when nobody ran it (see `spendTime`). */
export function stepTimedOut(context: FailoverContext): boolean {
  const { step } = context;
  if (step === undefined) return false;
  return step.spentMs >= context.settings.stepTimeoutsMs[step.name];
}

/** A step just entered at `at`: nothing spent yet. */
export function freshStep(name: FailoverStep, at: EpochMs): StepProgress {
  return { name, startedAt: at, attempts: 1, spentMs: 0, lastActiveAt: at };
}

/**
 * The step after an event at `at`. Within an executor session the time since the previous event was spent on the step;
 * a session's first event (`sessionStart`) follows a gap when no executor ran it, which is not counted: a successor
 * that starts an hour later finds the step as its predecessor left it, not timed out.
 */
export function spendTime(step: StepProgress | undefined, at: EpochMs, sessionStart: boolean): StepProgress | undefined {
  if (step === undefined) return undefined;
  const spent = sessionStart ? 0 : Math.max(0, at - step.lastActiveAt);
  return { ...step, spentMs: step.spentMs + spent, lastActiveAt: Math.max(at, step.lastActiveAt) };
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

/**
 * The record a transition closed by replacing it: an in-progress failover (a proposal awaiting approval, a stalled
 * failover) that a new one took the place of. Records stay true: it is closed as aborted, saying by what.
 */
export function supersededFailover(
  before: FailoverRecord | undefined,
  after: FailoverRecord | undefined,
  at: EpochMs,
): FailoverRecord | undefined {
  if (before === undefined || after === undefined || before.id === after.id || before.outcome !== 'in-progress') return undefined;
  return {
    ...before,
    outcome: 'aborted',
    timestamps: { ...before.timestamps, abortedAt: at },
    endReason: `superseded by failover ${after.id} (${after.from} → ${after.to}) requested by ${after.trigger.kind === 'automatic' ? 'the control plane' : after.trigger.principalArn}`,
  };
}

/** The failover closed as `outcome` at `at`: an operator rejected or aborted it, or a step's result blocked it. */
export function closeFailover(
  failover: FailoverRecord | undefined,
  outcome: 'aborted' | 'rejected',
  at: EpochMs,
): FailoverRecord | undefined {
  return failover && { ...failover, outcome, timestamps: { ...failover.timestamps, abortedAt: at } };
}

/**
 * The failover the control plane proposes for the incident in the last assessment, decided now (in approval mode the
 * proposal; approval is its own step after it); undefined when no replica is a candidate.
 */
export function automaticFailover(context: FailoverContext): FailoverRecord | undefined {
  const { assessment } = context;
  if (assessment?.candidate === undefined) return undefined;
  const failover = newFailover(context, {
    id: assessment.proposedFailoverId,
    trigger: { kind: 'automatic' },
    reason: `primary ${assessment.primaryRegion} confirmed ${assessment.primaryVerdict} since ${new Date(assessment.primaryVerdictSince).toISOString()}`,
    to: assessment.candidate.region,
    planned: false,
    allowDataLoss: false,
    detectedAt: assessment.primaryVerdictSince,
  });
  return stampFailover(failover, { decidedAt: context.now });
}

/** The failover an operator asked for: a switchover is planned, and both start the clock at the request. */
export function requestedFailover(context: FailoverContext, request: FailoverRequest, planned: boolean): FailoverRecord {
  return newFailover(context, { ...request, id: request.failoverId, planned, detectedAt: request.at });
}

/** Why the current step stalled: its last failure with the attempts spent, or its timeout with the last error. */
export function stallReason(context: FailoverContext, event: FailoverEvent): string {
  const { step, settings } = context;
  if (event.type === 'STEP_FAILED') return `${event.error} (attempt ${step?.attempts ?? 1} of ${settings.maxStepAttempts})`;
  const name = step?.name ?? 'reserving';
  const lastError = step?.lastError ? `; last error: ${step.lastError}` : '';
  return `step ${name} timed out after ${Math.round(settings.stepTimeoutsMs[name] / 1000)} s${lastError}`;
}

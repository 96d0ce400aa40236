/**
 * Errors of the failover core. Expected outcomes (replica not eligible, lag too high) are values, not errors;
 * these classes are for what stops an invocation or a step.
 */

interface ErrorContext {
  readonly groupId?: string;
  readonly region?: string;
  readonly step?: string;
}

abstract class ControlPlaneError extends Error {
  readonly groupId?: string;
  readonly region?: string;
  readonly step?: string;

  constructor(message: string, context: ErrorContext & { cause?: unknown } = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.groupId = context.groupId;
    this.region = context.region;
    this.step = context.step;
  }
}

/** A compare-and-set write lost: another writer saved a newer revision. The loser must act no further. */
export class StaleStateError extends ControlPlaneError {
  override readonly name = 'StaleStateError';
}

/** Another executor holds an unexpired lease on the group, or ours was taken over. */
export class LeaseHeldError extends ControlPlaneError {
  // Widened to string so that ControlPlaneCutOffError can name itself.
  override readonly name: string = 'LeaseHeldError';
}

/**
 * This executor's region cannot write to the state table (a multi-Region strongly consistent table whose replica here
 * is cut off from the others, or the regional endpoint is down): it cannot take or renew a lease, so it must not act.
 * A `LeaseHeldError`, so every caller that stands by for a held lease stands by for this too.
 */
export class ControlPlaneCutOffError extends LeaseHeldError {
  override readonly name = 'ControlPlaneCutOffError';
}

/** A step failed in a way that may succeed on a later attempt (state in transition, throttled past retries). */
export class RetryableStepError extends ControlPlaneError {
  override readonly name = 'RetryableStepError';
}

/** A step failed in a way no retry fixes (not found, access denied). The message names resource and IAM action. */
export class FatalStepError extends ControlPlaneError {
  override readonly name = 'FatalStepError';
}

/** A configuration file or operator input broke the rules; `issues` holds one line per problem. */
export class ValidationError extends ControlPlaneError {
  override readonly name = 'ValidationError';
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[], context: ErrorContext & { cause?: unknown } = {}) {
    super(`${message}\n${issues.map((issue) => `  - ${issue}`).join('\n')}`, context);
    this.issues = issues;
  }
}

/** The group named in a command or lookup is not configured. */
export class UnknownGroupError extends ControlPlaneError {
  override readonly name = 'UnknownGroupError';
}

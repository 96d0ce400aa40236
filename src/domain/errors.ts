/**
 * Errors of the control plane. Expected outcomes (replica not eligible, lag too high) are values, not errors;
 * these classes are for what stops an invocation, a step or a command. Every error the project throws on purpose
 * is a `ControlPlaneError`, so a caller tells ours from a library's with one `instanceof`.
 */

/** What an operator needs to find the trouble: the group, the region, the step, the drill scenario. */
export interface ErrorContext {
  readonly groupId?: string;
  readonly region?: string;
  readonly step?: string;
  readonly scenario?: string;
}

/**
 * The base class of the project's errors: a `name` ending in `Error`, the operator's context, and the `cause`.
 *
 * @example
 * class StaleStateError extends ControlPlaneError { override readonly name = 'StaleStateError'; }
 * throw new StaleStateError(`group ${groupId}: revision ${expected} is no longer current`, { groupId, cause: error });
 */
export abstract class ControlPlaneError extends Error {
  readonly groupId?: string;
  readonly region?: string;
  readonly step?: string;
  readonly scenario?: string;

  constructor(message: string, context: ErrorContext & { cause?: unknown } = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.groupId = context.groupId;
    this.region = context.region;
    this.step = context.step;
    this.scenario = context.scenario;
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

/** An orchestrate invocation was told a shard that no configured group names (src/domain/shards.ts). */
export class UnknownShardError extends ControlPlaneError {
  override readonly name = 'UnknownShardError';
}

/**
 * A group's stored machine snapshot was written by another machine version: restoring it would guess at its meaning.
 * Migrate the snapshot (or finish the failover on the old code) before deploying.
 */
export class SnapshotVersionError extends ControlPlaneError {
  override readonly name = 'SnapshotVersionError';
  readonly storedVersion: unknown;
  readonly runningVersion: number;

  constructor(groupId: string, storedVersion: unknown, runningVersion: number) {
    super(
      `group ${groupId}: stored snapshot is machine version ${String(storedVersion)}, this code runs version ${runningVersion}; migrate the snapshot before deploying`,
      { groupId },
    );
    this.storedVersion = storedVersion;
    this.runningVersion = runningVersion;
  }
}

/** A staging drill may not run on this group as asked (production without the safeguards, a scenario it cannot run). */
export class DrillRefusedError extends ControlPlaneError {
  override readonly name = 'DrillRefusedError';
}

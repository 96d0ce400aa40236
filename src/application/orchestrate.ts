import pLimit, { type LimitFunction } from 'p-limit';
import type { EpochMs } from '../domain/types.js';
import { ControlPlaneCutOffError, LeaseHeldError, UnknownGroupError, UnknownShardError } from '../domain/errors.js';
import { groupsOfShard, shardLeaseKey, shardsOf } from '../domain/shards.js';
import { SHARD_LEASE_RETRY_MS } from '../domain/timing.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from './executor.js';
import { sharedHeartbeats, type HeartbeatSource } from './observerReports.js';

/**
 * Group passes that run at once. A pass sends one request at a time, so this many passes hold at most this many of
 * the SDK's 50 sockets: with more, requests queue inside the SDK for a socket and fail its 2 s connection timeout
 * ("socket did not establish a connection"), which is what 1,000 groups started at once did. The others wait here,
 * where waiting costs nothing (back-pressure).
 */
export const GROUP_CONCURRENCY = 32;

export interface ConcurrencyOptions {
  /** Passes at once; default `GROUP_CONCURRENCY`. */
  readonly concurrency?: number;
  /** A limiter shared with other callers (every group loop of `orchestrateUntil` shares one). */
  readonly limit?: LimitFunction;
  /**
   * The observers' heartbeats, shared with other callers (every group loop of `orchestrateUntil` shares one); by
   * default one `sharedHeartbeats` for the call, so its groups read each shard's heartbeats once.
   */
  readonly heartbeats?: HeartbeatSource;
}

/**
 * Runs the executor for every configured group (or the ones named) within one invocation's time.
 * Groups run concurrently, at most `GROUP_CONCURRENCY` at a time: a slow promotion in one group must not delay
 * detection in another. An unexpected error in one group is reported in its outcome and does not stop the others.
 *
 * @example
 * const outcomes = await orchestrate(deps, { owner: context.awsRequestId, deadline: Date.now() + context.getRemainingTimeInMillis() });
 */
export async function orchestrate(
  deps: ExecutorDeps,
  options: { owner: string; deadline: EpochMs; groupIds?: readonly string[] } & ConcurrencyOptions,
): Promise<(GroupOutcome | GroupFailure)[]> {
  const limit = options.limit ?? pLimit(options.concurrency ?? GROUP_CONCURRENCY);
  const heartbeats = options.heartbeats ?? sharedHeartbeats(deps.observations, deps.clock);
  const groups = options.groupIds
    ? options.groupIds.map((id) => {
        const group = deps.config.groups.find((candidate) => candidate.id === id);
        if (group === undefined) throw new UnknownGroupError(`group ${id} is not configured`, { groupId: id });
        return group;
      })
    : deps.config.groups;
  return Promise.all(
    groups.map((group) =>
      limit(() => reconcileGroup(deps, group, { owner: options.owner, deadline: options.deadline, heartbeats })).catch((error: unknown): GroupFailure => {
        if (error instanceof ControlPlaneCutOffError) {
          deps.logger?.warn('control-plane region cut off: standing by, acting on nothing', {
            groupId: group.id,
            region: error.region,
            error: error.message,
          });
        }
        return {
          groupId: group.id,
          result: 'error',
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        };
      }),
    ),
  );
}

export interface GroupFailure {
  readonly groupId: string;
  readonly result: 'error';
  readonly message: string;
}

export type Outcome = GroupOutcome | GroupFailure;

/**
 * Reconciles every group again and again, one pass per `intervalMs`, until `deadline`. Each group runs its own
 * loop, so a group polling a slow promotion never delays the next look at another group: detection stays within
 * one probe interval for all of them. The loops share one limiter: at most `GROUP_CONCURRENCY` passes run at once
 * and the rest wait their turn, so a pass's time is its own work, never a queue inside the SDK. A group that is
 * failing over keeps its slot while it polls; the fleet brake bounds how many do. `onOutcome` sees every pass of every
 * group as it ends (for logs and metrics).
 *
 * @example
 * const { outcomes } = await orchestrateUntil(deps, { owner, deadline, intervalMs: 5_000, onOutcome: record });
 */
export async function orchestrateUntil(
  deps: ExecutorDeps,
  options: {
    owner: string;
    deadline: EpochMs;
    intervalMs: number;
    /** A pass is not started with less time than this left. */
    minPassMs: number;
    groupIds?: readonly string[];
    onOutcome?: (outcome: Outcome) => void;
  } & ConcurrencyOptions,
): Promise<{ passes: number; outcomes: Outcome[] }> {
  const { clock } = deps;
  const limit = options.limit ?? pLimit(options.concurrency ?? GROUP_CONCURRENCY);
  const heartbeats = options.heartbeats ?? sharedHeartbeats(deps.observations, clock);
  const groupIds = options.groupIds ?? deps.config.groups.map((group) => group.id);
  const loops = groupIds.map(async (groupId) => {
    let passes = 0;
    let last: Outcome | undefined;
    while (passes === 0 || clock.now() + options.minPassMs < options.deadline) {
      const startedAt = clock.now();
      [last] = await orchestrate(deps, { owner: options.owner, deadline: options.deadline, groupIds: [groupId], limit, heartbeats });
      passes += 1;
      options.onOutcome?.(last!);
      const nextPassAt = startedAt + options.intervalMs;
      if (nextPassAt + options.minPassMs >= options.deadline) break;
      await clock.sleep(Math.max(0, nextPassAt - clock.now()));
    }
    return { passes, outcome: last! };
  });
  const results = await Promise.all(loops);
  return { passes: Math.max(0, ...results.map((result) => result.passes)), outcomes: results.map((result) => result.outcome) };
}

export interface ShardRun {
  readonly shard: string;
  readonly passes: number;
  readonly outcomes: Outcome[];
  /** Set when the invocation never got its shard's lease before its deadline: it acted on nothing. */
  readonly standby?: string;
}

/**
 * One shard's orchestrate invocation: takes the shard's lease for the whole invocation (until `deadline`), then runs
 * `orchestrateUntil` over that shard's groups only, and gives the lease up at the end. While an earlier invocation of
 * the same shard still holds it, asks again every `SHARD_LEASE_RETRY_MS` until a pass no longer fits, then stands by:
 * two invocations of one shard never run passes at once. The shard lease is not the fence of any effect: each group's
 * own lease is (a group moved between shards during a deployment is acted on by one of them at a time).
 *
 * @example
 * const run = await orchestrateShard(deps, { shard: event.shard ?? DEFAULT_SHARD, owner, deadline, intervalMs: 10_000, minPassMs: MIN_PASS_MS });
 */
export async function orchestrateShard(
  deps: ExecutorDeps,
  options: {
    shard: string;
    owner: string;
    deadline: EpochMs;
    intervalMs: number;
    minPassMs: number;
    onOutcome?: (outcome: Outcome) => void;
  } & ConcurrencyOptions,
): Promise<ShardRun> {
  const { clock, stateStore } = deps;
  const { shard, owner, deadline } = options;
  const groupIds = groupsOfShard(deps.config.groups, shard).map((group) => group.id);
  if (groupIds.length === 0) {
    throw new UnknownShardError(`shard ${shard} names no configured group (shards: ${shardsOf(deps.config.groups).join(', ')})`);
  }
  const key = shardLeaseKey(shard);
  let lease;
  for (;;) {
    const now = clock.now();
    try {
      lease = await stateStore.acquireLease(key, owner, now, Math.max(1, deadline - now));
      break;
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      if (clock.now() + SHARD_LEASE_RETRY_MS + options.minPassMs >= deadline) {
        deps.logger?.warn('shard held by another invocation until this one\'s end: standing by', { shard, error: error.message });
        return { shard, passes: 0, outcomes: [], standby: error.message };
      }
      await clock.sleep(SHARD_LEASE_RETRY_MS);
    }
  }
  try {
    const { passes, outcomes } = await orchestrateUntil(deps, { ...options, groupIds });
    return { shard, passes, outcomes };
  } finally {
    await stateStore.releaseLease(key, lease).catch((error: unknown) => {
      deps.logger?.warn('could not release the shard lease; it expires at the invocation\'s deadline', { shard, error: String(error) });
    });
  }
}

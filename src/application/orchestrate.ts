import pLimit, { type LimitFunction } from 'p-limit';
import type { EpochMs } from '../domain/types.js';
import { ControlPlaneCutOffError, UnknownGroupError } from '../domain/errors.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from './executor.js';

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
  const groups = options.groupIds
    ? options.groupIds.map((id) => {
        const group = deps.config.groups.find((candidate) => candidate.id === id);
        if (group === undefined) throw new UnknownGroupError(`group ${id} is not configured`, { groupId: id });
        return group;
      })
    : deps.config.groups;
  return Promise.all(
    groups.map((group) =>
      limit(() => reconcileGroup(deps, group, options)).catch((error: unknown): GroupFailure => {
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
  const groupIds = options.groupIds ?? deps.config.groups.map((group) => group.id);
  const loops = groupIds.map(async (groupId) => {
    let passes = 0;
    let last: Outcome | undefined;
    while (passes === 0 || clock.now() + options.minPassMs < options.deadline) {
      const startedAt = clock.now();
      [last] = await orchestrate(deps, { owner: options.owner, deadline: options.deadline, groupIds: [groupId], limit });
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

import type { EpochMs } from '../domain/types.js';
import { ControlPlaneCutOffError, UnknownGroupError } from '../domain/errors.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from './executor.js';

/**
 * Runs the executor for every configured group (or the ones named) within one invocation's time.
 * Groups run concurrently: a slow promotion in one group must not delay detection in another.
 * An unexpected error in one group is reported in its outcome and does not stop the others.
 *
 * @example
 * const outcomes = await orchestrate(deps, { owner: context.awsRequestId, deadline: Date.now() + context.getRemainingTimeInMillis() });
 */
export async function orchestrate(
  deps: ExecutorDeps,
  options: { owner: string; deadline: EpochMs; groupIds?: readonly string[] },
): Promise<(GroupOutcome | GroupFailure)[]> {
  const groups = options.groupIds
    ? options.groupIds.map((id) => {
        const group = deps.config.groups.find((candidate) => candidate.id === id);
        if (group === undefined) throw new UnknownGroupError(`group ${id} is not configured`, { groupId: id });
        return group;
      })
    : deps.config.groups;
  return Promise.all(
    groups.map((group) =>
      reconcileGroup(deps, group, options).catch((error: unknown): GroupFailure => {
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
 * one probe interval for all of them. `onOutcome` sees every pass of every group as it ends (for logs and metrics).
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
  },
): Promise<{ passes: number; outcomes: Outcome[] }> {
  const { clock } = deps;
  const groupIds = options.groupIds ?? deps.config.groups.map((group) => group.id);
  const loops = groupIds.map(async (groupId) => {
    let passes = 0;
    let last: Outcome | undefined;
    while (passes === 0 || clock.now() + options.minPassMs < options.deadline) {
      const startedAt = clock.now();
      [last] = await orchestrate(deps, { owner: options.owner, deadline: options.deadline, groupIds: [groupId] });
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

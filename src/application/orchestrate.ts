import type { EpochMs } from '../domain/types.js';
import { UnknownGroupError } from '../domain/errors.js';
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
      reconcileGroup(deps, group, options).catch(
        (error: unknown): GroupFailure => ({
          groupId: group.id,
          result: 'error',
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
      ),
    ),
  );
}

export interface GroupFailure {
  readonly groupId: string;
  readonly result: 'error';
  readonly message: string;
}

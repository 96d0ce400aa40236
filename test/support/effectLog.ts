import type { ExecutorDeps } from '../../src/application/executor.js';

/**
 * Who ran which side effect when: each fence, promote and record change an actor starts and ends is a line
 * `<actor> starts|ends <effect>`, so a test of racing executors can show that no two actors were inside an effect on
 * the same group at once, from what they did rather than from what they answered. Other lines may share the log
 * (`east took orders`); only `starts` and `ends` lines count.
 *
 * @example
 * const log: string[] = [];
 * reconcileGroup({ ...deps, ...watchedEffects(deps, 'executor-1', log) }, group, options);
 * expect(overlappingEffects(log)).toEqual([]);
 */
export function watchedEffects(deps: Pick<ExecutorDeps, 'database' | 'traffic'>, actor: string, log: string[]): Pick<ExecutorDeps, 'database' | 'traffic'> {
  const around = async <T>(name: string, effect: () => Promise<T>): Promise<T> => {
    log.push(`${actor} starts ${name}`);
    try {
      return await effect();
    } finally {
      log.push(`${actor} ends ${name}`);
    }
  };
  return {
    database: {
      describe: (group, region) => deps.database.describe(group, region),
      fence: (group, region, mode, effect) => around('fence', () => deps.database.fence(group, region, mode, effect)),
      promote: (group, region, options, effect) => around('promote', () => deps.database.promote(group, region, options, effect)),
    },
    traffic: {
      currentRegion: (group) => deps.traffic.currentRegion(group),
      changeStatus: (changeId) => deps.traffic.changeStatus(changeId),
      pointTo: (group, region, comment, effect) => around('pointTo', () => deps.traffic.pointTo(group, region, comment, effect)),
    },
  };
}

/**
 * The `starts` lines of `log` at which an actor started an effect while another actor was inside one. `scopeOf` groups
 * actors whose effects may overlap (different groups): by default every actor is in one scope.
 */
export function overlappingEffects(log: readonly string[], scopeOf: (actor: string) => string = () => ''): string[] {
  const inside = new Map<string, Map<string, number>>();
  const overlaps: string[] = [];
  for (const line of log) {
    const [actor, verb] = line.split(' ') as [string, string];
    if (verb !== 'starts' && verb !== 'ends') continue;
    const scope = scopeOf(actor);
    const actors = inside.get(scope) ?? new Map<string, number>();
    inside.set(scope, actors);
    actors.set(actor, (actors.get(actor) ?? 0) + (verb === 'starts' ? 1 : -1));
    if (verb === 'starts' && [...actors.values()].filter((count) => count > 0).length > 1) overlaps.push(line);
  }
  return overlaps;
}

/** The actors that started at least one effect in `log`. */
export function effectActors(log: readonly string[]): Set<string> {
  return new Set(log.filter((line) => line.split(' ')[1] === 'starts').map((line) => line.split(' ')[0]!));
}

import { reconcileGroup, type ExecutorDeps } from '../application/executor.js';
import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, RegionName } from '../domain/types.js';
import type { CrashPoint } from './scenarios/types.js';

const never = new Promise<never>(() => {});

/**
 * The executors of a drill, and their deaths: `arm(point)` makes the next executor run die right after its next call
 * of `point` (a killed Lambda: the call took effect, its answer never came back, the lease runs out on its own). The
 * next run is another executor (a new owner name); a death that takes its region down stops every run there.
 *
 * @example
 * const executors = new DrillExecutors((description) => console.log(description));
 * executors.arm('promote', false);
 * await executors.reconcile(deps, group, undefined, clock.now() + 5_000); // dies after promote; the lease stays held
 */
export class DrillExecutors {
  private armed: { readonly at: CrashPoint; readonly regionDown: boolean } | undefined;
  private generation = 1;
  /** Control-plane regions gone down with their executor: no executor runs there again. */
  private readonly downRegions = new Set<RegionName>();

  constructor(private readonly say: (description: string) => void) {}

  /** The next executor run dies right after its next `at` call; with `regionDown`, its control-plane region goes too. */
  arm(at: CrashPoint, regionDown: boolean): void {
    this.armed = { at, regionDown };
  }

  /** Whether an executor death took this control-plane region down. */
  isDown(region: RegionName): boolean {
    return this.downRegions.has(region);
  }

  /** One executor run (in `region`, or the only one when undefined) until it returns or dies. */
  async reconcile(deps: ExecutorDeps, group: GroupConfig, region: RegionName | undefined, deadline: EpochMs): Promise<void> {
    const owner = region === undefined ? `drill-executor-${this.generation}` : `drill-executor-${region}-${this.generation}`;
    const armed = this.armed;
    if (armed === undefined) {
      await reconcileGroup(deps, group, { owner, deadline });
      return;
    }
    let died = (): void => {};
    const death = new Promise<'died'>((resolve) => (died = () => resolve('died')));
    const dying: ExecutorDeps = { ...deps, database: dyingAfter(deps.database, armed.at, died), traffic: dyingAfter(deps.traffic, armed.at, died) };
    const ending = await Promise.race([reconcileGroup(dying, group, { owner, deadline }), death]);
    if (ending !== 'died') return;
    // The dead run never returns and keeps its lease until it expires; the next run is another executor.
    this.armed = undefined;
    this.generation += 1;
    this.say(`executor ${owner} died right after its ${armed.at} call (its lease expires on its own)`);
    if (region !== undefined && armed.regionDown) {
      this.downRegions.add(region);
      this.say(`control-plane region ${region} is down: the executors in the other regions carry on`);
    }
  }
}

/** `port` with `method` replaced: it performs the call, then the caller never hears back (a killed Lambda). */
function dyingAfter<T extends object>(port: T, method: CrashPoint, onDeath: () => void): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args);
        onDeath();
        return never;
      };
    },
  });
}

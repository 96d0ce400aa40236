import { describe, expect, it } from 'vitest';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import { confirmDown, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;
const never = new Promise<never>(() => {});

type Phase = 'before' | 'after';

interface CrashPlan {
  calls: number;
  dieAt: number;
  phase: Phase;
  /** Called when the executor reaches its death. */
  onDeath?: () => void;
}

/**
 * Wraps every port so that call number `dieAt` never returns: the executor stops at that line forever, as a Lambda
 * that was killed there. `before`: the call never reaches the port; `after`: the port acted, the caller never hears.
 */
function dyingAt<T extends object>(target: T, counter: CrashPlan): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        counter.calls += 1;
        const dies = counter.calls === counter.dieAt;
        if (dies && counter.phase === 'before') {
          counter.onDeath?.();
          return never;
        }
        const result: unknown = await (value as (...a: unknown[]) => unknown).apply(object, args);
        if (dies) {
          counter.onDeath?.();
          return never;
        }
        return result;
      };
    },
  });
}

function withCrash(deps: ReturnType<typeof inMemoryWorld>['deps'], counter: CrashPlan): ExecutorDeps {
  return {
    ...deps,
    stateStore: dyingAt(deps.stateStore, counter),
    eventLog: dyingAt(deps.eventLog, counter),
    observations: dyingAt(deps.observations, counter),
    commands: dyingAt(deps.commands, counter),
    fleet: dyingAt(deps.fleet, counter),
    database: dyingAt(deps.database, counter),
    traffic: dyingAt(deps.traffic, counter),
    notifier: dyingAt(deps.notifier, counter),
    prober: dyingAt(deps.prober, counter),
  };
}

async function primaryOutage() {
  const world = inMemoryWorld();
  await confirmDown(world.deps, world.group, [PRIMARY]);
  return world;
}

/** Runs the first executor until it dies (or finishes), then successors until the group rests. */
async function runWithCrashAt(dieAt: number, phase: Phase) {
  const world = await primaryOutage();
  const { deps, group, clock } = world;
  let died = () => {};
  const death = new Promise<'died'>((resolve) => (died = () => resolve('died')));
  const counter: CrashPlan = { calls: 0, dieAt, phase, onDeath: () => died() };
  const first = reconcileGroup(withCrash(deps, counter), group, { owner: 'doomed', deadline: clock.now() + MINUTE });
  const ending = await Promise.race([first.then(() => 'finished' as const), death]);
  let state = '';
  for (let attempt = 0; attempt < 5 && state !== 'failedOver'; attempt += 1) {
    clock.advance((deps.leaseTtlMs ?? 30_000) + 1);
    // The probes go on while the executor is dead: the successor sees fresh reports.
    await probeRound(deps, group, { down: [PRIMARY] });
    state = (await reconcileGroup(deps, group, { owner: `successor-${attempt}`, deadline: clock.now() + MINUTE })).state;
  }
  return { world, ending, state };
}

describe('crash safety', () => {
  it('ends in the same state with each effect performed exactly once, whichever port call the executor dies at', async () => {
    // Prepare: count the port calls of an undisturbed failover.
    const reference = await primaryOutage();
    const counter: CrashPlan = { calls: 0, dieAt: -1, phase: 'after' };
    await reconcileGroup(withCrash(reference.deps, counter), reference.group, { owner: 'a', deadline: reference.clock.now() + MINUTE });
    const referenceTypes = (await reference.deps.eventLog.list(reference.group.id)).reverse().map((event) => event.type);
    expect(counter.calls).toBeGreaterThan(20);

    for (const phase of ['before', 'after'] as const) {
      for (let dieAt = 1; dieAt <= counter.calls; dieAt += 1) {
        // Act
        const { world, state, ending } = await runWithCrashAt(dieAt, phase);

        // Assess
        const where = `dying ${phase} port call ${dieAt}`;
        expect(ending, where).toBe('died');
        const { deps, group } = world;
        expect(state, where).toBe('failedOver');
        expect(deps.database.calls.promoteEffective, where).toBe(1);
        expect(deps.traffic.calls.changes, where).toBe(1);
        expect(deps.traffic.changes[0]?.region, where).toBe(REPLICA);
        const events = (await deps.eventLog.list(group.id)).reverse();
        expect(events.map((event) => event.seq), where).toEqual(events.map((_, index) => index + 1));
        expect(events.map((event) => event.type), where).toEqual(referenceTypes);
        const failovers = await deps.eventLog.listFailovers(group.id);
        expect(failovers, where).toHaveLength(1);
        expect(failovers[0]?.outcome, where).toBe('completed');
        expect(deps.notifier.types().filter((type) => type === 'failover-completed').length, where).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

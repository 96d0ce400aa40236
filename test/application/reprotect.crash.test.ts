import { describe, expect, it } from 'vitest';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import { confirmDown, inMemoryWorld, PRIMARY, T0 } from './harness.js';

const MINUTE = 60_000;
const never = new Promise<never>(() => {});

interface CrashPlan {
  calls: number;
  dieAt: number;
  phase: 'before' | 'after';
  onDeath?: () => void;
}

/** Every port call counts; call number `dieAt` never returns (`before`: never reaches the port; `after`: acted, never answers). */
function dyingAt<T extends object>(target: T, plan: CrashPlan): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        plan.calls += 1;
        const dies = plan.calls === plan.dieAt;
        if (dies && plan.phase === 'before') {
          plan.onDeath?.();
          return never;
        }
        const result: unknown = await (value as (...a: unknown[]) => unknown).apply(object, args);
        if (dies) {
          plan.onDeath?.();
          return never;
        }
        return result;
      };
    },
  });
}

type World = Awaited<ReturnType<typeof failedOverWithReprotectQueued>>;

function withCrash(deps: World['deps'], plan: CrashPlan): ExecutorDeps {
  return {
    ...deps,
    stateStore: dyingAt(deps.stateStore, plan),
    eventLog: dyingAt(deps.eventLog, plan),
    observations: dyingAt(deps.observations, plan),
    commands: dyingAt(deps.commands, plan),
    fleet: dyingAt(deps.fleet, plan),
    database: dyingAt(deps.database, plan),
    traffic: dyingAt(deps.traffic, plan),
    notifier: dyingAt(deps.notifier, plan),
    prober: dyingAt(deps.prober, plan),
  };
}

async function failedOverWithReprotectQueued() {
  const world = inMemoryWorld();
  const { deps, group, clock } = world;
  await confirmDown(deps, group, [PRIMARY]);
  await reconcileGroup(deps, group, { owner: 'failover', deadline: clock.now() + MINUTE });
  await deps.commands.enqueue({
    id: 'cmd-reprotect-1',
    groupId: group.id,
    type: 'reprotect',
    principalArn: 'arn:aws:iam::123456789012:user/alice',
    reason: 'INC-1',
    requestedAt: T0,
    targetRegion: PRIMARY,
  });
  return world;
}

/** The two runs a reprotect takes (ask for the replica; see it replicate), on `deps`; stops at the first death. */
async function reprotectRuns(world: World, deps: ExecutorDeps, death: Promise<'died'>): Promise<'died' | 'finished'> {
  const { group, clock } = world;
  const first = reconcileGroup(deps, group, { owner: 'doomed', deadline: clock.now() + MINUTE });
  if ((await Promise.race([first.then(() => 'finished' as const), death])) === 'died') return 'died';
  clock.advance(world.deps.database.replicaCreationMs);
  const second = reconcileGroup(deps, group, { owner: 'doomed', deadline: clock.now() + MINUTE });
  return Promise.race([second.then(() => 'finished' as const), death]);
}

describe('reprotect crash safety', () => {
  it('creates one replica and completes the reprotect once, whichever port call the executor dies at', async () => {
    // Prepare: count the port calls of an undisturbed reprotect.
    const reference = await failedOverWithReprotectQueued();
    const counting: CrashPlan = { calls: 0, dieAt: -1, phase: 'after' };
    await reprotectRuns(reference, withCrash(reference.deps, counting), never);
    const referenceTypes = (await reference.deps.eventLog.list(reference.group.id)).reverse().map((event) => event.type);
    expect(referenceTypes).toContain('REPROTECTED');

    for (const phase of ['before', 'after'] as const) {
      for (let dieAt = 1; dieAt <= counting.calls; dieAt += 1) {
        // Act: die at one port call, then successors run after the lease expired until the group rests.
        const world = await failedOverWithReprotectQueued();
        const { deps, group, clock } = world;
        let died = () => {};
        const death = new Promise<'died'>((resolve) => (died = () => resolve('died')));
        const ending = await reprotectRuns(world, withCrash(deps, { calls: 0, dieAt, phase, onDeath: () => died() }), death);
        // At least one successor: it delivers what the dead run saved but could not deliver.
        for (let attempt = 0; attempt < 4; attempt += 1) {
          clock.advance(Math.max((deps.leaseTtlMs ?? 30_000) + 1, deps.database.replicaCreationMs));
          await reconcileGroup(deps, group, { owner: `successor-${attempt}`, deadline: clock.now() + MINUTE });
          if ((await deps.stateStore.load(group.id))?.reprotect?.status === 'completed') break;
        }

        // Assess
        const where = `dying ${phase} port call ${dieAt}`;
        expect(ending, where).toBe('died');
        const record = await deps.stateStore.load(group.id);
        expect(record?.reprotect?.status, where).toBe('completed');
        expect(record?.topology?.databases[PRIMARY]?.identifier, where).toBe('orders-eu-west-1-r1');
        expect(deps.database.calls.createReplicaEffective, where).toBe(1);
        expect(deps.database.createdReplicas(), where).toEqual(['eu-west-1/orders-eu-west-1-r1']);
        expect((await deps.commands.get(group.id, 'cmd-reprotect-1'))?.status, where).toBe('accepted');
        const events = (await deps.eventLog.list(group.id)).reverse();
        expect(events.map((event) => event.seq), where).toEqual(events.map((_, index) => index + 1));
        expect(events.map((event) => event.type).filter((type) => type.startsWith('REP')), where).toEqual(
          referenceTypes.filter((type) => type.startsWith('REP')),
        );
      }
    }
  });
});

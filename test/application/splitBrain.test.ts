import { describe, expect, it } from 'vitest';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import type { GroupConfig } from '../../src/config/schema.js';
import { nextObserverReport } from '../../src/domain/observations.js';
import type { RoundResult } from '../../src/domain/types.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;
const ONCALL = 'arn:aws:iam::000000000000:user/oncall';

type World = ReturnType<typeof inMemoryWorld>;

/** One round per observer in which `region`'s health endpoints fail while its database still answers as it is. */
async function httpDownRound(world: World, region: string): Promise<void> {
  const { deps, group, clock } = world;
  const now = clock.now();
  for (const name of Object.keys(group.regions)) {
    const state = await deps.database.describe(group, name);
    for (const observerRegion of deps.config.fleet.observerRegions) {
      const down = name === region;
      const round: RoundResult = {
        observedAt: now,
        http: group.regions[name]!.healthEndpoints.map((endpoint) =>
          down ? { url: endpoint.url, ok: false, latencyMs: 1000, error: 'HTTP 503' } : { url: endpoint.url, ok: true, status: 200, latencyMs: 4 },
        ),
        database: { ok: true, role: state.role, status: state.status, replicaLagSeconds: state.replicaLagSeconds },
      };
      const previous = await deps.observations.get(group.id, name, observerRegion);
      await deps.observations.put(nextObserverReport(previous, { groupId: group.id, region: name, observerRegion, round }));
    }
  }
}

function splitBrainAlarms(deps: World['deps']) {
  return deps.notifier.published.filter(({ notification }) => notification.type === 'split-brain-risk');
}

async function operatorFailover(world: World): Promise<void> {
  const { deps, group, clock } = world;
  await deps.commands.enqueue({
    id: 'failover-1',
    groupId: group.id,
    type: 'failover',
    principalArn: ONCALL,
    reason: 'move writes to us-east-1',
    requestedAt: clock.now(),
    targetRegion: REPLICA,
  });
}

async function passes(world: World, count: number, owner = 'a'): Promise<void> {
  const { deps, group, clock } = world;
  for (let pass = 0; pass < count; pass += 1) {
    clock.advance(5_000);
    await probeRound(deps, group);
    await reconcileGroup(deps, group, { owner, deadline: clock.now() + MINUTE });
  }
}

describe('split-brain alarm', () => {
  it('flags an old primary whose role stays primary through an automatic failover (fencing none), once per episode', async () => {
    // Prepare: the primary's application fails; its database never stops answering as a writable primary.
    const world = inMemoryWorld();
    const { deps, group, clock } = world;
    for (let round = 0; round < group.policy.failureThreshold; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await httpDownRound(world, PRIMARY);
    }

    // Act: the failover runs, then several more passes with the old primary still writable.
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await passes(world, 3);

    // Assess
    expect(outcome.state).toBe('failedOver');
    const alarms = splitBrainAlarms(deps);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.notification).toMatchObject({ severity: 'critical', details: { region: PRIMARY, writer: REPLICA } });
    const logged = await deps.eventLog.list(group.id);
    expect(logged.filter((event) => event.type === 'SPLIT_BRAIN_RISK')).toHaveLength(1);
  });

  it('flags the old primary still writable after an operator failover without fencing', async () => {
    // Prepare: every region healthy; the operator moves the primary; fencing is none.
    const world = inMemoryWorld();
    const { deps, group, clock } = world;
    await probeRound(deps, group);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await operatorFailover(world);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await passes(world, 2);

    // Assess
    expect(outcome.state).toBe('failedOver');
    expect(splitBrainAlarms(deps).map(({ notification }) => notification.details)).toEqual([
      expect.objectContaining({ region: PRIMARY, writer: REPLICA }),
    ]);
  });

  it('does not flag an old primary the provider reports fenced', async () => {
    // Prepare: as above, but the group fences by stopping the old primary.
    const world = inMemoryWorld(drillConfig((config) => (config.groups[0]!.policy.fencing = 'stop-instance')));
    const { deps, group, clock } = world;
    await probeRound(deps, group);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await operatorFailover(world);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await passes(world, 2);

    // Assess
    expect(outcome.state).toBe('failedOver');
    expect(deps.database.region(PRIMARY).fenced).toBe(true);
    expect(splitBrainAlarms(deps)).toHaveLength(0);
  });

  it('says split-brain-risk when a failover stalled after its promotion started while the old primary comes back writable', async () => {
    // Prepare: the promote call is answered, but the replica never finishes promoting: the wait stalls.
    const world = inMemoryWorld();
    const { deps, group, clock } = world;
    await confirmDown(deps, group, [PRIMARY]);
    const slowDatabase = Object.create(deps.database) as typeof deps.database;
    slowDatabase.describe = async (g: GroupConfig, region: string) => {
      const state = await deps.database.describe(g, region);
      return region === REPLICA ? { ...state, role: 'replica', status: 'modifying', writable: false } : state;
    };
    const stalling: ExecutorDeps = { ...deps, database: slowDatabase };
    const stalled = await reconcileGroup(stalling, group, { owner: 'a', deadline: clock.now() + 30 * MINUTE });

    // Act: the old primary's region answers again, its database a writable primary; DNS still points at it.
    clock.advance(5_000);
    await probeRound(deps, group);
    const after = await reconcileGroup(stalling, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(stalled.state).toBe('stalled');
    expect(stalled.failover?.timestamps.promotionStartedAt).toBeTypeOf('number');
    expect(stalled.failover?.timestamps.promotedAt).toBeUndefined();
    expect(after.state).toBe('stalled');
    expect(deps.traffic.calls.changes).toBe(0);
    expect(splitBrainAlarms(deps).map(({ notification }) => notification.details)).toEqual([
      expect.objectContaining({ region: PRIMARY, writer: REPLICA }),
    ]);
  });

  it('does not flag a failed old primary while it is failed, and flags it once when it recovers writable', async () => {
    // Prepare: the primary's database fails (role still primary, status failed) and the group fails over.
    const world = inMemoryWorld();
    const { deps, group, clock } = world;
    deps.database.region(PRIMARY).status = 'failed';
    for (let round = 0; round < group.policy.failureThreshold; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await httpDownRound(world, PRIMARY);
    }
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    clock.advance(5_000);
    await httpDownRound(world, PRIMARY);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const whileFailed = splitBrainAlarms(deps).length;

    // Act: it recovers, writable.
    deps.database.region(PRIMARY).status = 'available';
    await passes(world, 2);

    // Assess
    expect(whileFailed).toBe(0);
    expect(splitBrainAlarms(deps).map(({ notification }) => notification.details)).toEqual([
      expect.objectContaining({ region: PRIMARY, writer: REPLICA }),
    ]);
  });
});

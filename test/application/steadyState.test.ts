import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { orchestrate } from '../../src/application/orchestrate.js';
import { newHeartbeatMemory, runProbeRound, type ProbeDeps } from '../../src/application/probeRound.js';
import type { ObserverReport } from '../../src/domain/types.js';
import type { Database } from '../../src/ports/Database.js';
import { canonicalJson, decisiveSnapshot, sameStored } from '../../src/application/materialChange.js';
import { STATE_REFRESH_MS } from '../../src/domain/timing.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;

/** A world reconciled once on healthy reports, its store's call counts reset. */
async function settledWorld() {
  const world = inMemoryWorld();
  const { deps, group, clock } = world;
  await probeRound(deps, group);
  await reconcileGroup(deps, group, { owner: 'first', deadline: clock.now() + MINUTE });
  for (const method of Object.keys(deps.stateStore.calls) as (keyof typeof deps.stateStore.calls)[]) deps.stateStore.calls[method] = 0;
  return world;
}

describe('a quiet steady state', () => {
  it('writes nothing in a pass where only the time, the lag readings and the proposed failover id changed', async () => {
    // Prepare
    const { deps, group, clock } = await settledWorld();
    clock.advance(group.policy.probeIntervalSeconds * 1_000);
    await probeRound(deps, group, { lag: { [REPLICA]: 3 } });

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome).toMatchObject({ result: 'idle', state: 'monitoring' });
    expect(deps.stateStore.calls).toEqual({ load: 1, loadTopologies: 0, createIfAbsent: 0, acquireLease: 0, save: 0, releaseLease: 0 });
  });

  it('saves the measurements once the stored ones are a refresh interval old, taking and giving up the lease once', async () => {
    // Prepare
    const { deps, group, clock } = await settledWorld();
    const before = await deps.stateStore.load(group.id);
    clock.advance(STATE_REFRESH_MS);
    await probeRound(deps, group, { lag: { [REPLICA]: 7 } });

    // Act
    await reconcileGroup(deps, group, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    const after = await deps.stateStore.load(group.id);
    expect(deps.stateStore.calls).toMatchObject({ acquireLease: 1, save: 1, releaseLease: 1 });
    expect(after?.revision).toBe(before!.revision + 1);
    expect(after?.health[REPLICA]?.replicaLagSeconds).toBe(7);
  });

  it('saves a pass whose verdict changed, however little time passed since the last save', async () => {
    // Prepare
    const { deps, group, clock } = await settledWorld();
    await confirmDown(deps, group, [PRIMARY]);
    deps.stateStore.calls.save = 0;

    // Act
    await reconcileGroup(deps, group, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    expect(deps.stateStore.calls.save).toBeGreaterThanOrEqual(1);
    expect((await deps.stateStore.load(group.id))?.health[PRIMARY]?.verdict).toBe('unhealthy');
  });

  it('does not take the lease before it needs it: a group another executor holds is left alone without a write', async () => {
    // Prepare
    const { deps, group, clock } = await settledWorld();
    await deps.stateStore.acquireLease(group.id, 'other', clock.now(), 30_000);
    deps.stateStore.calls.acquireLease = 0;

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.result).toBe('lease-held');
    expect(deps.stateStore.calls).toMatchObject({ acquireLease: 0, save: 0, releaseLease: 0 });
  });
});

describe('the stored-value comparison', () => {
  it('finds two maps equal whatever their key order, as DynamoDB returns them', () => {
    // Prepare
    const written = { verdict: 'healthy', since: 1, observers: ['a', 'b'], nested: { x: 1, y: undefined, z: 2 } };
    const readBack = { nested: { z: 2, x: 1 }, observers: ['a', 'b'], since: 1, verdict: 'healthy' };

    // Act
    const equal = sameStored(written, readBack);

    // Assess
    expect(equal).toBe(true);
    expect(canonicalJson(readBack)).toBe('{"nested":{"x":1,"z":2},"observers":["a","b"],"since":1,"verdict":"healthy"}');
    expect(sameStored({ observers: ['a', 'b'] }, { observers: ['b', 'a'] })).toBe(false);
  });

  it('answers as comparing the canonical JSON of the two values would, for any values and any key order', () => {
    // Prepare: 3,000 seeded random pairs of values with undefined members, null, NaN, -0, nested arrays and objects
    // drawn from few keys and leaves (so that over a hundred pairs are equal); each value is also compared with a copy whose
    // keys are reversed at every level
    let seed = 11;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const leaves = [undefined, null, Number.NaN, -0, 0, 1, 'a', '', true, false];
    const draw = (depth: number): unknown => {
      const kind = random();
      if (depth === 0 || kind < 0.5) return leaves[Math.floor(random() * leaves.length)];
      const size = Math.floor(random() * 3);
      if (kind < 0.7) return Array.from({ length: size }, () => draw(depth - 1));
      return Object.fromEntries(Array.from({ length: size }, () => [['x', 'y', 'z'][Math.floor(random() * 3)]!, draw(depth - 1)]));
    };
    const reordered = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reordered);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).reverse().map(([key, member]) => [key, reordered(member)]));
    };
    const pairs = Array.from({ length: 3_000 }, () => [draw(3), draw(3)] as const);

    // Act
    const disagreements = pairs.filter(
      ([value, other]) =>
        !sameStored(value, reordered(value)) ||
        sameStored(value, other) !== (canonicalJson(value) === canonicalJson(other)) ||
        sameStored(other, value) !== (canonicalJson(value) === canonicalJson(other)),
    );

    // Assess
    expect(pairs.filter(([value, other]) => canonicalJson(value) === canonicalJson(other)).length).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });

  it('ignores the machine clock and the assessment details the machine never reads, and nothing else', () => {
    // Prepare
    const assessment = { at: 1, primaryRegion: PRIMARY, primaryVerdict: 'healthy', primaryVerdictSince: 5, candidate: { region: REPLICA, replicaLagSeconds: 2 }, ineligible: [], proposedFailoverId: 'fo-a' };
    const snapshot = { value: 'monitoring', context: { now: 1, primaryRegion: PRIMARY, assessment } };
    const later = { value: 'monitoring', context: { now: 9, primaryRegion: PRIMARY, assessment: { ...assessment, at: 9, proposedFailoverId: 'fo-b', candidate: { region: REPLICA, replicaLagSeconds: 4 } } } };
    const down = { ...later, context: { ...later.context, assessment: { ...later.context.assessment, primaryVerdict: 'unhealthy' } } };

    // Act
    const sameAfterTime = sameStored(decisiveSnapshot(snapshot), decisiveSnapshot(later));
    const sameAfterDown = sameStored(decisiveSnapshot(snapshot), decisiveSnapshot(down));

    // Assess
    expect(sameAfterTime).toBe(true);
    expect(sameAfterDown).toBe(false);
  });
});

/**
 * A world probed by the real probe round from every observer, each with its run's memory, until the region has
 * recovered; the replicas' lag keeps its metric time, as the RDS adapter's does.
 */
async function steadyObservers(config = drillConfig()) {
  const world = inMemoryWorld(config);
  const { deps, group, clock } = world;
  const lagMeasuredAt = clock.now();
  const database: Database = {
    describe: async (group, region) => ({ ...(await deps.database.describe(group, region)), replicaLagMeasuredAt: lagMeasuredAt }),
    fence: (...args) => deps.database.fence(...args),
    promote: (...args) => deps.database.promote(...args),
  };
  const probeDeps: ProbeDeps = { config: deps.config, prober: deps.prober, database, observations: deps.observations, faults: deps.drills.faults, clock };
  const memories = new Map(deps.config.fleet.observerRegions.map((observer) => [observer, { written: new Map<string, ObserverReport>(), heartbeat: newHeartbeatMemory() }]));
  const intervalMs = group.policy.probeIntervalSeconds * 1_000;
  const rounds = async (count: number) => {
    for (let index = 0; index < count; index += 1) {
      clock.advance(intervalMs);
      for (const [observerRegion, memory] of memories) await runProbeRound(probeDeps, { observerRegion, ...memory });
    }
  };
  await rounds(group.policy.recoveryThreshold);
  await reconcileGroup(deps, group, { owner: 'first', deadline: clock.now() + MINUTE });
  return { ...world, rounds, intervalMs };
}

describe('a quiet steady state of the observers', () => {
  it('writes no report while nothing changes, one heartbeat per observer and shard, and the orchestrator still sees every observer fresh', async () => {
    // Prepare
    const { deps, group, clock, rounds } = await steadyObservers();
    const writesBefore = deps.observations.calls.putReports;
    const heartbeatsBefore = deps.observations.calls.putHeartbeat;

    // Act: three rounds, so the stored reports are older than the staleness window by their own time.
    await rounds(3);
    const [outcome] = await orchestrate(deps, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    expect(deps.observations.calls.putReports - writesBefore).toBe(0);
    expect(deps.observations.calls.putHeartbeat - heartbeatsBefore).toBe(3 * deps.config.fleet.observerRegions.length);
    expect(outcome).toMatchObject({ result: 'idle', state: 'monitoring' });
    const health = (await deps.stateStore.load(group.id))!.health;
    for (const region of Object.keys(group.regions)) expect(health[region]).toMatchObject({ verdict: 'healthy', staleObservers: [] });
    const ownTimes = await deps.observations.listForGroup(group.id, []);
    expect(Math.max(...ownTimes.map((report) => report.observedAt))).toBeLessThan(clock.now() - 2 * group.policy.probeIntervalSeconds * 1_000);
  });

  it('reads the heartbeats once per pass for all its groups, not once per group', async () => {
    // Prepare
    const threeGroups = drillConfig((config) => {
      config.groups = ['orders', 'billing', 'search'].map((id) => ({ ...config.groups[0]!, id }));
    });
    const { deps, clock, rounds } = await steadyObservers(threeGroups);
    await rounds(1);
    const readsBefore = deps.observations.calls.heartbeats;
    const listsBefore = deps.observations.calls.listForGroup;

    // Act
    const outcomes = await orchestrate(deps, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['idle', 'idle', 'idle']);
    expect(deps.observations.calls.heartbeats - readsBefore).toBe(1);
    expect(deps.observations.calls.listForGroup - listsBefore).toBe(3);
  });

  it('counts an observer stale once its heartbeats stop, by the time its reports were written', async () => {
    // Prepare
    const { deps, group, clock, rounds, intervalMs } = await steadyObservers();
    await rounds(2);
    const vouchedAt = clock.now();

    // Act: the observers stop; the orchestrator looks two and a half intervals later.
    clock.advance(2 * intervalMs + intervalMs / 2);
    await orchestrate(deps, { owner: 'second', deadline: clock.now() + MINUTE });

    // Assess
    const health = (await deps.stateStore.load(group.id))!.health;
    expect(clock.now() - vouchedAt).toBeGreaterThan(2 * intervalMs);
    for (const region of Object.keys(group.regions)) {
      expect(health[region]?.verdict).toBe('unknown');
      expect(health[region]?.staleObservers).toEqual(deps.config.fleet.observerRegions);
    }
  });
});

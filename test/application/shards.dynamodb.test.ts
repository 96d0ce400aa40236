import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { orchestrateShard, type Outcome } from '../../src/application/orchestrate.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';
import { UnknownShardError } from '../../src/domain/errors.js';
import { shardLeaseKey } from '../../src/domain/shards.js';
import type { StateStore } from '../../src/ports/StateStore.js';
import { TestClock } from '../doubles/TestClock.js';
import { localClient } from '../support/dynamodbLocal.js';
import { overlappingEffects, watchedEffects } from '../support/effectLog.js';
import { confirmDown, drillConfig, inMemoryWorldOnDynamoDb, PRIMARY, probeRound } from './harness.js';

let client: DynamoDBClient;
let tables = 0;

beforeAll(() => {
  client = localClient(inject('dynamodbEndpoint'));
});

afterAll(() => {
  client.destroy();
});

/** The drill's group `orders` plus copies of it, each in the shard `shards` names (undefined: the default shard). */
function shardedConfig(shards: Record<string, string | undefined>): ControlPlaneConfig {
  return drillConfig((draft) => {
    const template = draft.groups[0]!;
    draft.groups = Object.entries(shards).map(([id, shard]) => {
      const group = structuredClone(template) as { -readonly [K in keyof GroupConfig]: GroupConfig[K] };
      group.id = id;
      group.dns = { ...group.dns, recordName: `${id}.drill.internal` };
      if (shard !== undefined) group.shard = shard;
      return group as GroupConfig;
    });
  });
}

/** The in-memory world on one fresh table of DynamoDB Local. */
async function worldOnDynamoDb(config: ControlPlaneConfig) {
  tables += 1;
  return inMemoryWorldOnDynamoDb(client, `shards-${process.pid}-${tables}`, config);
}

/** Every key one invocation's state store was asked about, and the lease calls in the order made, by `tag`. */
function watchedStateStore(store: StateStore, tag: string, log: string[], keys: Set<string>, onTook = (_key: string) => {}): StateStore {
  return {
    load: (groupId) => (keys.add(groupId), store.load(groupId)),
    loadTopologies: (groupIds) => (groupIds.forEach((groupId) => keys.add(groupId)), store.loadTopologies(groupIds)),
    createIfAbsent: (record) => (keys.add(record.groupId), store.createIfAbsent(record)),
    acquireLease: async (groupId, owner, now, ttlMs, held) => {
      keys.add(groupId);
      const lease = await store.acquireLease(groupId, owner, now, ttlMs, held);
      log.push(`${tag} took ${groupId}`);
      onTook(groupId);
      return lease;
    },
    save: (next, expected, lease, now) => (keys.add(next.groupId), store.save(next, expected, lease, now)),
    releaseLease: async (groupId, lease) => {
      keys.add(groupId);
      log.push(`${tag} released ${groupId}`);
      await store.releaseLease(groupId, lease);
    },
  };
}

// Each test makes a few hundred requests to DynamoDB Local: 10-20 s on an idle two-core machine, more under load.
describe('orchestrate shards on DynamoDB Local', { timeout: 90_000 }, () => {
  it('runs two shards at once, each reading and writing only its own groups and its own shard lease', async () => {
    // Prepare: four groups, two in each shard, all healthy.
    const config = shardedConfig({ orders: 'east', billing: 'east', search: 'west', mail: 'west' });
    const { deps, clock } = await worldOnDynamoDb(config);
    for (const group of config.groups) await probeRound(deps, group);
    const log: string[] = [];
    const touched = { east: new Set<string>(), west: new Set<string>() };
    // Each invocation has its own clock, as two Lambdas do: on one shared test clock every sleep of one moves the
    // other's time on, and how many passes each gets before its deadline would depend on the machine's load.
    const run = (shard: 'east' | 'west') =>
      orchestrateShard(
        { ...deps, clock: new TestClock(clock.now()), stateStore: watchedStateStore(deps.stateStore, shard, log, touched[shard]) },
        { shard, owner: `${shard}-invocation`, deadline: clock.now() + 12_000, intervalMs: 5_000, minPassMs: 1_000 },
      );

    // Act
    const [east, west] = await Promise.all([run('east'), run('west')]);

    // Assess
    expect([...touched.east].sort()).toEqual(['billing', 'orders', shardLeaseKey('east')].sort());
    expect([...touched.west].sort()).toEqual(['mail', 'search', shardLeaseKey('west')].sort());
    expect(east.outcomes.map((outcome) => outcome.groupId).sort()).toEqual(['billing', 'orders']);
    expect(west.outcomes.map((outcome) => outcome.groupId).sort()).toEqual(['mail', 'search']);
    expect([...east.outcomes, ...west.outcomes].every((outcome) => outcome.result === 'idle')).toBe(true);
    expect(east.passes).toBeGreaterThan(1);
    expect(west.passes).toBeGreaterThan(1);
    expect(log).toContain(`east released ${shardLeaseKey('east')}`);
    expect(log).toContain(`west released ${shardLeaseKey('west')}`);
  });

  it('lets a second invocation of one shard run no pass while the first holds the shard lease', async () => {
    // Prepare: the first invocation runs until +30 s; the second starts once the first holds the lease, and must
    // give up by +10 s.
    const config = shardedConfig({ orders: 'east', billing: 'east' });
    const { deps, clock } = await worldOnDynamoDb(config);
    for (const group of config.groups) await probeRound(deps, group);
    const log: string[] = [];
    let firstHoldsTheShard = () => {};
    const holding = new Promise<void>((resolve) => (firstHoldsTheShard = resolve));
    const run = (tag: string, deadline: number, onTook?: (key: string) => void) =>
      orchestrateShard(
        { ...deps, stateStore: watchedStateStore(deps.stateStore, tag, log, new Set(), onTook) },
        {
          shard: 'east',
          owner: tag,
          deadline,
          intervalMs: 5_000,
          minPassMs: 1_000,
          onOutcome: (outcome: Outcome) => log.push(`${tag} passed ${outcome.groupId}`),
        },
      );
    const started = clock.now();
    const first = run('first', started + 30_000, (key) => key === shardLeaseKey('east') && firstHoldsTheShard());
    await holding;

    // Act: both share the test clock, which every sleep of either moves on.
    const second = await run('second', started + 10_000);

    // Assess: the second stood by, touching no group; the first ran its passes and gave the lease up.
    expect(second.standby).toMatch(/lease held by first/);
    expect(second.passes).toBe(0);
    expect(log.filter((line) => line.startsWith('second'))).toEqual([]);
    const firstRun = await first;
    expect(firstRun.passes).toBeGreaterThan(0);
    expect(log.at(-1)).toBe(`first released ${shardLeaseKey('east')}`);
  });

  it('acts on a group moved between shards with one shard at a time while both run, and fails it over exactly once', async () => {
    // Prepare: during a deployment the old configuration has `orders` in shard east, the new one in shard west; both
    // run at once. The primary is confirmed down.
    const before = shardedConfig({ orders: 'east', billing: 'east' });
    const after = shardedConfig({ orders: 'west', billing: 'east' });
    const { deps, clock } = await worldOnDynamoDb(before);
    const orders = before.groups[0]!;
    await confirmDown(deps, orders, [PRIMARY]);
    for (const group of before.groups.slice(1)) await probeRound(deps, group);
    const log: string[] = [];
    const run = (shard: 'east' | 'west', config: ControlPlaneConfig, wave: number, onTook?: (key: string) => void) =>
      orchestrateShard(
        {
          ...deps,
          config,
          stateStore: watchedStateStore(deps.stateStore, shard, log, new Set(), onTook),
          ...watchedEffects(deps, shard, log),
        },
        { shard, owner: `${shard}-${wave}`, deadline: clock.now() + 15_000, intervalMs: 5_000, minPassMs: 1_000 },
      );

    // Act: invocations of both shards at once, wave after wave, until the failover is done. Who wins a race for the
    // group's lease depends on the machine's load (and the old shard passes `billing` first), so each wave names its
    // leader: the new shard in even waves, the old one in odd. The other starts once the leader holds the group (or has
    // ended its invocation), and runs beside it.
    const states: string[] = [];
    for (let wave = 0; wave < 6 && !states.includes('failedOver'); wave += 1) {
      const [leader, follower] = wave % 2 === 0 ? (['west', 'east'] as const) : (['east', 'west'] as const);
      const configOf = (shard: 'east' | 'west') => (shard === 'west' ? after : before);
      let leaderHoldsTheGroup = () => {};
      const holding = new Promise<void>((resolve) => (leaderHoldsTheGroup = resolve));
      const leading = run(leader, configOf(leader), wave, (key) => key === orders.id && leaderHoldsTheGroup());
      await Promise.race([holding, leading]);
      const runs = await Promise.all([leading, run(follower, configOf(follower), wave)]);
      states.push(...runs.flatMap((shardRun) => shardRun.outcomes.filter((outcome) => outcome.groupId === orders.id)).map((outcome) => ('state' in outcome ? outcome.state : 'error')));
      clock.advance(31_000);
      await probeRound(deps, orders, { down: [PRIMARY] });
    }

    // Assess: no effect of one shard overlapped one of the other; every step ran once; the log has no gap.
    expect(states).toContain('failedOver');
    expect(log).toContain('east took orders');
    expect(log).toContain('west took orders');
    expect(overlappingEffects(log)).toEqual([]);
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.traffic.calls.changes).toBe(1);
    const events = (await deps.eventLog.list(orders.id)).reverse();
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((event) => event.type === 'PROMOTION_STARTED')).toHaveLength(1);
  });

  it('refuses a shard that no group names, acting on nothing', async () => {
    // Prepare
    const config = shardedConfig({ orders: undefined });
    const { deps, clock } = await worldOnDynamoDb(config);

    // Act
    const run = orchestrateShard(deps, { shard: 'east', owner: 'invocation', deadline: clock.now() + 10_000, intervalMs: 5_000, minPassMs: 1_000 });

    // Assess
    await expect(run).rejects.toThrow(UnknownShardError);
    await expect(run).rejects.toThrow(/shard east names no configured group \(shards: default\)/);
    expect(await deps.stateStore.load('orders')).toBeUndefined();
  });
});

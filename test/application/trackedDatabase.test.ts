import { describe, expect, it } from 'vitest';
import { trackedDatabase } from '../../src/application/trackedDatabase.js';
import type { GroupConfig } from '../../src/config/schema.js';
import type { LiveTopology } from '../../src/domain/liveTopology.js';
import type { RegionName } from '../../src/domain/types.js';
import type { Database, DatabaseState } from '../../src/ports/Database.js';
import type { GroupRecord } from '../../src/ports/StateStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';
import { TestClock } from '../doubles/TestClock.js';
import { drillConfig, PRIMARY, REPLICA, T0 } from './harness.js';

/** Answers every describe, and records which database identifier each one named. */
class NamingDatabase implements Database {
  readonly described: string[] = [];

  async describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    const database = group.regions[region]!.database;
    this.described.push(`${group.id}/${region}:${database.kind === 'rds-instance' ? database.instanceId : database.kind}`);
    return { region, role: 'replica', status: 'available', writable: false };
  }

  async fence(): Promise<never> {
    throw new Error('not used');
  }

  async promote(): Promise<never> {
    throw new Error('not used');
  }
}

function groups(...ids: string[]): GroupConfig[] {
  const template = drillConfig().groups[0]!;
  return ids.map((id) => {
    const group = structuredClone(template) as { -readonly [K in keyof GroupConfig]: GroupConfig[K] };
    group.id = id;
    for (const [region, config] of Object.entries(group.regions)) {
      (config.database as { instanceId: string }).instanceId = `${id}-${region}`;
    }
    return group as GroupConfig;
  });
}

function reprotected(groupId: string, region: RegionName, identifier: string): GroupRecord {
  const topology: LiveTopology = {
    databases: { [region]: { identifier, arn: `arn:aws:rds:${region}:123456789012:db:${identifier}`, generation: 1, since: T0, commandId: 'cmd-1' } },
  };
  return {
    groupId,
    revision: 4,
    machineVersion: 1,
    snapshot: {},
    health: {},
    outbox: { events: [], notifications: [] },
    nextEventSeq: 1,
    processedCommandIds: [],
    updatedAt: T0,
    topology,
  };
}

function setUp(ids: string[], options: { maxAgeMs?: number; known?: boolean } = {}) {
  const clock = new TestClock(T0);
  const stateStore = new InMemoryStateStore();
  const database = new NamingDatabase();
  const fleet = groups(...ids);
  const tracked = trackedDatabase(database, stateStore, clock, {
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    ...(options.known === false ? {} : { groups: fleet }),
  });
  const describeAll = () => Promise.all(fleet.flatMap((group) => Object.keys(group.regions).map((region) => tracked.describe(group, region))));
  return { clock, stateStore, database, fleet, tracked, describeAll };
}

describe('trackedDatabase', () => {
  it("reads the topology of every group of a round with one read, shared by all the round's describes", async () => {
    // Prepare
    const { stateStore, database, describeAll } = setUp(['orders', 'billing', 'ledger']);
    stateStore.seed(reprotected('billing', PRIMARY, 'billing-eu-west-1-r1'));

    // Act
    await describeAll();

    // Assess
    expect(stateStore.calls.loadTopologies).toBe(1);
    expect(stateStore.calls.load).toBe(0);
    expect(database.described).toHaveLength(9);
    expect(database.described).toContain('billing/eu-west-1:billing-eu-west-1-r1');
    expect(database.described).toContain('orders/eu-west-1:orders-eu-west-1');
  });

  it('reads again, once for all groups, when the topology read is older than its maximum age', async () => {
    // Prepare
    const { clock, stateStore, database, describeAll } = setUp(['orders', 'billing'], { maxAgeMs: 5_000 });
    await describeAll();
    stateStore.seed(reprotected('orders', REPLICA, 'orders-us-east-1-r1'));

    // Act
    clock.advance(4_999);
    await describeAll();
    const beforeExpiry = stateStore.calls.loadTopologies;
    clock.advance(1);
    database.described.length = 0;
    await describeAll();

    // Assess
    expect(beforeExpiry).toBe(1);
    expect(stateStore.calls.loadTopologies).toBe(2);
    expect(database.described).toContain('orders/us-east-1:orders-us-east-1-r1');
  });

  it('keeps the topology read last when a read fails, and the configured databases when none was read', async () => {
    // Prepare
    const { clock, stateStore, database, describeAll } = setUp(['orders', 'billing']);
    stateStore.seed(reprotected('orders', PRIMARY, 'orders-eu-west-1-r1'));
    await describeAll();
    clock.advance(10_000);
    stateStore.failNext('loadTopologies', new Error('ProvisionedThroughputExceededException'));
    database.described.length = 0;

    // Act
    await describeAll();

    // Assess
    expect(database.described).toContain('orders/eu-west-1:orders-eu-west-1-r1');
    expect(database.described).toContain('billing/eu-west-1:billing-eu-west-1');
  });

  it('describes the configured databases when the very first read fails', async () => {
    // Prepare
    const { stateStore, database, describeAll } = setUp(['orders']);
    stateStore.seed(reprotected('orders', PRIMARY, 'orders-eu-west-1-r1'));
    stateStore.failNext('loadTopologies', new Error('AccessDeniedException'));

    // Act
    await describeAll();

    // Assess
    expect(database.described).toContain('orders/eu-west-1:orders-eu-west-1');
  });

  it('learns the groups it was not told about, and reads them with the others from the next round on', async () => {
    // Prepare
    const { clock, stateStore, describeAll } = setUp(['orders', 'billing', 'ledger'], { known: false });
    await describeAll();
    const firstRound = stateStore.calls.loadTopologies;

    // Act
    clock.advance(10_000);
    await describeAll();

    // Assess
    expect(firstRound).toBe(3);
    expect(stateStore.calls.loadTopologies).toBe(firstRound + 1);
  });
});

import { describe, expect, it } from 'vitest';
import type { GroupConfig } from '../../src/config/schema.js';
import { orchestrateUntil, type Outcome } from '../../src/application/orchestrate.js';
import type { Database } from '../../src/ports/Database.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound } from './harness.js';

describe('orchestrateUntil', () => {
  it('keeps looking at other groups while one group polls a slow promotion', async () => {
    // Prepare: two groups with their own databases; the first one's primary is down and promotes slowly.
    const config = drillConfig((draft) => {
      const second = structuredClone(draft.groups[0]!);
      draft.groups.push({ ...second, id: 'billing', dns: { ...second.dns, recordName: 'billing.drill.internal' } });
    });
    const world = inMemoryWorld(config);
    const { clock } = world;
    const [orders, billing] = config.groups as [GroupConfig, GroupConfig];
    const databases = new Map<string, InMemoryDatabase>([
      [orders.id, new InMemoryDatabase(clock, { 'eu-west-1': { role: 'primary' }, 'us-east-1': { role: 'replica', replicaLagSeconds: 2 }, 'ap-southeast-2': { role: 'replica', replicaLagSeconds: 5 } }, 10 * 60_000)],
      [billing.id, world.deps.database],
    ]);
    const database: Database = {
      describe: (group, region) => databases.get(group.id)!.describe(group, region),
      fence: (group, region, mode) => databases.get(group.id)!.fence(group, region, mode),
      promote: (group, region, options) => databases.get(group.id)!.promote(group, region, options),
    };
    const deps = { ...world.deps, database };
    await confirmDown({ ...deps, database: databases.get(orders.id)! }, orders, [PRIMARY]);
    await probeRound({ ...deps, database: world.deps.database }, billing);
    const seen: { groupId: string; state: string; at: number }[] = [];

    // Act
    await orchestrateUntil(deps, {
      owner: 'lambda-1',
      deadline: clock.now() + 60_000,
      intervalMs: 5_000,
      minPassMs: 1_000,
      onOutcome: (outcome: Outcome) => seen.push({ groupId: outcome.groupId, state: 'state' in outcome ? outcome.state : 'error', at: clock.now() }),
    });

    // Assess
    const firstOrders = seen.findIndex((entry) => entry.groupId === orders.id);
    const billingBeforeIt = seen.slice(0, firstOrders).filter((entry) => entry.groupId === billing.id);
    expect(seen[firstOrders]?.state).toBe('failingOver.awaitingPromotion');
    expect(billingBeforeIt.length).toBeGreaterThan(1);
    expect(billingBeforeIt.every((entry) => entry.state === 'monitoring')).toBe(true);
  });
});

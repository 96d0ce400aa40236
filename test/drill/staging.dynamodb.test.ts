import { afterAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../src/adapters/sim/ManualClock.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import { DynamoDbDrillReportStore } from '../../src/adapters/aws/dynamodb/index.js';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/drill/dynamodbLocal.js';
import type { DrillReport } from '../../src/drill/report.js';
import { startStagingDrill } from '../../src/drill/stagingDrill.js';
import type { StoredDrill } from '../../src/ports/DrillReportStore.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { InMemoryDrillReportStore } from '../doubles/InMemoryDrillReportStore.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { drillConfig, FAR_REPLICA, PRIMARY, REPLICA, T0 } from '../application/harness.js';

const PRINCIPAL = 'arn:aws:iam::123456789012:user/drill-lead';
const clients: { destroy(): void }[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

async function tableOnLocal(name: string) {
  const stores = createDynamoDbStores({ tableName: name, endpoint: inject('dynamodbEndpoint'), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  clients.push(stores.client);
  await createTable(stores.client, name);
  return stores;
}

describe('a staging drill fault on DynamoDB Local', () => {
  it('fails the primary in the probes until it expires, then no longer', async () => {
    // Prepare
    const stores = await tableOnLocal('drill-fault-expiry');
    const clock = new ManualClock(T0);
    const config = drillConfig();
    const database = new InMemoryDatabase(clock, {
      [PRIMARY]: { role: 'primary' },
      [REPLICA]: { role: 'replica', replicaLagSeconds: 1 },
      [FAR_REPLICA]: { role: 'replica', replicaLagSeconds: 1 },
    });
    const probeDeps = { config, prober: new ScriptedProber(), database, observations: stores.observationStore, faults: stores.faultStore, clock };
    const staging = { config, stateStore: stores.stateStore, eventLog: stores.eventLog, faults: stores.faultStore, reports: new InMemoryDrillReportStore<DrillReport>(), clock };
    const drill = await startStagingDrill(staging, { groupId: 'orders', scenario: 'primary-region-outage', principalArn: PRINCIPAL, durationSeconds: 60 });
    const primaryOf = (round: Awaited<ReturnType<typeof runProbeRound>>) => round.regions.find((region) => region.region === PRIMARY);

    // Act
    await clock.advance(59_000);
    const during = await runProbeRound(probeDeps, { observerRegion: REPLICA });
    await clock.advance(1_000);
    const after = await runProbeRound(probeDeps, { observerRegion: REPLICA });

    // Assess
    expect(drill.expiresAt).toBe(T0 + 60_000);
    expect(primaryOf(during)?.ok).toBe(false);
    expect(primaryOf(during)?.failureReasons).toEqual(['drill fault injected: primary-region-outage']);
    expect(primaryOf(after)?.ok).toBe(true);
    expect(await stores.faultStore.active('orders', clock.now())).toEqual([]);
  });
});

describe('DrillReportStore', () => {
  const drill = (id: string, startedAt: number, groupId = 'orders'): StoredDrill<{ headline: string }> => ({
    id,
    groupId,
    scenario: 'primary-region-outage',
    principalArn: PRINCIPAL,
    region: PRIMARY,
    startedAt,
    faultExpiresAt: startedAt + 600_000,
    finishedAt: startedAt + 200_000,
    outcome: 'completed',
    failoverId: `fo-${id}`,
    report: { headline: `PASS ${id}` },
  });

  for (const [name, make] of [
    ['in memory', async () => new InMemoryDrillReportStore<{ headline: string }>()],
    ['on DynamoDB Local', async () => new DynamoDbDrillReportStore<{ headline: string }>((await tableOnLocal('drill-reports')).client, 'drill-reports')],
  ] as const) {
    it(`${name}: lists a group's drills newest first, with their reports, up to a limit; a second save replaces`, async () => {
      // Prepare
      const store = await make();
      await store.save(drill('b', T0 + 2_000));
      await store.save(drill('a', T0 + 1_000));
      await store.save(drill('c', T0 + 3_000));
      await store.save({ ...drill('b', T0 + 2_000), outcome: 'not-completed' });
      await store.save(drill('z', T0 + 9_000, 'payments'));

      // Act
      const all = await store.list('orders');
      const latest = await store.list('orders', { limit: 1 });

      // Assess
      expect(all.map((saved) => saved.id)).toEqual(['c', 'b', 'a']);
      expect(all[1]?.outcome).toBe('not-completed');
      expect(all[0]).toEqual(drill('c', T0 + 3_000));
      expect(latest.map((saved) => saved.id)).toEqual(['c']);
    });
  }
});

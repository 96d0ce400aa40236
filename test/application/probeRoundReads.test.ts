import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsDatabase } from '../../src/adapters/aws/database.js';
import { runProbeRound, type ProbeDeps } from '../../src/application/probeRound.js';
import { trackedDatabase } from '../../src/application/trackedDatabase.js';
import type { GroupConfig } from '../../src/config/schema.js';
import type { Prober } from '../../src/ports/Prober.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';
import { TestClock } from '../doubles/TestClock.js';
import { drillConfig, PRIMARY, T0 } from './harness.js';

/**
 * What a probe round asks of its stores and of the RDS API for a fleet, through the real AWS database adapter (RDS
 * and CloudWatch mocked: no local equivalent) and the in-memory stores: once per round, not once per group.
 */

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

type DescribeInput = { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[] };

const healthy: Prober = { probe: async (endpoints) => endpoints.map((endpoint) => ({ url: endpoint.url, ok: true, status: 200, latencyMs: 2 })) };

/** `count` groups like the drill's, each with its own instances: `g0-eu-west-1`, ... */
function fleetConfig(count: number) {
  return drillConfig((draft) => {
    const template = draft.groups[0]!;
    draft.groups = Array.from({ length: count }, (_, index) => {
      const group = structuredClone(template) as { -readonly [K in keyof GroupConfig]: GroupConfig[K] };
      group.id = `g${index}`;
      group.dns = { ...group.dns, recordName: `g${index}.drill.internal` };
      for (const [region, config] of Object.entries(group.regions)) {
        const database = config.database as { instanceId: string; instanceArn: string };
        database.instanceId = `g${index}-${region}`;
        database.instanceArn = `arn:aws:rds:${region}:000000000000:db:g${index}-${region}`;
      }
      return group as GroupConfig;
    });
  });
}

afterEach(() => {
  rds.reset();
  cloudWatch.reset();
});

describe('a probe round over a fleet', () => {
  it('reads the faults and the topologies once, and describes each region\'s instances with one RDS request', async () => {
    // Prepare
    const config = fleetConfig(30);
    const clock = new TestClock(T0);
    const stateStore = new InMemoryStateStore();
    const faults = new InMemoryFaultStore();
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => ({
      DBInstances: (input.DBInstanceIdentifier === undefined ? (input.Filters?.[0]?.Values ?? []) : [input.DBInstanceIdentifier]).map((id) => ({
        DBInstanceIdentifier: id,
        DBInstanceStatus: 'available',
        ...(id.endsWith(PRIMARY)
          ? { ReadReplicaDBInstanceIdentifiers: [`arn:aws:rds:us-east-1:000000000000:db:${id.split('-')[0]}-us-east-1`] }
          : { ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:${PRIMARY}:000000000000:db:${id.split('-')[0]}-${PRIMARY}` }),
      })),
    }));
    cloudWatch
      .on(GetMetricDataCommand)
      .callsFake(() => ({ MetricDataResults: [{ Id: 'm0', Values: [1], Timestamps: [new Date(clock.now() - 60_000)] }] }));
    const aws = new AwsDatabase({ rds: (region) => new RDSClient({ region }), cloudWatch: (region) => new CloudWatchClient({ region }), clock });
    const deps: ProbeDeps = {
      config,
      prober: healthy,
      database: trackedDatabase(aws, stateStore, clock, { groups: config.groups }),
      observations: new InMemoryObservationStore(),
      faults,
      clock,
    };

    // Act
    const round = await runProbeRound(deps, { observerRegion: 'us-east-1' });

    // Assess
    expect(round.errors).toEqual([]);
    expect(round.regions).toHaveLength(90);
    expect(round.regions.every((region) => region.ok)).toBe(true);
    expect(faults.calls).toMatchObject({ activeFor: 1, active: 0 });
    expect(stateStore.calls).toMatchObject({ loadTopologies: 1, load: 0 });
    const describes = rds.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input as DescribeInput);
    expect(describes).toHaveLength(3);
    expect(describes.map((input) => input.Filters?.[0]?.Values.length)).toEqual([30, 30, 30]);
  });
});

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { AwsDatabase } from '../../src/adapters/aws/database.js';
import { Route53Traffic } from '../../src/adapters/aws/route53/Route53Traffic.js';
import { SnsNotifier } from '../../src/adapters/aws/sns/SnsNotifier.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';
import { nextObserverReport } from '../../src/domain/observations.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';
import { PRIMARY, REPLICA } from '../application/harness.js';
import type { TestClock } from '../doubles/TestClock.js';

/** The drill group's RDS instance in `region` (the end-to-end tests use rds-instance groups). */
export function instanceOf(group: GroupConfig, region: string) {
  const database = group.regions[region]!.database;
  if (database.kind !== 'rds-instance') throw new Error('the drill group uses RDS instances');
  return database;
}

/** The CNAME value `region` is reached by. */
export function targetOf(group: GroupConfig, region: string): string {
  const target = group.regions[region]!.dnsTarget;
  if (target.type !== 'CNAME') throw new Error('the drill group uses CNAME records');
  return target.value;
}

/** The AWS adapters on SDK clients (mocked by the caller with aws-sdk-client-mock). */
export function awsEffects(clock: TestClock) {
  return {
    database: new AwsDatabase({ rds: (region) => new RDSClient({ region }), cloudWatch: (region) => new CloudWatchClient({ region }), clock }),
    traffic: new Route53Traffic((region) => new Route53Client({ region })),
    notifier: new SnsNotifier((region) => new SNSClient({ region })),
  };
}

/** CloudWatch answers a 2 s replica lag measured `lagAgeMs` ago; Route 53 answers the record's current value. */
export function mockLagAndRecord(
  mocks: { cloudWatch: AwsClientStub<CloudWatchClient>; route53: AwsClientStub<Route53Client> },
  group: GroupConfig,
  clock: TestClock,
  recordValue: () => string,
  lagAgeMs = 30_000,
): void {
  mocks.cloudWatch.on(GetMetricDataCommand).callsFake(() => ({
    MetricDataResults: [{ Id: 'm0', Values: [2], Timestamps: [new Date(clock.now() - lagAgeMs)] }],
  }));
  mocks.route53.on(ListResourceRecordSetsCommand).callsFake(() => ({
    ResourceRecordSets: [{ Name: `${group.dns.recordName}.`, Type: 'CNAME', TTL: 5, ResourceRecords: [{ Value: recordValue() }] }],
    IsTruncated: false,
    MaxItems: 1,
  }));
}

/**
 * One probe round from every observer, saved as the probe Lambdas would: `failingHttp` regions answer 503 while their
 * database still reports itself; the primary is a primary, us-east-1 lags 2 s, the others 5 s.
 */
export async function observerRound(
  deps: { config: ControlPlaneConfig; observations: ObservationStore },
  group: GroupConfig,
  clock: TestClock,
  failingHttp: readonly string[] = [],
): Promise<void> {
  for (const region of Object.keys(group.regions)) {
    for (const observerRegion of deps.config.fleet.observerRegions) {
      const previous = await deps.observations.get(group.id, region, observerRegion);
      const round = {
        observedAt: clock.now(),
        http: group.regions[region]!.healthEndpoints.map((endpoint) =>
          failingHttp.includes(region)
            ? { url: endpoint.url, ok: false, latencyMs: 1000, error: 'status 503 (expected 200)', status: 503 }
            : { url: endpoint.url, ok: true, status: 200, latencyMs: 3 },
        ),
        database: region === PRIMARY
          ? { ok: true, role: 'primary' as const, status: 'available' }
          : { ok: true, role: 'replica' as const, status: 'available', replicaLagSeconds: region === REPLICA ? 2 : 5 },
      };
      await deps.observations.put(nextObserverReport(previous, { groupId: group.id, region, observerRegion, round }));
    }
  }
}

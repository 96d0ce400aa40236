import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createOrchestrateHandler } from '../../handlers/orchestrate.js';
import { ORCHESTRATE_SAFETY_MARGIN_MS, PROBE_SAFETY_MARGIN_MS } from '../../src/domain/timing.js';
import { createProbeHandler } from '../../handlers/probe.js';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { HttpProber } from '../../src/adapters/http/HttpProber.js';
import { HealthServer } from '../../src/adapters/sim/HealthServer.js';
import type { ExecutorDeps } from '../../src/application/executor.js';
import type { ProbeDeps } from '../../src/application/probeRound.js';
import { drillConfig, PRIMARY, REPLICA, T0 } from '../application/harness.js';
import { TestClock } from '../doubles/TestClock.js';
import { captureOutput, lambdaContext, valuesOf } from '../handlers/support.js';
import { localClient } from '../support/dynamodbLocal.js';
import { awsEffects, instanceOf as instanceIn, mockLagAndRecord, targetOf as targetIn } from './support.js';

// The automatic path end to end, through the Lambda handlers: the probe handler (runProbeRounds with the real HTTP
// prober against health servers on 127.0.0.1, and the AWS database adapter) from every observer region → the
// orchestrate handler (the executor) → DynamoDB Local for every store (state, events, observations, commands, fleet
// ledger, faults) → the AWS adapters on mocked RDS, CloudWatch, Route 53 and SNS clients. The primary's application is
// down but its RDS API still answers, so the best-effort fence really happens.

const READ_ONLY = 'orders-read-only';
const config = drillConfig((draft) => {
  const group = draft.groups[0]!;
  group.policy.fencing = 'read-only-parameter-group';
  for (const region of Object.values(group.regions)) {
    if (region.database.kind === 'rds-instance') region.database.readOnlyParameterGroup = READ_ONLY;
  }
});
const group = config.groups[0]!;
const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const sns = mockClient(SNSClient);
const calls: string[] = [];

const instanceOf = (region: string) => instanceIn(group, region);
const targetOf = (region: string) => targetIn(group, region);

let client: DynamoDBClient;
let deps: ExecutorDeps;
let probeDeps: ProbeDeps;
let clock: TestClock;
const healthServers = new Map<string, HealthServer>();
const telemetry = () => ({
  logger: new Logger({ serviceName: 'failover-control-plane' }),
  metrics: new Metrics({ namespace: 'FailoverControlPlane', serviceName: 'failover-control-plane' }),
});
let output: ReturnType<typeof captureOutput>;
let fenced = false;
let promotionStartedAt: number | undefined;
let recordValue = targetOf(PRIMARY);

/** RDS as the API reports it; the promoted replica is standalone 30 s (clock time) after PromoteReadReplica. */
function instance(region: string): DBInstance {
  const { instanceId, instanceArn } = instanceOf(region);
  const parameterGroups = [{ DBParameterGroupName: region === PRIMARY && fenced ? READ_ONLY : 'default.postgres16', ParameterApplyStatus: 'in-sync' }];
  const base = { DBInstanceIdentifier: instanceId, DBInstanceArn: instanceArn, DBParameterGroups: parameterGroups };
  if (region === PRIMARY) return { ...base, DBInstanceStatus: 'available', ReadReplicaDBInstanceIdentifiers: [instanceOf(REPLICA).instanceArn] };
  if (region === REPLICA && promotionStartedAt !== undefined) {
    return clock.now() - promotionStartedAt >= 30_000 ? { ...base, DBInstanceStatus: 'available' } : { ...base, DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: instanceOf(PRIMARY).instanceArn };
  }
  return { ...base, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: instanceOf(PRIMARY).instanceArn };
}

beforeAll(async () => {
  client = localClient(inject('dynamodbEndpoint'));
  const tableName = `automatic-e2e-${process.pid}`;
  await createTable(client, tableName);
  const stores = createDynamoDbStores({ client, tableName });
  clock = new TestClock(T0);
  // Each region's health endpoint is a real HTTP server on 127.0.0.1; the configured URL points at it.
  for (const [region, regionConfig] of Object.entries(group.regions)) {
    const endpoint = regionConfig.healthEndpoints[0]!;
    const server = await HealthServer.start({ clock, answers: new Map([[new URL(endpoint.url).pathname, { status: endpoint.expectedStatus, body: endpoint.bodyContains ?? 'ok' }]]) });
    healthServers.set(region, server);
    regionConfig.healthEndpoints = [{ ...endpoint, url: server.urlFor(new URL(endpoint.url).pathname) }];
  }

  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    const region = Object.keys(group.regions).find((name) => instanceOf(name).instanceId === input.DBInstanceIdentifier)!;
    const described = instance(region);
    if (region === REPLICA && promotionStartedAt !== undefined && described.ReadReplicaSourceDBInstanceIdentifier === undefined) {
      calls.push('describe: standalone');
    }
    return { DBInstances: [described] };
  });
  rds.on(ModifyDBInstanceCommand).callsFake((input: { DBInstanceIdentifier: string; DBParameterGroupName: string }) => {
    calls.push(`fence ${input.DBInstanceIdentifier} ${input.DBParameterGroupName}`);
    fenced = true;
    return { DBInstance: instance(PRIMARY) };
  });
  rds.on(PromoteReadReplicaCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    calls.push(`promote ${input.DBInstanceIdentifier}`);
    promotionStartedAt = clock.now();
    return { DBInstance: instance(REPLICA) };
  });
  // The replica lag datapoint is a second old: fresh enough for the probe's reports to bound the data-loss window.
  mockLagAndRecord({ cloudWatch, route53 }, group, clock, () => recordValue, 1_000);
  route53.on(ChangeResourceRecordSetsCommand).callsFake((input: { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: { ResourceRecords: { Value: string }[] } }[] } }) => {
    const created = input.ChangeBatch.Changes.find((change) => change.Action === 'CREATE');
    recordValue = created!.ResourceRecordSet.ResourceRecords[0]!.Value;
    calls.push(`${input.ChangeBatch.Changes.map((change) => change.Action).join('+')} ${recordValue}`);
    return { ChangeInfo: { Id: '/change/C0AUTO', Status: 'PENDING', SubmittedAt: new Date(clock.now()) } };
  });
  let polls = 0;
  route53.on(GetChangeCommand).callsFake(() => {
    polls += 1;
    const status = polls >= 3 ? 'INSYNC' : 'PENDING';
    if (status === 'INSYNC') calls.push('INSYNC');
    return { ChangeInfo: { Id: '/change/C0AUTO', Status: status, SubmittedAt: new Date(T0) } };
  });
  sns.on(PublishCommand).callsFake((input: { MessageAttributes: Record<string, { StringValue: string }> }) => {
    calls.push(`notify ${input.MessageAttributes.eventType?.StringValue ?? '?'}`);
    return { MessageId: `m-${calls.length}` };
  });

  deps = {
    config,
    clock,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
    ...awsEffects(clock),
    prober: new HttpProber(),
    polling: { initialMs: 2_000, maxMs: 10_000, factor: 2 },
    safetyMarginMs: 1_000,
  };
  probeDeps = { config, clock, prober: deps.prober, database: deps.database, observations: stores.observationStore, faults: stores.faultStore };
});

afterAll(async () => {
  client.destroy();
  for (const mock of [rds, cloudWatch, route53, sns]) mock.restore();
  await Promise.all([...healthServers.values()].map((server) => server.close()));
});

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

/**
 * One invocation of the probe handler in every observer region. Each invocation has time for exactly one round:
 * the round's budget (its slowest endpoint timeout plus the margin) fits, a second round one interval later does not.
 */
async function probeFromEveryObserver(): Promise<void> {
  const oneRoundMs = PROBE_SAFETY_MARGIN_MS + Math.max(...Object.values(group.regions).map((region) => region.healthEndpoints[0]!.timeoutMs)) + 1_500;
  for (const observerRegion of config.fleet.observerRegions) {
    const probe = createProbeHandler({ load: async () => ({ deps: probeDeps, observerRegion }), ...telemetry() });
    const summary = await probe({}, lambdaContext(oneRoundMs, `probe-${observerRegion}-${clock.now()}`));
    expect(summary.rounds).toBe(1);
  }
}

describe('automatic failover through the probe and orchestrate handlers, on AWS adapters and DynamoDB Local', () => {
  it('fences, promotes, waits, switches DNS, waits for INSYNC and notifies, in that order, and records every timestamp', async () => {
    // Prepare: a healthy round from every observer, then the primary's application answers 503 for three rounds, one
    // probe interval apart. Its RDS API still answers.
    await probeFromEveryObserver();
    await healthServers.get(PRIMARY)!.setBehaviour({ kind: 'status', status: 503 });
    for (let round = 0; round < group.policy.failureThreshold; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await probeFromEveryObserver();
    }
    // One pass: its executor polls the promotion and the DNS change (clock time) until the failover is verified.
    const invocationMs = 3 * 60_000;
    const orchestrate = createOrchestrateHandler({ load: async () => deps, passIntervalMs: invocationMs, ...telemetry() });

    // Act
    const result = await orchestrate({}, lambdaContext(ORCHESTRATE_SAFETY_MARGIN_MS + invocationMs, 'orchestrate-1'));

    // Assess
    expect(result).toMatchObject({ passes: 1, outcomes: [{ groupId: group.id, state: 'failedOver' }] });
    // Each effect by its first occurrence (describe is polled again by verification): people are told first.
    const firstOccurrences = calls.filter((call, index) => calls.indexOf(call) === index);
    expect(firstOccurrences).toEqual([
      'notify failover-started',
      `fence ${instanceOf(PRIMARY).instanceId} ${READ_ONLY}`,
      `promote ${instanceOf(REPLICA).instanceId}`,
      'describe: standalone',
      `DELETE+CREATE ${targetOf(REPLICA)}`,
      'INSYNC',
      'notify failover-completed',
    ]);
    expect(calls.filter((call) => call.startsWith('promote') || call.startsWith('DELETE+CREATE') || call.startsWith('fence'))).toHaveLength(3);
    const [record] = await deps.eventLog.listFailovers(group.id);
    expect(record).toMatchObject({ from: PRIMARY, to: REPLICA, outcome: 'completed', replicaLagAtPromotionSeconds: 2, fenceOutcome: 'fenced', dnsChangeId: '/change/C0AUTO' });
    const stamps = record!.timestamps;
    for (const key of ['detectedAt', 'decidedAt', 'fencedAt', 'promotionStartedAt', 'promotedAt', 'trafficSwitchedAt', 'dnsInSyncAt', 'verifiedAt', 'completedAt'] as const) {
      expect(stamps[key], key).toBeTypeOf('number');
    }
    expect(stamps.promotedAt! - stamps.promotionStartedAt!).toBeGreaterThanOrEqual(30_000);
    expect(record!.rtoMs).toBe(stamps.completedAt! - stamps.detectedAt!);
    const metrics = output.metrics();
    // The probe's metrics are fleet-wide totals (no region dimension): only the primary's endpoints failed, three rounds
    // in each observer.
    expect(valuesOf(metrics, 'ProbeFailed', {}).reduce((sum, value) => sum + value, 0)).toBe(3 * config.fleet.observerRegions.length);
    expect(valuesOf(metrics, 'FailoverCompleted', { group: group.id })).toEqual([1]);
    expect(valuesOf(metrics, 'FailoverRto', { group: group.id })).toEqual([record!.rtoMs]);
  });
});

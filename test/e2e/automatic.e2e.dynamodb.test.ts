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
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import { drillConfig, PRIMARY, REPLICA, T0 } from '../application/harness.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { TestClock } from '../doubles/TestClock.js';
import { localClient } from '../support/dynamodbLocal.js';
import { awsEffects, instanceOf as instanceIn, mockLagAndRecord, observerRound, targetOf as targetIn } from './support.js';

// The automatic path end to end: observer reports → executor → DynamoDB Local for every store → the AWS adapters on
// mocked RDS, CloudWatch, Route 53 and SNS clients. The primary's application is down but its RDS API still answers,
// so the best-effort fence really happens.

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
let clock: TestClock;
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
  mockLagAndRecord({ cloudWatch, route53 }, group, clock, () => recordValue);
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
    prober: new ScriptedProber(),
    polling: { initialMs: 2_000, maxMs: 10_000, factor: 2 },
    safetyMarginMs: 1_000,
  };
});

afterAll(() => {
  client.destroy();
  for (const mock of [rds, cloudWatch, route53, sns]) mock.restore();
});

describe('automatic failover on AWS adapters and DynamoDB Local', () => {
  it('fences, promotes, waits, switches DNS, waits for INSYNC and notifies, in that order, and records every timestamp', async () => {
    // Prepare: three failing rounds from every observer, one probe interval apart.
    for (let round = 0; round < group.policy.failureThreshold; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await observerRound(deps, group, clock, [PRIMARY]);
    }

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'orchestrate-1', deadline: clock.now() + 10 * 60_000 });

    // Assess
    expect(outcome.state).toBe('failedOver');
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
  });
});

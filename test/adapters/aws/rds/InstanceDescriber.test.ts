import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { RdsInstanceDatabase } from '../../../../src/adapters/aws/rds/RdsInstanceDatabase.js';
import type { GroupConfig } from '../../../../src/config/schema.js';
import { RetryableStepError } from '../../../../src/domain/errors.js';
import { ACCOUNT, NOW, PRIMARY_INSTANCE_ARN, SECONDARY, awsError, instantClock, networkError, rdsGroup } from '../fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

type DescribeInput = { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[]; Marker?: string; MaxRecords?: number };

/** `count` groups like the fixture's, each with its own replica in SECONDARY: `g0-replica`, `g1-replica`, ... */
function groups(count: number): GroupConfig[] {
  return Array.from({ length: count }, (_, index) => {
    const group = structuredClone(rdsGroup) as { -readonly [K in keyof GroupConfig]: GroupConfig[K] };
    group.id = `g${index}`;
    const database = group.regions[SECONDARY]!.database as { instanceId: string; instanceArn: string };
    database.instanceId = `g${index}-replica`;
    database.instanceArn = `arn:aws:rds:${SECONDARY}:${ACCOUNT}:db:g${index}-replica`;
    return group as GroupConfig;
  });
}

function replica(identifier: string, status = 'available'): DBInstance {
  return { DBInstanceIdentifier: identifier, DBInstanceStatus: status, ReadReplicaSourceDBInstanceIdentifier: PRIMARY_INSTANCE_ARN };
}

function build() {
  return new RdsInstanceDatabase({
    rds: (region) => new RDSClient({ region }),
    lag: new LatestMetric((region) => new CloudWatchClient({ region }), { clock: instantClock() }),
  });
}

function describeInputs(): DescribeInput[] {
  return rds.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input as DescribeInput);
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
  cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [3], Timestamps: [new Date(NOW - 60_000)] }] });
});

describe('RdsInstanceDatabase.describe, coalesced per region', () => {
  it("sends the describes of one tick in one region as one request, and answers each caller its own instance's state", async () => {
    // Prepare
    const fleet = groups(5);
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => ({
      DBInstances: (input.Filters?.[0]?.Values ?? []).map((id) => replica(id, id === 'g3-replica' ? 'modifying' : 'available')),
    }));
    const database = build();

    // Act
    const states = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(describeInputs()).toEqual([
      { Filters: [{ Name: 'db-instance-id', Values: ['g0-replica', 'g1-replica', 'g2-replica', 'g3-replica', 'g4-replica'] }], MaxRecords: 100 },
    ]);
    expect(states.map((state) => state.status)).toEqual(['available', 'available', 'available', 'modifying', 'available']);
    expect(states.every((state) => state.role === 'replica' && state.region === SECONDARY)).toBe(true);
  });

  it('answers not-found to the caller whose instance RDS does not describe, and their own state to the others', async () => {
    // Prepare
    const fleet = groups(3);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica('g0-replica'), replica('g2-replica')] });
    const database = build();

    // Act
    const states = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
    expect(states.map((state) => state.status)).toEqual(['available', 'not-found', 'available']);
    expect(states[1]).toEqual({ region: SECONDARY, role: 'unknown', status: 'not-found', writable: false });
  });

  it('follows the Marker to the next page when RDS answers a batch in pages', async () => {
    // Prepare
    const fleet = groups(3);
    // The SDK's paginator reuses one input object, so each request is recorded as it is sent.
    const asked: { marker?: string; values: number }[] = [];
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => {
      asked.push({ ...(input.Marker === undefined ? {} : { marker: input.Marker }), values: input.Filters?.[0]?.Values.length ?? 0 });
      return input.Marker === undefined
        ? { DBInstances: [replica('g0-replica'), replica('g1-replica')], Marker: 'page-2' }
        : { DBInstances: [replica('g2-replica', 'backing-up')] };
    });
    const database = build();

    // Act
    const states = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(asked).toEqual([{ values: 3 }, { marker: 'page-2', values: 3 }]);
    expect(states.map((state) => state.status)).toEqual(['available', 'available', 'backing-up']);
  });

  it('asks for at most 100 identifiers in one request', async () => {
    // Prepare
    const fleet = groups(250);
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => ({ DBInstances: (input.Filters?.[0]?.Values ?? []).map((id) => replica(id)) }));
    const database = build();

    // Act
    const states = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(describeInputs().map((input) => input.Filters?.[0]?.Values.length)).toEqual([100, 100, 50]);
    expect(states.every((state) => state.status === 'available')).toBe(true);
  });

  it('fails every caller of a throttled batch as its own describe would fail: unknown to the probe, never a failure of the region', async () => {
    // Prepare
    const fleet = groups(2);
    rds.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException', 400));
    const database = build();

    // Act
    const outcomes = await Promise.allSettled(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const [index, outcome] of outcomes.entries()) {
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(RetryableStepError);
      expect(reason.message).toContain(`rds:DescribeDBInstances on arn:aws:rds:${SECONDARY}:${ACCOUNT}:db:g${index}-replica`);
    }
  });

  it('describes one by one, from then on, in a region where the role may not make a filtered describe', async () => {
    // Prepare: IAM authorizes the filtered form against db:*, which a role scoped to the named instances lacks.
    const fleet = groups(3);
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => {
      if (input.Filters !== undefined) throw awsError('AccessDenied', 403, `not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:${SECONDARY}:${ACCOUNT}:db:*`);
      return { DBInstances: input.DBInstanceIdentifier === 'g1-replica' ? [] : [replica(input.DBInstanceIdentifier!)] };
    });
    const database = build();

    // Act
    const first = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));
    const firstRequests = describeInputs().length;
    const second = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(first.map((state) => state.status)).toEqual(['available', 'not-found', 'available']);
    expect(second.map((state) => state.status)).toEqual(['available', 'not-found', 'available']);
    expect(firstRequests).toBe(4);
    expect(describeInputs().slice(firstRequests)).toEqual([
      { DBInstanceIdentifier: 'g0-replica' },
      { DBInstanceIdentifier: 'g1-replica' },
      { DBInstanceIdentifier: 'g2-replica' },
    ]);
  });

  it('answers unreachable to every caller of a batch whose region cannot be reached', async () => {
    // Prepare
    const fleet = groups(2);
    rds.on(DescribeDBInstancesCommand).rejects(networkError());
    const database = build();

    // Act
    const states = await Promise.all(fleet.map((group) => database.describe(group, SECONDARY)));

    // Assess
    expect(states.map((state) => state.status)).toEqual(['unreachable', 'unreachable']);
  });

  it('describes a lone instance by its identifier, and sends describes of different ticks separately', async () => {
    // Prepare
    const [first, second] = groups(2);
    rds.on(DescribeDBInstancesCommand).callsFake((input: DescribeInput) => ({ DBInstances: [replica(input.DBInstanceIdentifier!)] }));
    const database = build();

    // Act
    await database.describe(first!, SECONDARY);
    await database.describe(second!, SECONDARY);

    // Assess
    expect(describeInputs()).toEqual([{ DBInstanceIdentifier: 'g0-replica' }, { DBInstanceIdentifier: 'g1-replica' }]);
  });

  it('asks once for an instance that several callers of one tick describe, and answers each of them', async () => {
    // Prepare
    const [group] = groups(1);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica('g0-replica')] });
    const database = build();

    // Act
    const states = await Promise.all([database.describe(group!, SECONDARY), database.describe(group!, SECONDARY)]);

    // Assess
    expect(describeInputs()).toEqual([{ DBInstanceIdentifier: 'g0-replica' }]);
    expect(states.map((state) => state.status)).toEqual(['available', 'available']);
  });
});

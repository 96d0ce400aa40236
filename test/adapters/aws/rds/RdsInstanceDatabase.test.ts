import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { RdsInstanceDatabase } from '../../../../src/adapters/aws/rds/RdsInstanceDatabase.js';
import type { GroupConfig } from '../../../../src/config/schema.js';
import { FatalStepError, RetryableStepError } from '../../../../src/domain/errors.js';
import type { PromoteOptions } from '../../../../src/ports/Database.js';
import {
  NOW,
  PRIMARY,
  PRIMARY_INSTANCE_ARN,
  SECONDARY,
  SECONDARY_INSTANCE_ARN,
  awsError,
  instantClock,
  networkError,
  rdsGroup,
} from '../fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

const replica: DBInstance = {
  DBInstanceIdentifier: 'orders-eu-central',
  DBInstanceStatus: 'available',
  ReadReplicaSourceDBInstanceIdentifier: PRIMARY_INSTANCE_ARN,
  DBParameterGroups: [{ DBParameterGroupName: 'orders-default', ParameterApplyStatus: 'in-sync' }],
};
const primary: DBInstance = {
  DBInstanceIdentifier: 'orders-eu-west',
  DBInstanceStatus: 'available',
  ReadReplicaDBInstanceIdentifiers: [SECONDARY_INSTANCE_ARN],
  DBParameterGroups: [{ DBParameterGroupName: 'orders-default', ParameterApplyStatus: 'in-sync' }],
};
const standalone: DBInstance = { ...replica, ReadReplicaSourceDBInstanceIdentifier: undefined };

const promotion: PromoteOptions = { failoverId: 'f-42', planned: false, allowDataLoss: true, fromRegion: PRIMARY };

function build(clock = instantClock()) {
  const regionsAsked: string[] = [];
  const database = new RdsInstanceDatabase({
    rds: (region) => {
      regionsAsked.push(region);
      return new RDSClient({ region });
    },
    lag: new LatestMetric((region) => new CloudWatchClient({ region }), { clock }),
  });
  return { database, regionsAsked, clock };
}

function lagDatapoints(values: number[]) {
  return {
    MetricDataResults: [
      { Id: 'm0', Values: values, Timestamps: values.map((_, index) => new Date(NOW - (index + 1) * 60_000)) },
    ],
  };
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
});

describe('RdsInstanceDatabase.describe', () => {
  it('reports a cross-region replica with its source region and the newest ReplicaLag datapoint with its timestamp', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    cloudWatch.on(GetMetricDataCommand).resolves(lagDatapoints([4, 2]));
    const { database, regionsAsked } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toEqual({
      region: SECONDARY,
      role: 'replica',
      status: 'available',
      writable: false,
      fenced: false,
      sourceRegion: PRIMARY,
      replicaLagSeconds: 4,
      replicaLagMeasuredAt: NOW - 60_000,
    });
    expect(regionsAsked).toEqual([SECONDARY]);
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-eu-central' });
    expect(cloudWatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(NOW - 5 * 60_000),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'm0',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'ReplicaLag',
              Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-eu-central' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('reports a primary with replicas as writable and reads no lag', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [primary] });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toEqual({ region: PRIMARY, role: 'primary', status: 'available', writable: true, fenced: false });
    expect(cloudWatch).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('reports an instance without source or replicas as standalone', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [standalone] });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toMatchObject({ role: 'standalone', writable: true });
  });

  it('takes a same-region source identifier as a source in the same region', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ ...replica, ReadReplicaSourceDBInstanceIdentifier: 'orders-local-source' }],
    });
    cloudWatch.on(GetMetricDataCommand).resolves(lagDatapoints([1]));
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state.sourceRegion).toBe(SECONDARY);
  });

  it('leaves the lag unknown when the newest datapoint is -1, even if an older one was not', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    cloudWatch.on(GetMetricDataCommand).resolves(lagDatapoints([-1, 3]));
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state.role).toBe('replica');
    expect(state.replicaLagSeconds).toBeUndefined();
  });

  it('leaves the lag unknown when CloudWatch has no recent datapoint', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'm0', Values: [], Timestamps: [] }] });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state.replicaLagSeconds).toBeUndefined();
  });

  it('leaves the lag unknown when CloudWatch in the region is unreachable', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    cloudWatch.on(GetMetricDataCommand).rejects(networkError('ETIMEDOUT'));
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toMatchObject({ role: 'replica', status: 'available' });
    expect(state.replicaLagSeconds).toBeUndefined();
  });

  it('fails with the missing IAM action when CloudWatch denies GetMetricData', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    cloudWatch.on(GetMetricDataCommand).rejects(awsError('AccessDenied', 403));
    const { database } = build();

    // Act
    const outcome = database.describe(rdsGroup, SECONDARY);

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(/cloudwatch:GetMetricData on \* \(AWS\/RDS ReplicaLag\)/);
  });

  it('answers an unreachable region as a state with status unreachable instead of throwing', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(networkError('ECONNREFUSED'));
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toEqual({ region: PRIMARY, role: 'unknown', status: 'unreachable', writable: false });
  });

  it('reports a stopped instance as fenced and not writable', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...primary, DBInstanceStatus: 'stopped' }] });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toMatchObject({ role: 'primary', status: 'stopped', writable: false, fenced: true });
  });

  it('reports an instance with the read-only parameter group as fenced and not writable', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ ...primary, DBParameterGroups: [{ DBParameterGroupName: 'orders-read-only', ParameterApplyStatus: 'applying' }] }],
    });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toMatchObject({ status: 'available', writable: false, fenced: true });
  });

  it('answers an instance RDS does not know as status not-found instead of throwing', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 404));
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toEqual({ region: SECONDARY, role: 'unknown', status: 'not-found', writable: false });
  });

  it('answers an empty DescribeDBInstances answer as status not-found', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    const { database } = build();

    // Act
    const state = await database.describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toEqual({ region: SECONDARY, role: 'unknown', status: 'not-found', writable: false });
  });

  it('lets a throttled DescribeDBInstances fail as retryable: the probe round counts it as unknown', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException', 400));
    const { database } = build();

    // Act
    const outcome = database.describe(rdsGroup, SECONDARY);

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
    await expect(outcome).rejects.toThrow(`throttled past the SDK's retries: rds:DescribeDBInstances on ${SECONDARY_INSTANCE_ARN}`);
  });
});

describe('RdsInstanceDatabase.promote', () => {
  it('promotes an available replica with PromoteReadReplica in its own region', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    rds.on(PromoteReadReplicaCommand).resolves({});
    const { database, regionsAsked } = build();

    // Act
    const outcome = await database.promote(rdsGroup, SECONDARY, promotion);

    // Assess
    expect(outcome).toBe('started');
    expect(rds).toHaveReceivedCommandExactlyOnceWith(PromoteReadReplicaCommand, { DBInstanceIdentifier: 'orders-eu-central' });
    expect(new Set(regionsAsked)).toEqual(new Set([SECONDARY]));
  });

  it('does not call PromoteReadReplica for an instance that is already standalone', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...standalone, DBInstanceStatus: 'modifying' }] });
    const { database } = build();

    // Act
    const outcome = await database.promote(rdsGroup, SECONDARY, promotion);

    // Assess
    expect(outcome).toBe('already-promoted');
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });

  it.each(['modifying', 'rebooting', 'backing-up'])(
    'answers in-progress without a call for a replica that is %s',
    async (status) => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: status }] });
      const { database } = build();

      // Act
      const outcome = await database.promote(rdsGroup, SECONDARY, promotion);

      // Assess
      expect(outcome).toBe('in-progress');
      expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    },
  );

  it('turns an invalid instance state into a retryable error', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    rds.on(PromoteReadReplicaCommand).rejects(awsError('InvalidDBInstanceStateFault'));
    const { database } = build();

    // Act
    const outcome = database.promote(rdsGroup, SECONDARY, promotion);

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
  });

  it('turns access denied into a fatal error naming rds:PromoteReadReplica and the instance ARN', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica] });
    rds.on(PromoteReadReplicaCommand).rejects(awsError('AccessDenied', 403));
    const { database } = build();

    // Act
    const outcome = database.promote(rdsGroup, SECONDARY, promotion);

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(`rds:PromoteReadReplica on ${SECONDARY_INSTANCE_ARN}`);
  });

  it('turns an unreachable target region into a retryable error', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(networkError());
    const { database } = build();

    // Act
    const outcome = database.promote(rdsGroup, SECONDARY, promotion);

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });
});

describe('RdsInstanceDatabase.fence', () => {
  it('skips fencing mode none without any call', async () => {
    // Prepare
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'none');

    // Assess
    expect(outcome).toBe('skipped');
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('stops the old primary with StopDBInstance', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [primary] });
    rds.on(StopDBInstanceCommand).resolves({});
    const { database, regionsAsked } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'stop-instance');

    // Assess
    expect(outcome).toBe('fenced');
    expect(rds).toHaveReceivedCommandExactlyOnceWith(StopDBInstanceCommand, { DBInstanceIdentifier: 'orders-eu-west' });
    expect(new Set(regionsAsked)).toEqual(new Set([PRIMARY]));
  });

  it.each(['stopped', 'stopping'])('answers already-fenced for a %s instance without a call', async (status) => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...primary, DBInstanceStatus: status }] });
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'stop-instance');

    // Assess
    expect(outcome).toBe('already-fenced');
    expect(rds).not.toHaveReceivedCommand(StopDBInstanceCommand);
  });

  it('applies the read-only parameter group immediately with ModifyDBInstance', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [primary] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'read-only-parameter-group');

    // Assess
    expect(outcome).toBe('fenced');
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'orders-eu-west',
      DBParameterGroupName: 'orders-read-only',
      ApplyImmediately: true,
    });
  });

  it('answers already-fenced when the read-only parameter group is already applied', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ ...primary, DBParameterGroups: [{ DBParameterGroupName: 'orders-read-only', ParameterApplyStatus: 'in-sync' }] }],
    });
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'read-only-parameter-group');

    // Assess
    expect(outcome).toBe('already-fenced');
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('answers unreachable when the old primary region cannot be described', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(networkError('ETIMEDOUT'));
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'stop-instance');

    // Assess
    expect(outcome).toBe('unreachable');
    expect(rds).not.toHaveReceivedCommand(StopDBInstanceCommand);
  });

  it('answers unreachable when the fencing call itself cannot reach the region', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [primary] });
    rds.on(StopDBInstanceCommand).rejects(awsError('InternalFailure', 503));
    const { database } = build();

    // Act
    const outcome = await database.fence(rdsGroup, PRIMARY, 'stop-instance');

    // Assess
    expect(outcome).toBe('unreachable');
  });

  it('turns access denied on StopDBInstance into a fatal error naming the action', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [primary] });
    rds.on(StopDBInstanceCommand).rejects(awsError('AccessDenied', 403));
    const { database } = build();

    // Act
    const outcome = database.fence(rdsGroup, PRIMARY, 'stop-instance');

    // Assess
    await expect(outcome).rejects.toThrow(`rds:StopDBInstance on ${PRIMARY_INSTANCE_ARN}`);
  });

  it('refuses read-only fencing when the region has no read-only parameter group configured', async () => {
    // Prepare
    const group: GroupConfig = structuredClone(rdsGroup);
    const database = group.regions[PRIMARY]?.database;
    if (database?.kind === 'rds-instance') delete database.readOnlyParameterGroup;
    const { database: adapter } = build();

    // Act
    const outcome = adapter.fence(group, PRIMARY, 'read-only-parameter-group');

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});


import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { RdsInstanceDatabase } from '../../../../src/adapters/aws/rds/RdsInstanceDatabase.js';
import { replicaIdentity, withLiveTopology } from '../../../../src/domain/liveTopology.js';
import { FatalStepError } from '../../../../src/domain/errors.js';
import { ACCOUNT, NOW, PRIMARY, PRIMARY_INSTANCE_ARN, SECONDARY, awsError, instantClock, rdsGroup } from '../fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

/** After a failover eu-west-1 → eu-central-1: reprotect eu-west-1 with a replica of the new primary. */
const spec = { identifier: 'orders-eu-west-r1', sourceRegion: SECONDARY, operationId: 'cmd-reprotect-1' };
const SOURCE_ARN = `arn:aws:rds:${SECONDARY}:${ACCOUNT}:db:orders-eu-central`;

function build() {
  const regionsAsked: string[] = [];
  const database = new RdsInstanceDatabase({
    rds: (region) => {
      regionsAsked.push(region);
      return new RDSClient({ region });
    },
    lag: new LatestMetric((region) => new CloudWatchClient({ region }), { clock: instantClock() }),
  });
  return { database, regionsAsked };
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
});

describe('RdsInstanceDatabase.createReplica', () => {
  it('creates a cross-region read replica of the primary, copying the class, network and KMS key of the instance it replaces', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: spec.identifier }).rejects(awsError('DBInstanceNotFoundFault', 404));
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-eu-west' }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'orders-eu-west',
          DBInstanceClass: 'db.r6g.large',
          DBSubnetGroup: { DBSubnetGroupName: 'orders-private' },
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0123' }],
          StorageEncrypted: true,
          KmsKeyId: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/abc`,
        },
      ],
    });
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});
    const { database, regionsAsked } = build();

    // Act
    const outcome = await database.createReplica(rdsGroup, PRIMARY, spec);

    // Assess
    expect(outcome).toBe('created');
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 1);
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, {
      DBInstanceIdentifier: spec.identifier,
      SourceDBInstanceIdentifier: SOURCE_ARN,
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'orders-private',
      VpcSecurityGroupIds: ['sg-0123'],
      KmsKeyId: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/abc`,
      Tags: [
        { Key: 'fcp:group', Value: 'orders' },
        { Key: 'fcp:reprotect', Value: 'cmd-reprotect-1' },
      ],
    });
    expect(new Set(regionsAsked)).toEqual(new Set([PRIMARY]));
  });

  it('answers exists and creates nothing when an instance by that name is already there (a crashed run asked for it)', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: spec.identifier }).resolves({
      DBInstances: [{ DBInstanceIdentifier: spec.identifier, DBInstanceStatus: 'creating' }],
    });
    const { database } = build();

    // Act
    const outcome = await database.createReplica(rdsGroup, PRIMARY, spec);

    // Assess
    expect(outcome).toBe('exists');
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('answers exists when RDS says the instance already exists, and uses RDS defaults when the old instance is gone', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 404));
    rds.on(CreateDBInstanceReadReplicaCommand).rejects(awsError('DBInstanceAlreadyExistsFault'));
    const { database } = build();

    // Act
    const outcome = await database.createReplica(rdsGroup, PRIMARY, spec);

    // Assess
    expect(outcome).toBe('exists');
    const input = rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0]?.args[0].input;
    expect(input).toEqual({ DBInstanceIdentifier: spec.identifier, SourceDBInstanceIdentifier: SOURCE_ARN, Tags: expect.any(Array) });
  });

  it('fails with the IAM action to grant when access is denied', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 404));
    rds.on(CreateDBInstanceReadReplicaCommand).rejects(awsError('AccessDenied', 403));
    const { database } = build();

    // Act
    const attempt = database.createReplica(rdsGroup, PRIMARY, spec);

    // Assess
    await expect(attempt).rejects.toThrow(FatalStepError);
    await expect(attempt).rejects.toThrow(/grant rds:CreateDBInstanceReadReplica/);
  });

  it('describes the instance a reprotect put in place of the configured one', async () => {
    // Prepare
    const identity = replicaIdentity(rdsGroup, PRIMARY, 1)!;
    const live = withLiveTopology(rdsGroup, {
      databases: { [PRIMARY]: { ...identity, generation: 1, since: NOW, commandId: 'cmd-reprotect-1' } },
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: identity.identifier, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN }],
    });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { database } = build();

    // Act
    const state = await database.describe(live, PRIMARY);

    // Assess
    expect(identity).toEqual({ identifier: 'orders-eu-west-r1', arn: PRIMARY_INSTANCE_ARN.replace(/orders-eu-west$/, 'orders-eu-west-r1') });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-eu-west-r1' });
    expect(state).toMatchObject({ role: 'replica', sourceRegion: SECONDARY });
    expect(JSON.stringify(cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input)).toContain('"Value":"orders-eu-west-r1"');
  });
});

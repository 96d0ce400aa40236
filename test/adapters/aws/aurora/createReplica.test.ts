import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuroraGlobalDatabase } from '../../../../src/adapters/aws/aurora/AuroraGlobalDatabase.js';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { replicaIdentity, withDatabase } from '../../../../src/domain/liveTopology.js';
import { FatalStepError } from '../../../../src/domain/errors.js';
import { ACCOUNT, AURORA_PRIMARY, AURORA_SECONDARY, AURORA_PRIMARY_CLUSTER_ARN, awsError, auroraGroup, instantClock } from '../fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

/** The secondary region lost its cluster: re-add one, a replica of the writer in us-east-2. */
const spec = { identifier: 'ledger-west-r1', sourceRegion: AURORA_PRIMARY, operationId: 'cmd-reprotect-1' };

function build() {
  return new AuroraGlobalDatabase({
    rds: (region) => new RDSClient({ region }),
    lag: new LatestMetric((region) => new CloudWatchClient({ region }), { clock: instantClock() }),
  });
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
  rds.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [{ GlobalClusterIdentifier: 'ledger-global', Engine: 'aurora-postgresql', EngineVersion: '16.4', GlobalClusterMembers: [] }],
  });
});

describe('AuroraGlobalDatabase.createReplica', () => {
  it('adds a secondary cluster to the global cluster and one instance in it, with the old cluster network and the writer class', async () => {
    // Prepare: the region's old cluster is still described (network, KMS); it has no instance left.
    rds.on(DescribeDBClustersCommand).rejects(awsError('DBClusterNotFoundFault', 404));
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'ledger-west' }).resolves({
      DBClusters: [{ DBClusterIdentifier: 'ledger-west', DBSubnetGroup: 'ledger-private', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-9' }], StorageEncrypted: true, KmsKeyId: 'key-west', Engine: 'aurora-postgresql', DBClusterMembers: [] }],
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'ledger-east' }).resolves({
      DBClusters: [{ DBClusterIdentifier: 'ledger-east', DBClusterMembers: [{ DBInstanceIdentifier: 'ledger-east-1', IsClusterWriter: true }] }],
    });
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 404));
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'ledger-east-1' }).resolves({ DBInstances: [{ DBInstanceClass: 'db.r7g.xlarge' }] });
    rds.on(CreateDBClusterCommand).resolves({});
    rds.on(CreateDBInstanceCommand).resolves({});

    // Act
    const outcome = await build().createReplica(auroraGroup, AURORA_SECONDARY, spec);

    // Assess
    expect(outcome).toBe('created');
    expect(rds).toHaveReceivedCommandTimes(CreateDBClusterCommand, 1);
    expect(rds).toHaveReceivedCommandWith(CreateDBClusterCommand, {
      DBClusterIdentifier: 'ledger-west-r1',
      GlobalClusterIdentifier: 'ledger-global',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroupName: 'ledger-private',
      VpcSecurityGroupIds: ['sg-9'],
      KmsKeyId: 'key-west',
    });
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: 'ledger-west-r1-1',
      DBClusterIdentifier: 'ledger-west-r1',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r7g.xlarge',
    });
  });

  it('creates nothing when the cluster and its instance exist (a crashed run asked for them)', async () => {
    // Prepare
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'ledger-west-r1', Engine: 'aurora-postgresql' }] });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'ledger-west-r1-1', DBInstanceClass: 'db.r7g.xlarge' }] });

    // Act
    const outcome = await build().createReplica(auroraGroup, AURORA_SECONDARY, spec);

    // Assess
    expect(outcome).toBe('exists');
    expect(rds).not.toHaveReceivedCommand(CreateDBClusterCommand);
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
  });

  it('fails with the IAM action to grant when creating the cluster is denied', async () => {
    // Prepare
    rds.on(DescribeDBClustersCommand).rejects(awsError('DBClusterNotFoundFault', 404));
    rds.on(CreateDBClusterCommand).rejects(awsError('AccessDenied', 403));

    // Act
    const attempt = build().createReplica(auroraGroup, AURORA_SECONDARY, spec);

    // Assess
    await expect(attempt).rejects.toThrow(FatalStepError);
    await expect(attempt).rejects.toThrow(/grant rds:CreateDBCluster/);
  });

  it('sees the new cluster as a replica of the writer once it is a member of the global cluster', async () => {
    // Prepare
    const identity = replicaIdentity(auroraGroup, AURORA_SECONDARY, 1)!;
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          Status: 'available',
          GlobalClusterMembers: [
            { DBClusterArn: AURORA_PRIMARY_CLUSTER_ARN, IsWriter: true },
            { DBClusterArn: identity.arn, IsWriter: false },
          ],
        },
      ],
    });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const state = await build().describe(withDatabase(auroraGroup, AURORA_SECONDARY, identity), AURORA_SECONDARY);

    // Assess
    expect(identity).toEqual({ identifier: 'ledger-west-r1', arn: `arn:aws:rds:${AURORA_SECONDARY}:${ACCOUNT}:cluster:ledger-west-r1` });
    expect(state).toMatchObject({ role: 'replica', status: 'available', sourceRegion: AURORA_PRIMARY });
  });
});

import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsDatabase } from '../../../src/adapters/aws/database.js';
import { FatalStepError } from '../../../src/domain/errors.js';
import {
  AURORA_PRIMARY_CLUSTER_ARN,
  AURORA_SECONDARY,
  AURORA_SECONDARY_CLUSTER_ARN,
  PRIMARY,
  auroraGroup,
  instantClock,
  rdsGroup,
} from './fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

function build(clock = instantClock()) {
  return new AwsDatabase({
    rds: (region) => new RDSClient({ region }),
    cloudWatch: (region) => new CloudWatchClient({ region }),
    clock,
  });
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
});

describe('AwsDatabase', () => {
  it('describes an rds-instance region with DescribeDBInstances', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });

    // Act
    const state = await build().describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toMatchObject({ role: 'standalone', writable: true });
    expect(rds).toHaveReceivedCommandOnce(DescribeDBInstancesCommand);
    expect(rds).not.toHaveReceivedCommand(DescribeGlobalClustersCommand);
  });

  it('describes an aurora-global region with DescribeGlobalClusters', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          Status: 'available',
          GlobalClusterMembers: [
            { DBClusterArn: AURORA_PRIMARY_CLUSTER_ARN, IsWriter: false },
            { DBClusterArn: AURORA_SECONDARY_CLUSTER_ARN, IsWriter: true },
          ],
        },
      ],
    });

    // Act
    const state = await build().describe(auroraGroup, AURORA_SECONDARY);

    // Assess
    expect(state).toMatchObject({ role: 'primary', writable: true });
    expect(rds).toHaveReceivedCommandOnce(DescribeGlobalClustersCommand);
    expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
  });

  it('fails for a region that is not part of the group', async () => {
    // Act
    const outcome = build().describe(rdsGroup, 'ap-southeast-2');

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});

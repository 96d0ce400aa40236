import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import type { GlobalCluster } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuroraGlobalDatabase } from '../../../../src/adapters/aws/aurora/AuroraGlobalDatabase.js';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { FatalStepError } from '../../../../src/domain/errors.js';
import type { PromoteOptions } from '../../../../src/ports/Database.js';
import {
  AURORA_PRIMARY,
  AURORA_PRIMARY_CLUSTER_ARN,
  AURORA_SECONDARY,
  AURORA_SECONDARY_CLUSTER_ARN,
  GLOBAL_CLUSTER_ARN,
  NOW,
  auroraGroup,
  awsError,
  instantClock,
  networkError,
} from '../fixtures.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

const globalCluster: GlobalCluster = {
  GlobalClusterIdentifier: 'ledger-global',
  Status: 'available',
  GlobalClusterMembers: [
    { DBClusterArn: AURORA_PRIMARY_CLUSTER_ARN, IsWriter: true, Readers: [AURORA_SECONDARY_CLUSTER_ARN] },
    { DBClusterArn: AURORA_SECONDARY_CLUSTER_ARN, IsWriter: false, GlobalWriteForwardingStatus: 'disabled' },
  ],
};
const switchedOver: GlobalCluster = {
  ...globalCluster,
  GlobalClusterMembers: [
    { DBClusterArn: AURORA_PRIMARY_CLUSTER_ARN, IsWriter: false },
    { DBClusterArn: AURORA_SECONDARY_CLUSTER_ARN, IsWriter: true },
  ],
};

const planned: PromoteOptions = { failoverId: 'f-7', planned: true, allowDataLoss: false, fromRegion: AURORA_PRIMARY };
const unplanned: PromoteOptions = { failoverId: 'f-8', planned: false, allowDataLoss: true, fromRegion: AURORA_PRIMARY };

function build() {
  const regionsAsked: string[] = [];
  const database = new AuroraGlobalDatabase({
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

describe('AuroraGlobalDatabase.describe', () => {
  it('reports a secondary cluster as a replica of the writer region with its lag in seconds', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'm0', Values: [850], Timestamps: [new Date(NOW - 60_000)] },
        { Id: 'm1', Values: [2000], Timestamps: [new Date(NOW - 60_000)] },
      ],
    });
    const { database, regionsAsked } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_SECONDARY);

    // Assess
    expect(state).toEqual({
      region: AURORA_SECONDARY,
      role: 'replica',
      status: 'available',
      writable: false,
      sourceRegion: AURORA_PRIMARY,
      replicaLagSeconds: 0.85,
      replicaLagMeasuredAt: NOW - 60_000,
    });
    expect(new Set(regionsAsked)).toEqual(new Set([AURORA_SECONDARY]));
    expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'ledger-global' });
    const queries = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    expect(queries.map((query) => [query.MetricStat?.Metric?.MetricName, query.MetricStat?.Metric?.Dimensions])).toEqual([
      ['AuroraGlobalDBReplicationLag', [{ Name: 'DBClusterIdentifier', Value: 'ledger-west' }]],
      ['AuroraGlobalDBRPOLag', [{ Name: 'DBClusterIdentifier', Value: 'ledger-west' }]],
    ]);
  });

  it('falls back to AuroraGlobalDBRPOLag when the replication lag metric has no datapoint', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'm0', Values: [], Timestamps: [] },
        { Id: 'm1', Values: [3000], Timestamps: [new Date(NOW - 60_000)] },
      ],
    });
    const { database } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_SECONDARY);

    // Assess
    expect(state.replicaLagSeconds).toBe(3);
  });

  it('reports the writer member as a writable primary', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    const { database } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_PRIMARY);

    // Assess
    expect(state).toEqual({ region: AURORA_PRIMARY, role: 'primary', status: 'available', writable: true });
    expect(cloudWatch).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('reports a writer whose global cluster is switching over as not writable', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [{ ...switchedOver, Status: 'switching-over' }] });
    const { database } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_SECONDARY);

    // Assess
    expect(state).toMatchObject({ role: 'primary', status: 'switching-over', writable: false });
  });

  it('answers an unreachable region as a state with status unreachable', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).rejects(networkError('ENOTFOUND'));
    const { database } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_PRIMARY);

    // Assess
    expect(state).toEqual({ region: AURORA_PRIMARY, role: 'unknown', status: 'unreachable', writable: false });
  });

  it('answers a global cluster RDS does not know as status not-found instead of throwing', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).rejects(awsError('GlobalClusterNotFoundFault', 404));
    const { database } = build();

    // Act
    const state = await database.describe(auroraGroup, AURORA_SECONDARY);

    // Assess
    expect(state).toEqual({ region: AURORA_SECONDARY, role: 'unknown', status: 'not-found', writable: false });
  });

  it('still fails a promotion with the global cluster ARN when the global cluster does not exist', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).rejects(awsError('GlobalClusterNotFoundFault', 404));
    const { database } = build();

    // Act
    const outcome = database.promote(auroraGroup, AURORA_SECONDARY, { failoverId: 'f-1', planned: true, allowDataLoss: false, fromRegion: AURORA_PRIMARY });

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(`rds:DescribeGlobalClusters on ${GLOBAL_CLUSTER_ARN}`);
  });
});

describe('AuroraGlobalDatabase.promote', () => {
  it('switches over a planned promotion with SwitchoverGlobalCluster from the target region', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    rds.on(SwitchoverGlobalClusterCommand).resolves({});
    const { database, regionsAsked } = build();

    // Act
    const outcome = await database.promote(auroraGroup, AURORA_SECONDARY, planned);

    // Assess
    expect(outcome).toBe('started');
    expect(rds).toHaveReceivedCommandExactlyOnceWith(SwitchoverGlobalClusterCommand, {
      GlobalClusterIdentifier: 'ledger-global',
      TargetDbClusterIdentifier: AURORA_SECONDARY_CLUSTER_ARN,
    });
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(new Set(regionsAsked)).toEqual(new Set([AURORA_SECONDARY]));
  });

  it('fails over an unplanned promotion with AllowDataLoss when data loss is allowed', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    rds.on(FailoverGlobalClusterCommand).resolves({});
    const { database } = build();

    // Act
    const outcome = await database.promote(auroraGroup, AURORA_SECONDARY, unplanned);

    // Assess
    expect(outcome).toBe('started');
    expect(rds).toHaveReceivedCommandExactlyOnceWith(FailoverGlobalClusterCommand, {
      GlobalClusterIdentifier: 'ledger-global',
      TargetDbClusterIdentifier: AURORA_SECONDARY_CLUSTER_ARN,
      AllowDataLoss: true,
    });
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
  });

  it('refuses an unplanned promotion without data loss allowed and calls nothing', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    const { database } = build();

    // Act
    const outcome = database.promote(auroraGroup, AURORA_SECONDARY, { ...unplanned, allowDataLoss: false });

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(/needs data loss allowed/);
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
  });

  it('answers already-promoted without a call when the target is already the writer', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [switchedOver] });
    const { database } = build();

    // Act
    const outcome = await database.promote(auroraGroup, AURORA_SECONDARY, planned);

    // Assess
    expect(outcome).toBe('already-promoted');
    expect(rds).toHaveReceivedCommandTimes(DescribeGlobalClustersCommand, 1);
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
  });

  it.each([
    ['a status of failing-over', { ...globalCluster, Status: 'failing-over' }],
    ['a status of switching-over', { ...globalCluster, Status: 'switching-over' }],
    ['a pending failover state', { ...globalCluster, FailoverState: { Status: 'pending' as const } }],
  ])('answers in-progress without a call for a global cluster with %s', async (_label, cluster) => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [cluster] });
    const { database } = build();

    // Act
    const outcome = await database.promote(auroraGroup, AURORA_SECONDARY, unplanned);

    // Assess
    expect(outcome).toBe('in-progress');
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
  });

  it('turns access denied on SwitchoverGlobalCluster into a fatal error naming the action', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster] });
    rds.on(SwitchoverGlobalClusterCommand).rejects(awsError('AccessDenied', 403));
    const { database } = build();

    // Act
    const outcome = database.promote(auroraGroup, AURORA_SECONDARY, planned);

    // Assess
    await expect(outcome).rejects.toThrow(`rds:SwitchoverGlobalCluster on ${GLOBAL_CLUSTER_ARN}`);
  });
});

describe('AuroraGlobalDatabase.fence', () => {
  it('skips fencing without a call: the global switchover or failover demotes the old writer', async () => {
    // Prepare
    const { database } = build();

    // Act
    const outcome = await database.fence(auroraGroup, AURORA_PRIMARY, 'stop-instance');

    // Assess
    expect(outcome).toBe('skipped');
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});

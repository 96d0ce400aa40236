import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import type { GlobalCluster, RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseConfig, GroupConfig } from '../../../config/schema.js';
import type { FencingMode, RegionName } from '../../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../../domain/errors.js';
import type { Database, DatabaseState, FenceOutcome, PromoteOptions, PromoteOutcome } from '../../../ports/Database.js';
import type { EffectOptions } from '../../../ports/EffectOptions.js';
import { parseArn, resourceIdOf } from '../arn.js';
import { abandonedIfAborted, perRegion, sendOptions } from '../clientConfig.js';
import type { LatestMetric } from '../cloudwatch/LatestMetric.js';
import { databaseConfigOf } from '../databaseConfig.js';
import { isUnreachableError, throwMapped } from '../errors.js';
import type { AwsCallContext } from '../errors.js';

type AuroraGlobalConfig = Extract<DatabaseConfig, { kind: 'aurora-global' }>;

export interface AuroraGlobalDatabaseOptions {
  /** An RDS client for a region; the composition root passes real clients, tests mocked ones. */
  readonly rds: (region: RegionName) => RDSClient;
  readonly lag: LatestMetric;
}

/** Global cluster statuses during which a writer change is under way. */
const WRITER_CHANGING = new Set(['failing-over', 'switching-over']);
/** `FailoverState.Status` values of a failover or switchover that has not finished. */
const FAILOVER_UNDER_WAY = new Set(['pending', 'failing-over']);

/**
 * An Aurora Global Database (`kind: aurora-global`) behind the Database port: each region of the group is one
 * member cluster; the writer is the member with `IsWriter`. Calls go to the RDS endpoint of the region asked
 * about, so promoting a secondary never depends on the failed primary region's endpoint.
 */
export class AuroraGlobalDatabase implements Database {
  readonly #rds: (region: RegionName) => RDSClient;
  readonly #lag: LatestMetric;

  constructor(options: AuroraGlobalDatabaseOptions) {
    this.#rds = perRegion(options.rds);
    this.#lag = options.lag;
  }

  /**
   * The member cluster's role (writer = primary), the global cluster's status, and for a secondary its
   * replication lag (`AuroraGlobalDBReplicationLag`, else `AuroraGlobalDBRPOLag`; milliseconds turned to seconds).
   *
   * @example
   * const state = await database.describe(group, 'us-west-2'); // { role: 'replica', sourceRegion: 'us-east-1', ... }
   */
  async describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    const config = databaseConfigOf(group, region, 'aurora-global');
    let globalCluster: GlobalCluster;
    try {
      globalCluster = await this.#describeGlobalCluster(group, region, config);
    } catch (error) {
      if (isUnreachableError(error)) return { region, role: 'unknown', status: 'unreachable', writable: false };
      throwMapped(error, this.#context(group, region, config, 'rds:DescribeGlobalClusters'));
    }
    const state = stateOf(region, globalCluster, config);
    if (state.role !== 'replica') return state;
    const lag = await this.#lag.read(
      region,
      ['AuroraGlobalDBReplicationLag', 'AuroraGlobalDBRPOLag'].map((metricName) => ({
        namespace: 'AWS/RDS',
        metricName,
        dimensions: { DBClusterIdentifier: resourceIdOf(config.clusterArn) },
      })),
      group.id,
    );
    return lag === undefined ? state : { ...state, replicaLagSeconds: lag.value / 1000 };
  }

  /**
   * Aurora needs no separate fence: a switchover or failover of the global cluster demotes the old writer itself.
   *
   * @example
   * await database.fence(group, 'us-east-1', 'stop-instance'); // 'skipped'
   */
  async fence(_group: GroupConfig, _region: RegionName, _mode: FencingMode): Promise<FenceOutcome> {
    return 'skipped';
  }

  /**
   * Makes the cluster in `region` the global writer. Planned: `SwitchoverGlobalCluster` (waits for the secondary to
   * catch up, no data loss). Unplanned: `FailoverGlobalCluster` with `AllowDataLoss`, only when the caller allowed
   * data loss (the executor does for every unplanned failover: it passed the lag guard, so it accepted at most the
   * lag budget's loss, or an operator accepted more). Observes first: already the writer → `already-promoted`; a
   * writer change to this very cluster under way → `in-progress`. A writer change to another cluster is refused
   * (retryable): it is not this promotion.
   *
   * @example
   * await database.promote(group, 'us-west-2', { failoverId, planned: true, allowDataLoss: false, fromRegion: 'us-east-1' }); // 'started'
   */
  async promote(group: GroupConfig, region: RegionName, options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome> {
    const config = databaseConfigOf(group, region, 'aurora-global');
    const where = { groupId: group.id, region, step: 'promoting' };
    const call = async <T>(action: string, send: () => Promise<T>): Promise<T> => {
      try {
        return await send();
      } catch (error) {
        abandonedIfAborted(effect, where, error);
        throwMapped(error, this.#context(group, region, config, action, 'promoting'));
      }
    };
    const globalCluster = await call('rds:DescribeGlobalClusters', () =>
      this.#describeGlobalCluster(group, region, config, effect),
    );
    const member = memberOf(globalCluster, config);
    if (member?.IsWriter === true) return 'already-promoted';
    if (writerChanging(globalCluster)) {
      if (globalCluster.FailoverState?.ToDbClusterArn === config.clusterArn) return 'in-progress';
      throw new RetryableStepError(
        `group ${group.id}: global cluster ${config.globalClusterId} is changing its writer to another cluster ` +
          `(${globalCluster.FailoverState?.ToDbClusterArn ?? 'unknown'}), not to ${region}`,
        where,
      );
    }
    abandonedIfAborted(effect, where);
    const target = { GlobalClusterIdentifier: config.globalClusterId, TargetDbClusterIdentifier: config.clusterArn };
    if (options.planned) {
      await call('rds:SwitchoverGlobalCluster', () =>
        this.#rds(region).send(new SwitchoverGlobalClusterCommand(target), sendOptions(effect)),
      );
      return 'started';
    }
    if (!options.allowDataLoss) {
      throw new FatalStepError(
        `group ${group.id}: an unplanned Aurora global failover to ${region} loses the writes not yet replicated, ` +
          'so it needs data loss allowed (allowDataLoss); without it, use a planned switchover while the primary is healthy',
        { groupId: group.id, region, step: 'promoting' },
      );
    }
    await call('rds:FailoverGlobalCluster', () =>
      this.#rds(region).send(new FailoverGlobalClusterCommand({ ...target, AllowDataLoss: true }), sendOptions(effect)),
    );
    return 'started';
  }

  async #describeGlobalCluster(
    group: GroupConfig,
    region: RegionName,
    config: AuroraGlobalConfig,
    effect?: EffectOptions,
  ): Promise<GlobalCluster> {
    const output = await this.#rds(region).send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: config.globalClusterId }),
      sendOptions(effect),
    );
    const globalCluster = output.GlobalClusters?.[0];
    if (globalCluster === undefined) {
      throw new FatalStepError(
        `not found: rds:DescribeGlobalClusters on ${globalClusterArn(config)} returned no global cluster`,
        { groupId: group.id, region },
      );
    }
    return globalCluster;
  }

  #context(group: GroupConfig, region: RegionName, config: AuroraGlobalConfig, action: string, step?: string): AwsCallContext {
    return { action, resource: globalClusterArn(config), groupId: group.id, region, step };
  }
}

/** Global clusters have no region in their ARN: `arn:aws:rds::<account>:global-cluster:<id>`. */
function globalClusterArn(config: AuroraGlobalConfig): string {
  const cluster = parseArn(config.clusterArn);
  return cluster === undefined
    ? config.globalClusterId
    : `arn:${cluster.partition}:rds::${cluster.account}:global-cluster:${config.globalClusterId}`;
}

function memberOf(globalCluster: GlobalCluster, config: AuroraGlobalConfig) {
  return globalCluster.GlobalClusterMembers?.find((member) => member.DBClusterArn === config.clusterArn);
}

function writerChanging(globalCluster: GlobalCluster): boolean {
  const failoverStatus = globalCluster.FailoverState?.Status;
  return (
    WRITER_CHANGING.has(globalCluster.Status ?? '') || (failoverStatus !== undefined && FAILOVER_UNDER_WAY.has(failoverStatus))
  );
}

function stateOf(region: RegionName, globalCluster: GlobalCluster, config: AuroraGlobalConfig): DatabaseState {
  // A failover can be recorded in FailoverState before the cluster's Status leaves `available`.
  const reportedStatus = globalCluster.Status ?? 'unknown';
  const status = reportedStatus === 'available' && writerChanging(globalCluster) ? 'failing-over' : reportedStatus;
  const member = memberOf(globalCluster, config);
  if (member === undefined) {
    // Detached from the global cluster (or never joined): it may be a writer of its own, but not of this group.
    return { region, role: 'unknown', status: 'not-a-member', writable: false };
  }
  if (member.IsWriter === true) {
    return { region, role: 'primary', status, writable: status === 'available' };
  }
  const writer = globalCluster.GlobalClusterMembers?.find((candidate) => candidate.IsWriter === true);
  const sourceRegion = writer?.DBClusterArn === undefined ? undefined : parseArn(writer.DBClusterArn)?.region;
  return sourceRegion === undefined
    ? { region, role: 'replica', status, writable: false }
    : { region, role: 'replica', status, writable: false, sourceRegion };
}

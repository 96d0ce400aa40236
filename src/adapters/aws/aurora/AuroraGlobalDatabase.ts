import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import type { DBCluster, GlobalCluster, RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseConfig, GroupConfig } from '../../../config/schema.js';
import type { FencingMode, RegionName } from '../../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../../domain/errors.js';
import type {
  CreateReplicaOutcome,
  Database,
  DatabaseState,
  DescribeOptions,
  FenceOutcome,
  PromoteOptions,
  PromoteOutcome,
  ReplicaSpec,
} from '../../../ports/Database.js';
import type { EffectOptions } from '../../../ports/EffectOptions.js';
import { parseArn, resourceIdOf } from '../arn.js';
import { abandonedIfAborted, perRegion, sendOptions } from '../clientConfig.js';
import type { LatestMetric } from '../cloudwatch/LatestMetric.js';
import { databaseConfigOf } from '../databaseConfig.js';
import { isNotFoundError, isUnreachableError, mapAwsErrors, throwMapped } from '../errors.js';
import type { AwsCallContext } from '../errors.js';

type AuroraGlobalConfig = Extract<DatabaseConfig, { kind: 'aurora-global' }>;

/** DescribeGlobalClusters answered with no cluster: fatal for a step, an observation (`not-found`) for `describe`. */
class GlobalClusterNotFoundError extends FatalStepError {}

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
   * replication lag (`AuroraGlobalDBReplicationLag`, else `AuroraGlobalDBRPOLag`; milliseconds turned to seconds)
   * with the datapoint's timestamp. A global cluster RDS does not know answers `status: 'not-found'`.
   *
   * @example
   * const state = await database.describe(group, 'us-west-2'); // { role: 'replica', sourceRegion: 'us-east-1', ... }
   */
  async describe(group: GroupConfig, region: RegionName, options: DescribeOptions = {}): Promise<DatabaseState> {
    const config = databaseConfigOf(group, region, 'aurora-global');
    let globalCluster: GlobalCluster;
    try {
      globalCluster = await this.#describeGlobalCluster(group, region, config);
    } catch (error) {
      if (isUnreachableError(error)) return { region, role: 'unknown', status: 'unreachable', writable: false };
      if (error instanceof GlobalClusterNotFoundError || isNotFoundError(error)) {
        return { region, role: 'unknown', status: 'not-found', writable: false };
      }
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
      options.lag,
    );
    return lag === undefined ? state : { ...state, replicaLagSeconds: lag.value / 1000, replicaLagMeasuredAt: lag.at };
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

  /**
   * Adds a secondary cluster named `spec.identifier` in `region` to the global cluster (`CreateDBCluster` with
   * `GlobalClusterIdentifier`, the global cluster's engine and version), then one instance `<identifier>-1` in it
   * (`CreateDBInstance`) so it can serve reads and be failed over to. Both observe first, so a retry creates neither
   * twice; an instance RDS refuses while the cluster is still being created is a retryable error (next run).
   * Network and encryption settings are copied from the region's current cluster (the one it replaces) when RDS
   * still describes it; the instance class from its first instance, else from the primary cluster's.
   * Managed global failover re-adds the old primary region by itself once it recovers: reprotect is for a region
   * whose cluster was detached or lost.
   *
   * @example
   * await database.createReplica(group, 'us-west-2', { identifier: 'orders-usw2-r1', sourceRegion: 'us-east-1', operationId: 'cmd-1' }); // 'created'
   */
  async createReplica(group: GroupConfig, region: RegionName, spec: ReplicaSpec): Promise<CreateReplicaOutcome> {
    const config = databaseConfigOf(group, region, 'aurora-global');
    const source = databaseConfigOf(group, spec.sourceRegion, 'aurora-global');
    const context = (action: string) => this.#context(group, region, config, action, 'reprotect');
    const rds = this.#rds(region);
    let created = false;
    const cluster = await mapAwsErrors(context('rds:DescribeDBClusters'), () => findCluster(rds, spec.identifier));
    const template = await mapAwsErrors(context('rds:DescribeDBClusters'), () => findCluster(rds, resourceIdOf(config.clusterArn)));
    if (cluster === undefined) {
      const globalCluster = await mapAwsErrors(context('rds:DescribeGlobalClusters'), () => this.#describeGlobalCluster(group, region, config));
      const securityGroups = (template?.VpcSecurityGroups ?? []).flatMap((group) => (group.VpcSecurityGroupId === undefined ? [] : [group.VpcSecurityGroupId]));
      try {
        await rds.send(
          new CreateDBClusterCommand({
            DBClusterIdentifier: spec.identifier,
            GlobalClusterIdentifier: config.globalClusterId,
            Engine: globalCluster.Engine,
            EngineVersion: globalCluster.EngineVersion,
            ...(template?.DBSubnetGroup === undefined ? {} : { DBSubnetGroupName: template.DBSubnetGroup }),
            ...(securityGroups.length === 0 ? {} : { VpcSecurityGroupIds: securityGroups }),
            ...(template?.StorageEncrypted === true && template.KmsKeyId !== undefined ? { KmsKeyId: template.KmsKeyId } : {}),
            Tags: tagsOf(group, spec),
          }),
        );
        created = true;
      } catch (error) {
        if (errorName(error) !== 'DBClusterAlreadyExistsFault') throwMapped(error, context('rds:CreateDBCluster'));
      }
    }
    const instanceId = `${spec.identifier.slice(0, 61)}-1`;
    const instance = await mapAwsErrors(context('rds:DescribeDBInstances'), () => findInstanceClass(rds, instanceId));
    if (instance === undefined) {
      const instanceClass =
        (await mapAwsErrors(context('rds:DescribeDBInstances'), () => firstInstanceClass(rds, template))) ??
        (await mapAwsErrors(context('rds:DescribeDBInstances'), async () =>
          firstInstanceClass(this.#rds(spec.sourceRegion), await findCluster(this.#rds(spec.sourceRegion), resourceIdOf(source.clusterArn))),
        ));
      try {
        await rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: instanceId,
            DBClusterIdentifier: spec.identifier,
            Engine: template?.Engine ?? cluster?.Engine ?? (await this.#describeGlobalCluster(group, region, config)).Engine,
            DBInstanceClass: instanceClass,
            Tags: tagsOf(group, spec),
          }),
        );
        created = true;
      } catch (error) {
        if (errorName(error) !== 'DBInstanceAlreadyExistsFault') throwMapped(error, context('rds:CreateDBInstance'));
      }
    }
    return created ? 'created' : 'exists';
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
      throw new GlobalClusterNotFoundError(
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

function tagsOf(group: GroupConfig, spec: ReplicaSpec) {
  return [
    { Key: 'fcp:group', Value: group.id },
    { Key: 'fcp:reprotect', Value: spec.operationId },
  ];
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : undefined;
}

async function findCluster(rds: RDSClient, identifier: string): Promise<DBCluster | undefined> {
  try {
    return (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }))).DBClusters?.[0];
  } catch (error) {
    if (errorName(error) === 'DBClusterNotFoundFault') return undefined;
    throw error;
  }
}

/** The class of the instance named `identifier`, or undefined when there is no such instance. */
async function findInstanceClass(rds: RDSClient, identifier: string): Promise<string | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0]?.DBInstanceClass ?? 'unknown';
  } catch (error) {
    if (errorName(error) === 'DBInstanceNotFoundFault') return undefined;
    throw error;
  }
}

async function firstInstanceClass(rds: RDSClient, cluster: DBCluster | undefined): Promise<string | undefined> {
  const member = cluster?.DBClusterMembers?.[0]?.DBInstanceIdentifier;
  return member === undefined ? undefined : findInstanceClass(rds, member);
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

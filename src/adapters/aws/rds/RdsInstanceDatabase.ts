import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseConfig, GroupConfig } from '../../../config/schema.js';
import type { FencingMode, RegionName } from '../../../domain/types.js';
import { FatalStepError } from '../../../domain/errors.js';
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
import { parseArn } from '../arn.js';
import type { LatestMetric } from '../cloudwatch/LatestMetric.js';
import { abandonedIfAborted, perRegion, sendOptions } from '../clientConfig.js';
import { databaseConfigOf } from '../databaseConfig.js';
import { isNotFoundError, isUnreachableError, mapAwsErrors, throwMapped } from '../errors.js';
import type { AwsCallContext } from '../errors.js';
import { InstanceDescriber } from './InstanceDescriber.js';

type RdsInstanceConfig = Extract<DatabaseConfig, { kind: 'rds-instance' }>;

/** DescribeDBInstances answered with no instance: fatal for a step, an observation (`not-found`) for `describe`. */
class InstanceNotFoundError extends FatalStepError {}

export interface RdsInstanceDatabaseOptions {
  /** An RDS client for a region; the composition root passes real clients, tests mocked ones. */
  readonly rds: (region: RegionName) => RDSClient;
  readonly lag: LatestMetric;
}

const STOPPED = new Set(['stopped', 'stopping']);

/**
 * A cross-region RDS read replica (`kind: rds-instance`) behind the Database port.
 * Every action describes the instance first, so repeating a step after a crash changes nothing twice.
 */
export class RdsInstanceDatabase implements Database {
  readonly #rds: (region: RegionName) => RDSClient;
  readonly #lag: LatestMetric;
  /** Observations only: the describes of a probe round share requests. An effect's describe is its own request. */
  readonly #describer: InstanceDescriber;

  constructor(options: RdsInstanceDatabaseOptions) {
    this.#rds = perRegion(options.rds);
    this.#lag = options.lag;
    this.#describer = new InstanceDescriber(this.#rds);
  }

  /**
   * The instance's role, status and replica lag with the time it was measured (the CloudWatch datapoint's timestamp).
   * A region whose RDS endpoint cannot be reached answers `status: 'unreachable'`, and an instance RDS does not know
   * answers `status: 'not-found'`, rather than throwing: those are observations, not failures of the caller.
   * What each status means as evidence is decided in `src/domain/databaseStatus.ts`, not here. The describes of one
   * tick in one region are sent together (`InstanceDescriber`); an API error fails each of them as its own would.
   *
   * @example
   * const state = await database.describe(group, 'eu-central-1');
   * if (state.role === 'replica') console.log(`${state.replicaLagSeconds ?? '?'} s behind ${state.sourceRegion}`);
   */
  async describe(group: GroupConfig, region: RegionName, options: DescribeOptions = {}): Promise<DatabaseState> {
    const config = databaseConfigOf(group, region, 'rds-instance');
    let instance: DBInstance;
    try {
      instance = await this.#observeInstance(group, region, config);
    } catch (error) {
      if (isUnreachableError(error)) return { region, role: 'unknown', status: 'unreachable', writable: false };
      if (error instanceof InstanceNotFoundError || isNotFoundError(error)) {
        return { region, role: 'unknown', status: 'not-found', writable: false };
      }
      throwMapped(error, this.#context(group, region, config, 'rds:DescribeDBInstances'));
    }
    const state = stateOf(region, instance, config);
    if (state.role !== 'replica') return state;
    const lag = await this.#lag.read(
      region,
      [{ namespace: 'AWS/RDS', metricName: 'ReplicaLag', dimensions: { DBInstanceIdentifier: config.instanceId } }],
      group.id,
      options.lag,
    );
    return lag === undefined ? state : { ...state, replicaLagSeconds: lag.value, replicaLagMeasuredAt: lag.at };
  }

  /**
   * Stops writes on the old primary, best effort: an unreachable region answers `unreachable`, never throws.
   * Both calls carry the effect's abort signal; a call abandoned at the deadline throws (retryable), it is not taken
   * for an unreachable region.
   *
   * @example
   * await database.fence(group, 'eu-west-1', 'stop-instance'); // 'fenced', then 'already-fenced' on a retry
   */
  async fence(group: GroupConfig, region: RegionName, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> {
    if (mode === 'none') return 'skipped';
    const config = databaseConfigOf(group, region, 'rds-instance');
    const readOnlyGroup = config.readOnlyParameterGroup;
    if (mode === 'read-only-parameter-group' && readOnlyGroup === undefined) {
      throw new FatalStepError(
        `group ${group.id} region ${region}: fencing is read-only-parameter-group but database.readOnlyParameterGroup is not set`,
        { groupId: group.id, region, step: 'fencing' },
      );
    }
    const where = { groupId: group.id, region, step: 'fencing' };
    let instance: DBInstance;
    try {
      instance = await this.#describeInstance(group, region, config, effect);
    } catch (error) {
      abandonedIfAborted(effect, where, error);
      if (isUnreachableError(error)) return 'unreachable';
      throwMapped(error, this.#context(group, region, config, 'rds:DescribeDBInstances', 'fencing'));
    }
    if (stateOf(region, instance, config).fenced === true) return 'already-fenced';
    abandonedIfAborted(effect, where);
    const action = mode === 'stop-instance' ? 'rds:StopDBInstance' : 'rds:ModifyDBInstance';
    try {
      await this.#rds(region).send(
        mode === 'stop-instance'
          ? new StopDBInstanceCommand({ DBInstanceIdentifier: config.instanceId })
          : new ModifyDBInstanceCommand({
              DBInstanceIdentifier: config.instanceId,
              DBParameterGroupName: readOnlyGroup,
              ApplyImmediately: true,
            }),
        sendOptions(effect),
      );
    } catch (error) {
      abandonedIfAborted(effect, where, error);
      if (isUnreachableError(error)) return 'unreachable';
      throwMapped(error, this.#context(group, region, config, action, 'fencing'));
    }
    return 'fenced';
  }

  /**
   * Promotes the replica in `region` to a standalone instance. Observes first: an instance that is no longer a
   * replica is `already-promoted`. Every other replica gets the promote call, whatever its status: a replica that is
   * `backing-up` or `modifying` is not thereby being promoted, and RDS refuses the call (`InvalidDBInstanceState`,
   * retryable) when it cannot promote yet. So `started` always means RDS answered the call. The caller then polls
   * `describe` until the instance is writable. RDS has one kind of promotion, so `planned` and `allowDataLoss`
   * change nothing here: the machine weighed the replica lag before deciding to promote.
   *
   * @example
   * await database.promote(group, 'eu-central-1', { failoverId, planned: false, allowDataLoss: true, fromRegion: 'eu-west-1' }); // 'started'
   */
  async promote(group: GroupConfig, region: RegionName, _options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome> {
    const config = databaseConfigOf(group, region, 'rds-instance');
    const where = { groupId: group.id, region, step: 'promoting' };
    const describeContext = this.#context(group, region, config, 'rds:DescribeDBInstances', 'promoting');
    const instance = await this.#effectCall(effect, where, describeContext, () =>
      this.#describeInstance(group, region, config, effect),
    );
    const state = stateOf(region, instance, config);
    if (state.role === 'standalone' || state.role === 'primary') return 'already-promoted';
    abandonedIfAborted(effect, where);
    await this.#effectCall(effect, where, this.#context(group, region, config, 'rds:PromoteReadReplica', 'promoting'), () =>
      this.#rds(region).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: config.instanceId }), sendOptions(effect)),
    );
    return 'started';
  }

  /**
   * Creates `spec.identifier` in `region`, a cross-region read replica of the primary's instance in `spec.sourceRegion`
   * (`CreateDBInstanceReadReplica` called in `region` with the source's ARN; outside GovCloud no pre-signed URL is needed).
   * Observes first: an instance with that identifier answers `exists`, and so does RDS's DBInstanceAlreadyExists.
   * The new replica copies the instance class, subnet group, security groups and KMS key of the region's current
   * instance (the one it replaces) when RDS still describes it; otherwise RDS's defaults apply (the source's class,
   * the default subnet group), and an encrypted source then needs that instance to exist for its KMS key.
   *
   * @example
   * await database.createReplica(group, 'eu-west-1', { identifier: 'orders-eu-r1', sourceRegion: 'us-east-1', operationId: 'cmd-1' }); // 'created'
   */
  async createReplica(group: GroupConfig, region: RegionName, spec: ReplicaSpec): Promise<CreateReplicaOutcome> {
    const config = databaseConfigOf(group, region, 'rds-instance');
    const source = databaseConfigOf(group, spec.sourceRegion, 'rds-instance');
    const describeContext = this.#context(group, region, config, 'rds:DescribeDBInstances', 'reprotect');
    if ((await mapAwsErrors(describeContext, () => this.#findInstance(region, spec.identifier))) !== undefined) return 'exists';
    const template = await mapAwsErrors(describeContext, () => this.#findInstance(region, config.instanceId));
    const securityGroups = (template?.VpcSecurityGroups ?? []).flatMap((group) => (group.VpcSecurityGroupId === undefined ? [] : [group.VpcSecurityGroupId]));
    const command = new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: spec.identifier,
      SourceDBInstanceIdentifier: source.instanceArn,
      ...(template?.DBInstanceClass === undefined ? {} : { DBInstanceClass: template.DBInstanceClass }),
      ...(template?.DBSubnetGroup?.DBSubnetGroupName === undefined ? {} : { DBSubnetGroupName: template.DBSubnetGroup.DBSubnetGroupName }),
      ...(securityGroups.length === 0 ? {} : { VpcSecurityGroupIds: securityGroups }),
      ...(template?.StorageEncrypted === true && template.KmsKeyId !== undefined ? { KmsKeyId: template.KmsKeyId } : {}),
      Tags: [
        { Key: 'fcp:group', Value: group.id },
        { Key: 'fcp:reprotect', Value: spec.operationId },
      ],
    });
    try {
      await this.#rds(region).send(command);
    } catch (error) {
      if (errorName(error) === 'DBInstanceAlreadyExistsFault' || errorName(error) === 'DBInstanceAlreadyExists') return 'exists';
      throwMapped(error, { ...this.#context(group, region, config, 'rds:CreateDBInstanceReadReplica', 'reprotect'), resource: source.instanceArn });
    }
    return 'created';
  }

  /** The instance named `identifier` in `region`, or undefined when RDS says there is none. */
  async #findInstance(region: RegionName, identifier: string): Promise<DBInstance | undefined> {
    try {
      const output = await this.#rds(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      return output.DBInstances?.[0];
    } catch (error) {
      if (errorName(error) === 'DBInstanceNotFoundFault' || errorName(error) === 'DBInstanceNotFound') return undefined;
      throw error;
    }
  }

  /** One SDK call of an effect: its own abort is reported as abandoned, anything else mapped as usual. */
  async #effectCall<T>(
    effect: EffectOptions | undefined,
    where: { groupId: string; region: string; step: string },
    context: AwsCallContext,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (error) {
      abandonedIfAborted(effect, where, error);
      throwMapped(error, context);
    }
  }

  async #observeInstance(group: GroupConfig, region: RegionName, config: RdsInstanceConfig): Promise<DBInstance> {
    const instance = await this.#describer.describe(region, config.instanceId);
    if (instance === undefined) throw notFound(group, region, config);
    return instance;
  }

  async #describeInstance(
    group: GroupConfig,
    region: RegionName,
    config: RdsInstanceConfig,
    effect?: EffectOptions,
  ): Promise<DBInstance> {
    const output = await this.#rds(region).send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: config.instanceId }),
      sendOptions(effect),
    );
    const instance = output.DBInstances?.[0];
    if (instance === undefined) throw notFound(group, region, config);
    return instance;
  }

  #context(group: GroupConfig, region: RegionName, config: RdsInstanceConfig, action: string, step?: string): AwsCallContext {
    return { action, resource: config.instanceArn, groupId: group.id, region, step };
  }
}

function notFound(group: GroupConfig, region: RegionName, config: RdsInstanceConfig): InstanceNotFoundError {
  return new InstanceNotFoundError(`not found: rds:DescribeDBInstances on ${config.instanceArn} returned no instance`, {
    groupId: group.id,
    region,
  });
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : undefined;
}

function stateOf(region: RegionName, instance: DBInstance, config: RdsInstanceConfig): DatabaseState {
  const status = instance.DBInstanceStatus ?? 'unknown';
  const source = instance.ReadReplicaSourceDBInstanceIdentifier;
  const role =
    source !== undefined && source !== ''
      ? 'replica'
      : (instance.ReadReplicaDBInstanceIdentifiers?.length ?? 0) > 0
        ? 'primary'
        : 'standalone';
  const readOnlyApplied =
    config.readOnlyParameterGroup !== undefined &&
    (instance.DBParameterGroups ?? []).some((group) => group.DBParameterGroupName === config.readOnlyParameterGroup);
  const fenced = STOPPED.has(status) || readOnlyApplied;
  const state: DatabaseState = {
    region,
    role,
    status,
    writable: status === 'available' && role !== 'replica' && !fenced,
    fenced,
  };
  // A same-region source is a plain identifier; a cross-region source is an ARN naming its region.
  return role === 'replica' && source !== undefined ? { ...state, sourceRegion: parseArn(source)?.region ?? region } : state;
}

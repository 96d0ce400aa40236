import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseConfig, GroupConfig } from '../../config/schema.js';
import type { FencingMode, RegionName } from '../../domain/types.js';
import { FatalStepError } from '../../domain/errors.js';
import type { Clock } from '../../ports/Clock.js';
import type {
  CreateReplicaOutcome,
  Database,
  DatabaseState,
  DescribeOptions,
  FenceOutcome,
  PromoteOptions,
  PromoteOutcome,
  ReplicaSpec,
} from '../../ports/Database.js';
import type { EffectOptions } from '../../ports/EffectOptions.js';
import { AuroraGlobalDatabase } from './aurora/AuroraGlobalDatabase.js';
import { perRegion } from './clientConfig.js';
import { LatestMetric } from './cloudwatch/LatestMetric.js';
import { systemClock } from '../clock/systemClock.js';
import { RdsInstanceDatabase } from './rds/RdsInstanceDatabase.js';

export interface AwsDatabaseOptions {
  readonly rds: (region: RegionName) => RDSClient;
  readonly cloudWatch: (region: RegionName) => CloudWatchClient;
  readonly clock?: Clock;
  /** Replica-lag datapoints older than this count as unknown lag. */
  readonly lagLookbackMs?: number;
  /** Reuse a lag reading until CloudWatch can have a newer datapoint (the probe); the executor always asks afresh. */
  readonly reuseLagUntilNewDatapoint?: boolean;
}

/**
 * The Database port for AWS: dispatches on `group.regions[region].database.kind` to the RDS read-replica adapter
 * (`rds-instance`) or the Aurora Global Database adapter (`aurora-global`).
 *
 * @example
 * const database = new AwsDatabase({
 *   rds: (region) => new RDSClient(clientConfig(region)),
 *   cloudWatch: (region) => new CloudWatchClient(clientConfig(region)),
 * });
 * await database.describe(group, 'eu-central-1');
 */
export class AwsDatabase implements Database {
  readonly #rdsInstances: RdsInstanceDatabase;
  readonly #auroraGlobal: AuroraGlobalDatabase;
  readonly #clock: Clock;

  constructor(options: AwsDatabaseOptions) {
    this.#clock = options.clock ?? systemClock;
    const rds = perRegion(options.rds);
    const lag = new LatestMetric(perRegion(options.cloudWatch), {
      clock: this.#clock,
      lookbackMs: options.lagLookbackMs,
      reuseUntilNewDatapoint: options.reuseLagUntilNewDatapoint ?? false,
    });
    this.#rdsInstances = new RdsInstanceDatabase({ rds, lag });
    this.#auroraGlobal = new AuroraGlobalDatabase({ rds, lag });
  }

  async describe(group: GroupConfig, region: RegionName, options?: DescribeOptions): Promise<DatabaseState> {
    return this.#for(group, region).describe(group, region, options);
  }

  async fence(group: GroupConfig, region: RegionName, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> {
    return this.#for(group, region).fence(group, region, mode, effect);
  }

  async promote(group: GroupConfig, region: RegionName, options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome> {
    return this.#for(group, region).promote(group, region, options, effect);
  }

  async createReplica(group: GroupConfig, region: RegionName, spec: ReplicaSpec): Promise<CreateReplicaOutcome> {
    return this.#kindOf(group, region) === 'rds-instance'
      ? this.#rdsInstances.createReplica(group, region, spec)
      : this.#auroraGlobal.createReplica(group, region, spec);
  }

  #for(group: GroupConfig, region: RegionName): Database {
    return this.#kindOf(group, region) === 'rds-instance' ? this.#rdsInstances : this.#auroraGlobal;
  }

  #kindOf(group: GroupConfig, region: RegionName): DatabaseConfig['kind'] {
    const kind = group.regions[region]?.database.kind;
    if (kind === undefined) {
      throw new FatalStepError(`group ${group.id} has no region ${region}`, { groupId: group.id, region });
    }
    return kind;
  }
}

import type { FailoverGroup } from '../domain/group.js';
import type { DatabaseRole, FencingMode, RegionName } from '../domain/types.js';
import type { EffectOptions } from './EffectOptions.js';

/** A region's database as the provider reports it right now. */
export interface DatabaseState {
  readonly region: RegionName;
  readonly role: DatabaseRole;
  /**
   * Provider status (`available`, `modifying`, `stopped`, `unreachable`...), read through `src/domain/databaseStatus.ts`.
   * A kind described over a connection to the server itself (`postgres`) answers `connection-failed` when that
   * connection fails: data-plane evidence, unlike `unreachable` (a provider API that did not answer).
   */
  readonly status: string;
  /** Why the status, in the server's words (e.g. `connect ECONNREFUSED 10.0.1.5:5432`), where the adapter has them. */
  readonly statusDetail?: string;
  /** True when this database accepts writes (a primary or a promoted standalone that is available). */
  readonly writable: boolean;
  readonly replicaLagSeconds?: number;
  /** When `replicaLagSeconds` was measured (a metric datapoint's timestamp, or the query time), epoch ms. */
  readonly replicaLagMeasuredAt?: number;
  /** For a replica: bytes of WAL the source has written that this replica has not replayed (when the source answers). */
  readonly replicaLagBytes?: number;
  /** PostgreSQL: the WAL timeline this server is on; a promotion starts a new one. */
  readonly timeline?: number;
  /** For a replica: the region of its source. */
  readonly sourceRegion?: RegionName;
  /** True when fencing (stop, read-only parameter group) is applied or the instance is stopped. */
  readonly fenced?: boolean;
}

/**
 * How `describe` gets a replica's lag where it is a metric that costs a request (CloudWatch): `read` asks the source
 * (an adapter may answer from memory until a newer datapoint can exist), `remembered` answers the last reading this
 * adapter took, with its own measurement time, or none, without a request. A lag the adapter reads for free with the
 * rest of the state (a connection to the server) is read either way. Default `read`.
 */
export interface DescribeOptions {
  readonly lag?: 'read' | 'remembered';
}

export type FenceOutcome = 'fenced' | 'already-fenced' | 'unreachable' | 'skipped';
export type PromoteOutcome = 'started' | 'already-promoted' | 'in-progress';

export type CreateReplicaOutcome = 'created' | 'exists';
export type FollowOutcome = 'repointed' | 'already-following';

/** A new cross-region read replica of the primary: what `Database.createReplica` creates. */
export interface ReplicaSpec {
  /** The new database's identifier (RDS instance, Aurora cluster): deterministic, so a retry finds what a crashed run created. */
  readonly identifier: string;
  /** The region of the primary it replicates from; `group` names the primary's database (the tracked one if replaced). */
  readonly sourceRegion: RegionName;
  /** The reprotect operation (operator command id), tagged on the new resource. */
  readonly operationId: string;
}

export interface PromoteOptions {
  readonly failoverId: string;
  /** Planned switchover (no data loss; Aurora uses SwitchoverGlobalCluster). */
  readonly planned: boolean;
  /** The machine allowed losing the replica's lag worth of writes (Aurora: AllowDataLoss). */
  readonly allowDataLoss: boolean;
  /** The current primary region, which the promotion replaces. */
  readonly fromRegion: RegionName;
}

/**
 * The database of a failover group. Every method observes before it acts, so calling it twice is safe:
 * `promote` on an already promoted replica answers `already-promoted` and changes nothing.
 * Errors: `RetryableStepError` (state in transition), `FatalStepError` (not found, access denied).
 *
 * @example
 * const target = await database.describe(group, 'us-east-1'); // { role: 'replica', replicaLagSeconds: 2, ... }
 * await database.promote(group, 'us-east-1', { failoverId, planned: false, allowDataLoss: false, fromRegion: 'eu-west-1' }, await holdLease());
 */
export interface Database {
  describe(group: FailoverGroup, region: RegionName, options?: DescribeOptions): Promise<DatabaseState>;
  /**
   * Best effort: stop writes on the old primary where it is reachable. An effect: it lands by `effect.deadline` or
   * not at all (its AWS calls are aborted by `effect.signal`); an abandoned call throws, it never answers `unreachable`.
   */
  fence(group: FailoverGroup, region: RegionName, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome>;
  /**
   * `started` only when the provider answered the promote call; `in-progress` only when the provider shows a
   * promotion of this very target under way (never inferred from a transitional status such as `backing-up`).
   */
  promote(group: FailoverGroup, region: RegionName, options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome>;
  /**
   * Creates a read replica of the primary in `region` named `spec.identifier`, unless one by that name exists
   * (`exists`): observe before act. Its progress is read with `describe` on the group with that identifier
   * (`withDatabase`). Optional: a database kind without it cannot be reprotected by the control plane.
   */
  createReplica?(group: FailoverGroup, region: RegionName, spec: ReplicaSpec): Promise<CreateReplicaOutcome>;
  /**
   * Points the existing replica in `region` at the primary in `sourceRegion` and answers once it streams from it, or
   * `already-following` when it did already (observe before act): a reprotect of a self-managed server, which is
   * repointed rather than replaced. Optional: a kind without it reprotects with `createReplica`.
   * Errors: `FatalStepError` when the server cannot follow without a person (it is not a replica: a returned old
   * primary must be rewound on its host first), `RetryableStepError` when it does not stream from the source yet.
   */
  follow?(group: FailoverGroup, region: RegionName, sourceRegion: RegionName): Promise<FollowOutcome>;
}

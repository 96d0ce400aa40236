import type { GroupConfig } from '../../config/schema.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';
import type { DatabaseRole, EpochMs, FencingMode, RegionName } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';
import type {
  CreateReplicaOutcome,
  Database,
  DatabaseState,
  FenceOutcome,
  PromoteOptions,
  PromoteOutcome,
  ReplicaSpec,
} from '../../ports/Database.js';
import { ReplicaStream, WriteHistory } from './Replication.js';

/** Per-region replication knobs. */
export interface SimReplicaTimings {
  /** Added to the base `replicaLagSeconds` for this region's replica. */
  readonly extraLagSeconds?: number;
  /** Below `writesPerSecond`, this replica falls further behind every second. Default: keeps up. */
  readonly applyWritesPerSecond?: number;
}

export interface SimDatabaseTimings {
  /** How long `promote` keeps the replica `modifying` before it is a writable standalone. */
  readonly promotionSeconds: number;
  /** How long a stop-instance fence shows `stopping` before `stopped`. */
  readonly stopSeconds: number;
  /** Simulated latency of every API call. */
  readonly apiLatencyMs: number;
  /** Writes the primary accepts per second while it is up and unfenced. */
  readonly writesPerSecond: number;
  /** Base transport delay from primary to every replica. */
  readonly replicaLagSeconds: number;
  readonly regions: Readonly<Record<RegionName, SimReplicaTimings>>;
}

/** The status a crashed instance reports. */
export type CrashStatus = 'failed' | 'stopped';

/** How a regional RDS API misbehaves: `server-error` (5xx) or `throttling`. */
export type SimApiError = 'server-error' | 'throttling';

interface RegionDb {
  readonly region: RegionName;
  readonly instanceId: string;
  readonly initialRole: 'primary' | 'replica';
  regionDown: boolean;
  crashed?: CrashStatus;
  fence?: { readonly mode: 'stop-instance' | 'read-only-parameter-group'; readonly at: EpochMs };
  promotion?: { readonly startedAt: EpochMs; readonly failoverId: string; stuckSince?: EpochMs; unstuckAt?: EpochMs };
  promotionStuck: boolean;
  invalidStateAttemptsLeft: number;
  /** A transitional status the RDS API reports while the instance keeps serving (`storage-optimization`...). */
  statusBlip?: string;
  /** The regional RDS API answers 5xx or throttles every call naming this instance. */
  apiError?: SimApiError;
  readonly stream?: ReplicaStream;
}

/** What the simulated databases know about data loss, for the drill report. */
export interface DataLossFacts {
  readonly writesPerSecond: number;
  /** Writes the original primary accepted so far. */
  readonly primaryAcceptedWrites: number;
  /** The replica whose promotion started most recently, if any. */
  readonly promotedRegion?: RegionName;
  /** Writes that replica had applied when its promotion cut replication. */
  readonly promotedAppliedWrites?: number;
  /** Writes the primary accepted that never reached the promoted replica: the real data loss. */
  readonly lostWrites?: number;
  /** Replica lag the promoted replica reported when its promotion started. */
  readonly lagAtPromotionSeconds?: number;
}

export type DatabaseMethod = 'describe' | 'fence' | 'promote';

/**
 * The group's databases in simulated time: one RDS primary and its cross-region replicas.
 * State is computed from the clock on every call, so any clock (compressed or manual) drives it.
 * `viewFrom(observer)` gives a Database port that sees regions partitioned from `observer` as unreachable.
 *
 * @example
 * const databases = new SimDatabases(group, clock, timings, () => false);
 * const database = databases.viewFrom(undefined);
 * await database.promote(group, 'eu-central-1', options); // 'started'
 */
export class SimDatabases {
  readonly calls: Record<DatabaseMethod, number> = { describe: 0, fence: 0, promote: 0 };
  private readonly callsByRegion = new Map<string, number>();
  private readonly history: WriteHistory;
  private readonly dbs = new Map<RegionName, RegionDb>();
  private readonly primaryRegion: RegionName;
  private lastPromoted: { region: RegionName; lagSeconds: number } | undefined;
  /** Replicas made by `createReplica` (reprotect), by `${region}/${identifier}`. */
  private readonly created = new Map<string, { sourceRegion: RegionName; createdAt: EpochMs; promotedAt?: EpochMs }>();

  constructor(
    group: GroupConfig,
    private readonly clock: Clock,
    private readonly timings: SimDatabaseTimings,
    private readonly isPartitioned: (observer: RegionName, region: RegionName) => boolean,
  ) {
    const now = clock.now();
    const primary = Object.entries(group.regions).find(([, region]) => region.initialPrimary);
    if (primary === undefined) throw new Error(`group ${group.id} has no initial primary`);
    this.primaryRegion = primary[0];
    // The primary has been taking writes for a while, so replicas start in their steady state.
    const warmUpMs = this.maxDelayMs(group) + 1_000;
    this.history = new WriteHistory(now - warmUpMs, timings.writesPerSecond);
    for (const [name, config] of Object.entries(group.regions)) {
      const isPrimary = name === this.primaryRegion;
      const replica = timings.regions[name] ?? {};
      const stream = isPrimary
        ? undefined
        : new ReplicaStream(this.history, now - warmUpMs, {
            delayMs: this.delayMsOf(name),
            applyWritesPerSecond: replica.applyWritesPerSecond ?? Number.POSITIVE_INFINITY,
          });
      stream?.advance(now);
      this.dbs.set(name, {
        region: name,
        instanceId:
          config.database.kind === 'rds-instance'
            ? config.database.instanceId
            : config.database.kind === 'aurora-global'
              ? `${config.database.globalClusterId}-${name}`
              : `postgres-${name}`,
        initialRole: isPrimary ? 'primary' : 'replica',
        regionDown: false,
        promotionStuck: false,
        invalidStateAttemptsLeft: 0,
        stream,
      });
    }
  }

  /** A Database port as seen from `observer` (undefined: sees everything, like the control plane on a good day). */
  viewFrom(observer: RegionName | undefined): Database {
    return {
      describe: (group, region) => this.describe(group, region, observer),
      fence: (group, region, mode) => this.fence(group, region, mode, observer),
      promote: (group, region, options) => this.promote(group, region, options, observer),
      createReplica: (group, region, spec) => this.createReplica(group, region, spec, observer),
    };
  }

  /** Calls of `method` (or of all methods) that named `region`. */
  callsFor(region: RegionName, method?: DatabaseMethod): number {
    const methods: readonly DatabaseMethod[] = method === undefined ? ['describe', 'fence', 'promote'] : [method];
    return methods.reduce((sum, name) => sum + (this.callsByRegion.get(`${name}:${region}`) ?? 0), 0);
  }

  /** Region outage: the database is unreachable and replication to and from it stops. */
  setRegionDown(region: RegionName, down: boolean): void {
    this.change(region, (db) => {
      db.regionDown = down;
    });
  }

  /** The instance fails while the region (and the app's HTTP) stays up. */
  setCrashed(region: RegionName, status: CrashStatus | undefined): void {
    this.change(region, (db) => {
      db.crashed = status;
    });
  }

  /** While stuck, a started promotion never finishes; clearing it lets it finish (no earlier than it would have). */
  setPromotionStuck(region: RegionName, stuck: boolean): void {
    this.change(region, (db) => {
      db.promotionStuck = stuck;
      const now = this.clock.now();
      if (db.promotion === undefined || this.promotionDone(db, now)) return;
      if (stuck && db.promotion.stuckSince === undefined) db.promotion.stuckSince = now;
      if (!stuck && db.promotion.stuckSince !== undefined) db.promotion.unstuckAt = now;
    });
  }

  /**
   * The RDS API reports `status` for the instance in `region` (undefined: back to its real status) while the database
   * keeps serving reads and writes: storage autoscaling's `storage-optimization`, a `backing-up`, a `modifying`.
   */
  setStatusBlip(region: RegionName, status: string | undefined): void {
    this.change(region, (db) => {
      db.statusBlip = status;
    });
  }

  /** Every API call about `region` answers 5xx (`server-error`) or is throttled; undefined lifts it. The data plane is untouched. */
  setApiError(region: RegionName, error: SimApiError | undefined): void {
    this.change(region, (db) => {
      db.apiError = error;
    });
  }

  /** The next `attempts` promote calls on `region` fail with InvalidDBInstanceState. */
  setInvalidStateAttempts(region: RegionName, attempts: number): void {
    this.change(region, (db) => {
      db.invalidStateAttemptsLeft = attempts;
    });
  }

  /** Changes a replica's lag knobs from now on. */
  setReplicaTimings(region: RegionName, replica: SimReplicaTimings): void {
    this.change(region, (db) => {
      db.stream?.reconfigure({
        ...(replica.extraLagSeconds === undefined ? {} : { delayMs: (this.timings.replicaLagSeconds + replica.extraLagSeconds) * 1000 }),
        ...(replica.applyWritesPerSecond === undefined ? {} : { applyWritesPerSecond: replica.applyWritesPerSecond }),
      });
    });
  }

  /**
   * Every promotion the provider accepted: from the accepted promote call to the instance being a writable
   * standalone (a stuck one: no earlier than it was unstuck; `doneAt` undefined while still stuck).
   */
  promotions(): { readonly region: RegionName; readonly startedAt: EpochMs; readonly doneAt?: EpochMs }[] {
    return [...this.dbs.values()].flatMap((db) => {
      const promotion = db.promotion;
      if (promotion === undefined) return [];
      const stuck = promotion.stuckSince !== undefined && promotion.unstuckAt === undefined;
      const doneAt = Math.max(promotion.startedAt + this.timings.promotionSeconds * 1000, promotion.unstuckAt ?? 0);
      return [{ region: db.region, startedAt: promotion.startedAt, ...(stuck ? {} : { doneAt }) }];
    });
  }

  /**
   * After a fence that keeps replication running (read-only parameter group), each replica's catch-up: from the fence
   * to the moment the last write the primary took has arrived (its transport delay; a slowed apply is not modelled).
   */
  catchUps(): { readonly region: RegionName; readonly startedAt: EpochMs; readonly doneAt: EpochMs }[] {
    const fence = this.db(this.primaryRegion).fence;
    if (fence === undefined || fence.mode !== 'read-only-parameter-group') return [];
    return [...this.dbs.values()]
      .filter((db) => db.stream !== undefined)
      .map((db) => ({ region: db.region, startedAt: fence.at, doneAt: fence.at + this.delayMsOf(db.region) }));
  }

  /** Data-loss facts right now. */
  dataLoss(): DataLossFacts {
    const now = this.clock.now();
    this.advanceAll(now);
    const accepted = Math.floor(this.history.seqAt(now));
    const base = { writesPerSecond: this.timings.writesPerSecond, primaryAcceptedWrites: accepted };
    if (this.lastPromoted === undefined) return base;
    const promoted = this.db(this.lastPromoted.region);
    const applied = Math.floor(promoted.stream?.applied ?? 0);
    return {
      ...base,
      promotedRegion: promoted.region,
      promotedAppliedWrites: applied,
      lostWrites: Math.max(0, accepted - applied),
      lagAtPromotionSeconds: this.lastPromoted.lagSeconds,
    };
  }

  /** The state of `region` right now, ignoring partitions. */
  stateOf(region: RegionName): DatabaseState {
    const now = this.clock.now();
    this.advanceAll(now);
    const db = this.db(region);
    if (db.regionDown) return { region, role: 'unknown', status: 'unreachable', writable: false };
    const role = this.roleOf(db, now);
    const status = this.statusOf(db, now);
    const fenced = db.fence !== undefined || status === 'stopped';
    const lag = db.stream !== undefined && role === 'replica' ? roundTenths(db.stream.lagMs(now) / 1000) : undefined;
    return {
      region,
      role,
      status,
      writable: status === 'available' && (role === 'primary' || role === 'standalone') && !fenced,
      ...(lag === undefined ? {} : { replicaLagSeconds: lag, sourceRegion: this.primaryRegion }),
      fenced,
    };
  }

  private async describe(group: GroupConfig, region: RegionName, observer: RegionName | undefined): Promise<DatabaseState> {
    this.count('describe', region);
    await this.latency();
    if (this.hidden(observer, region)) return { region, role: 'unknown', status: 'unreachable', writable: false };
    this.throwOnApiError(group, region, 'rds:DescribeDBInstances');
    if (this.dbs.get(region)?.apiError === 'server-error') return { region, role: 'unknown', status: 'unreachable', writable: false };
    const db = this.known(group, region);
    const created = this.createdFor(group, region);
    if (created !== undefined) return this.stateOfCreated(region, created, db.regionDown);
    return this.stateOf(region);
  }

  /**
   * Reprotect, minimally: a new replica named `spec.identifier` that is `creating` for `promotionSeconds`, then an
   * available replica of `spec.sourceRegion` that keeps up (lag 0: the simulated write history follows the original
   * primary only, so data loss after a second failover is not modelled). Observes first: a second call answers `exists`.
   */
  private async createReplica(group: GroupConfig, region: RegionName, spec: ReplicaSpec, observer: RegionName | undefined): Promise<CreateReplicaOutcome> {
    await this.latency();
    const context = { groupId: group.id, region, step: 'reprotect' };
    if (this.hidden(observer, region) || this.known(group, region).regionDown) {
      throw new RetryableStepError(`CreateDBInstanceReadReplica ${spec.identifier}: the RDS endpoint in ${region} is unreachable`, context);
    }
    const key = `${region}/${spec.identifier}`;
    if (this.created.has(key)) return 'exists';
    this.created.set(key, { sourceRegion: spec.sourceRegion, createdAt: this.clock.now() });
    return 'created';
  }

  private createdFor(group: GroupConfig, region: RegionName) {
    const database = group.regions[region]?.database;
    return database?.kind === 'rds-instance' ? this.created.get(`${region}/${database.instanceId}`) : undefined;
  }

  private stateOfCreated(
    region: RegionName,
    created: { sourceRegion: RegionName; createdAt: EpochMs; promotedAt?: EpochMs },
    regionDown: boolean,
  ): DatabaseState {
    if (regionDown) return { region, role: 'unknown', status: 'unreachable', writable: false };
    const now = this.clock.now();
    const durationMs = this.timings.promotionSeconds * 1000;
    if (created.promotedAt !== undefined) {
      const done = now >= created.promotedAt + durationMs;
      return { region, role: done ? 'standalone' : 'replica', status: done ? 'available' : 'modifying', writable: done, fenced: false };
    }
    const available = now >= created.createdAt + durationMs;
    return { region, role: 'replica', status: available ? 'available' : 'creating', writable: false, replicaLagSeconds: 0, sourceRegion: created.sourceRegion, fenced: false };
  }

  private async fence(group: GroupConfig, region: RegionName, mode: FencingMode, observer: RegionName | undefined): Promise<FenceOutcome> {
    this.count('fence', region);
    // Fencing `none` calls no API (the RDS adapter answers at once), so it takes no time either.
    if (mode === 'none') return 'skipped';
    await this.latency();
    if (this.hidden(observer, region)) return 'unreachable';
    const db = this.known(group, region);
    const now = this.clock.now();
    this.advanceAll(now);
    if (db.regionDown || db.crashed === 'failed' || db.apiError === 'server-error') return 'unreachable';
    this.throwOnApiError(group, region, 'rds:ModifyDBInstance');
    if (db.fence !== undefined || db.crashed === 'stopped') return 'already-fenced';
    db.fence = { mode, at: now };
    this.applyLinks(now);
    return 'fenced';
  }

  private async promote(
    group: GroupConfig,
    region: RegionName,
    options: PromoteOptions,
    observer: RegionName | undefined,
  ): Promise<PromoteOutcome> {
    this.count('promote', region);
    await this.latency();
    const context = { groupId: group.id, region, step: 'promoting' };
    if (this.hidden(observer, region)) {
      throw new RetryableStepError(`promote ${region}: the RDS endpoint in ${region} is unreachable`, context);
    }
    const db = this.known(group, region);
    const now = this.clock.now();
    this.advanceAll(now);
    if (db.regionDown) throw new RetryableStepError(`promote ${db.instanceId}: region ${region} is unreachable`, context);
    if (db.apiError === 'server-error') throw new RetryableStepError(`unreachable: rds:PromoteReadReplica on ${db.instanceId} (InternalFailure)`, context);
    this.throwOnApiError(group, region, 'rds:PromoteReadReplica');
    const created = this.createdFor(group, region);
    if (created !== undefined) {
      if (created.promotedAt !== undefined) return this.stateOfCreated(region, created, false).role === 'standalone' ? 'already-promoted' : 'in-progress';
      created.promotedAt = now;
      return 'started';
    }
    if (db.initialRole === 'primary') return 'already-promoted';
    if (db.promotion !== undefined) return this.roleOf(db, now) === 'standalone' ? 'already-promoted' : 'in-progress';
    if (db.crashed !== undefined) {
      throw new RetryableStepError(`InvalidDBInstanceState: DB instance ${db.instanceId} is ${db.crashed}, not available`, context);
    }
    if (db.invalidStateAttemptsLeft > 0) {
      db.invalidStateAttemptsLeft -= 1;
      throw new RetryableStepError(`InvalidDBInstanceState: DB instance ${db.instanceId} is not in available state`, context);
    }
    const lagSeconds = roundTenths((db.stream?.lagMs(now) ?? 0) / 1000);
    db.promotion = { startedAt: now, failoverId: options.failoverId, ...(db.promotionStuck ? { stuckSince: now } : {}) };
    this.lastPromoted = { region, lagSeconds };
    this.applyLinks(now);
    return 'started';
  }

  /** As the adapters map RDS throttling: a retryable error, naming the call. */
  private throwOnApiError(group: GroupConfig, region: RegionName, action: string): void {
    if (this.dbs.get(region)?.apiError !== 'throttling') return;
    throw new RetryableStepError(`throttled: ${action} in ${region} (ThrottlingException: Rate exceeded)`, { groupId: group.id, region });
  }

  private roleOf(db: RegionDb, now: EpochMs): DatabaseRole {
    if (db.initialRole === 'primary') return 'primary';
    return this.promotionDone(db, now) ? 'standalone' : 'replica';
  }

  private statusOf(db: RegionDb, now: EpochMs): string {
    if (db.crashed !== undefined) return db.crashed;
    if (db.fence?.mode === 'stop-instance') {
      return now < db.fence.at + this.timings.stopSeconds * 1000 ? 'stopping' : 'stopped';
    }
    if (db.promotion !== undefined && !this.promotionDone(db, now)) return 'modifying';
    return db.statusBlip ?? 'available';
  }

  private promotionDone(db: RegionDb, now: EpochMs): boolean {
    const promotion = db.promotion;
    if (promotion === undefined) return false;
    if (promotion.stuckSince !== undefined && promotion.unstuckAt === undefined) return false;
    const due = Math.max(promotion.startedAt + this.timings.promotionSeconds * 1000, promotion.unstuckAt ?? 0);
    return now >= due;
  }

  /** Applies a fault change at the current time: settle replication first so the change takes effect from now. */
  private change(region: RegionName, apply: (db: RegionDb) => void): void {
    const now = this.clock.now();
    this.advanceAll(now);
    apply(this.db(region));
    this.applyLinks(now);
  }

  /** Recomputes who writes and which replication links are up, after any change. */
  private applyLinks(now: EpochMs): void {
    const primary = this.db(this.primaryRegion);
    const primaryAlive = !primary.regionDown && primary.crashed === undefined;
    const stopped = primary.fence?.mode === 'stop-instance';
    this.history.setRate(now, primaryAlive && primary.fence === undefined ? this.timings.writesPerSecond : 0);
    for (const db of this.dbs.values()) {
      db.stream?.setLink(primaryAlive && !stopped && !db.regionDown && db.crashed === undefined && db.promotion === undefined, now);
    }
  }

  private advanceAll(now: EpochMs): void {
    for (const db of this.dbs.values()) db.stream?.advance(now);
  }

  private hidden(observer: RegionName | undefined, region: RegionName): boolean {
    return observer !== undefined && this.isPartitioned(observer, region);
  }

  private known(group: GroupConfig, region: RegionName): RegionDb {
    const db = this.dbs.get(region);
    if (db === undefined) {
      throw new FatalStepError(`DBInstanceNotFound: group ${group.id} has no simulated database in ${region}`, { groupId: group.id, region });
    }
    return db;
  }

  private db(region: RegionName): RegionDb {
    const db = this.dbs.get(region);
    if (db === undefined) throw new RangeError(`no simulated database in ${region}`);
    return db;
  }

  private count(method: DatabaseMethod, region: RegionName): void {
    this.calls[method] += 1;
    const key = `${method}:${region}`;
    this.callsByRegion.set(key, (this.callsByRegion.get(key) ?? 0) + 1);
  }

  private async latency(): Promise<void> {
    if (this.timings.apiLatencyMs > 0) await this.clock.sleep(this.timings.apiLatencyMs);
  }

  private delayMsOf(region: RegionName): number {
    return (this.timings.replicaLagSeconds + (this.timings.regions[region]?.extraLagSeconds ?? 0)) * 1000;
  }

  private maxDelayMs(group: GroupConfig): number {
    return Math.max(...Object.keys(group.regions).map((region) => this.delayMsOf(region)));
  }
}

function roundTenths(value: number): number {
  return Math.round(value * 10) / 10;
}

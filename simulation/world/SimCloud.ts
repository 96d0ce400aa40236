import type { GroupConfig, HealthEndpoint } from '../../src/config/schema.js';
import { FatalStepError, RetryableStepError } from '../../src/domain/errors.js';
import type { DatabaseRole, EpochMs, FencingMode, HttpProbeResult, RegionName } from '../../src/domain/types.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { Database, DatabaseState, FenceOutcome, PromoteOptions, PromoteOutcome } from '../../src/ports/Database.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import type { Prober } from '../../src/ports/Prober.js';
import { abandonIfLate } from './effectDeadline.js';

export type DatabaseKind = 'rds-instance' | 'aurora-global' | 'postgres';
export type CrashStatus = 'failed' | 'stopped' | 'rebooting';

/** Statuses during which the RDS adapter takes a replica for "promotion in progress" (its PROMOTION_TRANSITIONS). */
const RDS_PROMOTION_TRANSITIONS = new Set(['modifying', 'rebooting', 'backing-up']);
const DEFAULT_PROMOTION_MS = 60_000;
const STOP_MS = 30_000;

/** One database of one group in one region: the truth the simulator keeps, not what the API says. */
interface SimDb {
  readonly group: string;
  readonly region: RegionName;
  readonly kind: DatabaseKind;
  /** `writer` for the primary and promoted standalones; a replica follows `source`. */
  role: 'writer' | 'replica';
  source?: RegionName;
  /** Replicas: the source's write time up to which this replica has applied. */
  appliedUpTo: EpochMs;
  /** Writers: the time of the last write it accepted. */
  lastWriteAt: EpochMs;
  delayMs: number;
  extraDelayMs: number;
  crashed?: CrashStatus;
  httpFollowsCrash: boolean;
  blip?: string;
  fence?: { readonly mode: FencingMode; readonly at: EpochMs };
  promotion?: { readonly startedAt: EpochMs; readonly failoverId: string; dueAt: EpochMs; stuck: boolean };
  nextPromotionMs?: number;
  promotionStuck: boolean;
  refusalsLeft: number;
  lagMetricMissing: boolean;
  lastLag?: { readonly seconds: number; readonly at: EpochMs };
  flappingPeriodMs?: number;
  flappingSince: EpochMs;
}

/** A promote call as the world saw it, with the truth at that moment (for the invariants). */
export interface PromoteCall {
  readonly at: EpochMs;
  readonly group: string;
  readonly region: RegionName;
  readonly options: PromoteOptions;
  /** `started` when this call began a promotion. */
  readonly outcome: PromoteOutcome | 'error';
  /** Seconds of the old primary's writes the target did not have when the promotion started. */
  readonly lossSeconds?: number;
  /** The target replicated from another region than the failover's old primary. */
  readonly orphanOf?: RegionName;
  /** The region was a writer when it was asked to promote. */
  readonly targetWasWriter: boolean;
}

/**
 * A simulated AWS for many groups at once, in memory and in simulated time: per group and region an RDS instance or
 * Aurora global cluster member with its role, replication source, lag, status and fence; regional RDS APIs that fail
 * or throttle; HTTP health endpoints; observer partitions. It implements the Database and Prober ports, as seen from
 * an observer region (`databaseFor(observer)`) or from the control plane (`databaseFor(undefined)`), mimicking what
 * the AWS adapters answer. No sockets, no timers of its own: everything runs on the simulation's clock.
 *
 * @example
 * const cloud = new SimCloud(config.groups, clock, { apiLatencyMs: 200 });
 * cloud.setRegionDown('eu-west-1', true);
 * await cloud.databaseFor('us-east-1').describe(group, 'eu-west-1'); // { status: 'unreachable', ... }
 */
export class SimCloud {
  readonly promoteCalls: PromoteCall[] = [];
  /** Grows with every change of the truth (faults, fences, promotions): lets the invariants skip quiet moments. */
  version = 0;
  readonly fenceCalls: { at: EpochMs; group: string; region: RegionName; outcome: string }[] = [];
  /** Databases by group, then region (in the group's region order). */
  private readonly dbs = new Map<string, Map<RegionName, SimDb>>();
  private readonly dbLists = new Map<string, readonly SimDb[]>();
  /** When each group was last settled, and the version it was settled at: settling again then would change nothing. */
  private readonly settled = new Map<string, { at: EpochMs; version: number }>();
  private readonly groups = new Map<string, GroupConfig>();
  private readonly regionsDown = new Set<RegionName>();
  private readonly apiErrors = new Map<RegionName, 'server-error' | 'throttling'>();
  private readonly partitions = new Set<string>();
  private readonly endpoints = new Map<string, { group: string; region: RegionName }>();

  constructor(
    groups: readonly GroupConfig[],
    private readonly clock: Clock & { at(at: EpochMs, fire: () => void): void },
    private readonly options: { readonly apiLatencyMs: number; readonly replicaDelayMs?: number },
  ) {
    const now = clock.now();
    for (const group of groups) {
      this.groups.set(group.id, group);
      const primary = Object.entries(group.regions).find(([, region]) => region.initialPrimary)?.[0];
      for (const [region, regionConfig] of Object.entries(group.regions)) {
        const writer = region === primary;
        if (!this.dbs.has(group.id)) this.dbs.set(group.id, new Map());
        this.dbs.get(group.id)!.set(region, {
          group: group.id,
          region,
          kind: regionConfig.database.kind,
          role: writer ? 'writer' : 'replica',
          ...(writer ? {} : { source: primary }),
          appliedUpTo: now,
          lastWriteAt: now,
          delayMs: options.replicaDelayMs ?? 1_000,
          extraDelayMs: 0,
          httpFollowsCrash: false,
          promotionStuck: false,
          refusalsLeft: 0,
          lagMetricMissing: false,
          flappingSince: now,
        });
        for (const endpoint of regionConfig.healthEndpoints) this.endpoints.set(endpoint.url, { group: group.id, region });
      }
      this.dbLists.set(group.id, [...(this.dbs.get(group.id)?.values() ?? [])]);
    }
  }

  // ---- the ports ----

  /** The Database port as `observer` sees it (partitions apply), or as the control plane does (`undefined`). */
  databaseFor(observer: RegionName | undefined): Database {
    return {
      describe: (group, region) => this.describe(group, region, observer),
      fence: (group, region, mode, effect) => this.fence(group, region, mode, effect),
      promote: (group, region, options, effect) => this.promote(group, region, options, effect),
    };
  }

  /** The Prober port from `observer` (or the control plane): answers from the truth, no sockets. */
  proberFor(observer: RegionName | undefined): Prober {
    return {
      probe: async (endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> =>
        endpoints.map((endpoint) => {
          const where = this.endpoints.get(endpoint.url);
          const problem = where === undefined ? 'unknown host' : this.httpProblem(where.group, where.region, observer);
          return problem === undefined
            ? { url: endpoint.url, ok: true, status: endpoint.expectedStatus, latencyMs: 20 }
            : { url: endpoint.url, ok: false, latencyMs: endpoint.timeoutMs, error: problem };
        }),
    };
  }

  // ---- faults ----

  setRegionDown(region: RegionName, down: boolean): void {
    this.change(() => (down ? this.regionsDown.add(region) : this.regionsDown.delete(region)));
  }

  isRegionDown(region: RegionName): boolean {
    return this.regionsDown.has(region);
  }

  setApiError(region: RegionName, error: 'server-error' | 'throttling' | undefined): void {
    this.version += 1;
    if (error === undefined) this.apiErrors.delete(region);
    else this.apiErrors.set(region, error);
  }

  setPartition(observer: RegionName, region: RegionName, on: boolean): void {
    this.version += 1;
    if (on) this.partitions.add(`${observer}>${region}`);
    else this.partitions.delete(`${observer}>${region}`);
  }

  isPartitioned(observer: RegionName, region: RegionName): boolean {
    return this.partitions.has(`${observer}>${region}`);
  }

  /** True when `observer` can read the role of the databases in `region` (the region is up, reachable, its API answers). */
  roleReadable(observer: RegionName, region: RegionName): boolean {
    return !this.regionsDown.has(region) && !this.apiErrors.has(region) && !this.isPartitioned(observer, region);
  }

  setCrashed(group: string, region: RegionName, status: CrashStatus | undefined, httpFollows = false): void {
    this.change(() => {
      const db = this.db(group, region);
      db.crashed = status;
      db.httpFollowsCrash = status !== undefined && httpFollows;
    });
  }

  setBlip(group: string, region: RegionName, status: string | undefined): void {
    this.change(() => (this.db(group, region).blip = status));
  }

  setFlapping(group: string, region: RegionName, periodMs: number | undefined): void {
    this.version += 1;
    const db = this.db(group, region);
    db.flappingPeriodMs = periodMs;
    db.flappingSince = this.clock.now();
  }

  setExtraDelay(group: string, region: RegionName, extraDelayMs: number): void {
    this.change(() => (this.db(group, region).extraDelayMs = extraDelayMs));
  }

  setLagMetricMissing(group: string, region: RegionName, missing: boolean): void {
    this.version += 1;
    this.db(group, region).lagMetricMissing = missing;
  }

  setNextPromotionMs(group: string, region: RegionName, ms: number | undefined): void {
    this.version += 1;
    this.db(group, region).nextPromotionMs = ms;
  }

  setPromotionStuck(group: string, region: RegionName, stuck: boolean): void {
    this.change(() => {
      const db = this.db(group, region);
      db.promotionStuck = stuck;
      if (db.promotion !== undefined) {
        db.promotion.stuck = stuck;
        if (!stuck) {
          db.promotion.dueAt = Math.max(db.promotion.dueAt, this.clock.now());
          this.wakeAt(db.group, db.promotion.dueAt);
        }
      }
    });
  }

  setPromotionRefusals(group: string, region: RegionName, attempts: number): void {
    this.version += 1;
    this.db(group, region).refusalsLeft = attempts;
  }

  // ---- the truth, for the invariants ----

  /** Regions whose database accepts writes right now (from clients that reach it). */
  writers(group: string): RegionName[] {
    this.settle(group);
    return this.dbsOf(group).filter((db) => this.acceptsWrites(db)).map((db) => db.region);
  }

  acceptsWritesIn(group: string, region: RegionName): boolean {
    this.settle(group);
    return this.acceptsWrites(this.db(group, region));
  }

  /** The data plane of `region` fails for `observer`: what a health check there would see. */
  httpProblem(group: string, region: RegionName, observer: RegionName | undefined): string | undefined {
    if (this.regionsDown.has(region)) return 'connection refused';
    if (observer !== undefined && this.isPartitioned(observer, region)) return `partitioned: ${observer} cannot reach ${region}`;
    const db = this.db(group, region);
    if (db.crashed !== undefined && db.httpFollowsCrash) return 'status 503 (expected 200)';
    if (db.flappingPeriodMs !== undefined) {
      const phase = Math.floor((this.clock.now() - db.flappingSince) / db.flappingPeriodMs);
      if (phase % 2 === 0) return 'status 503 (expected 200)';
    }
    return undefined;
  }

  /** True while the database of `region` is down (crashed) for real, as opposed to its API saying something odd. */
  databaseDown(group: string, region: RegionName): boolean {
    return this.db(group, region).crashed !== undefined;
  }

  /** Rogue actions for the invariants' self-test: the world changes behind the control plane's back. */
  rogue = {
    promote: (group: string, region: RegionName, options: PromoteOptions): Promise<PromoteOutcome> =>
      this.promote(this.groups.get(group)!, region, options),
    fence: (group: string, region: RegionName): void =>
      this.change(() => (this.db(group, region).fence = { mode: 'read-only-parameter-group', at: this.clock.now() })),
  };

  // ---- the API ----

  private async describe(group: GroupConfig, region: RegionName, observer: RegionName | undefined): Promise<DatabaseState> {
    await this.latency();
    const unreachable: DatabaseState = { region, role: 'unknown', status: 'unreachable', writable: false };
    if (observer !== undefined && this.isPartitioned(observer, region)) return unreachable;
    if (this.regionsDown.has(region)) return unreachable;
    const apiError = this.apiErrors.get(region);
    // As the RDS adapter does: a 5xx answer is `unreachable`, throttling is an error.
    if (apiError === 'server-error') return unreachable;
    if (apiError === 'throttling') throw new RetryableStepError(`throttled: rds:DescribeDBInstances in ${region} (ThrottlingException: Rate exceeded)`, { groupId: group.id, region });
    this.settle(group.id);
    const db = this.db(group.id, region);
    const status = this.statusOf(db);
    const role = this.reportedRole(db);
    const fenced = db.fence !== undefined;
    const state: DatabaseState = {
      region,
      role,
      status,
      writable: status === 'available' && role !== 'replica' && !fenced,
      fenced,
    };
    if (role !== 'replica') return state;
    const lag = this.reportedLag(db);
    return {
      ...state,
      ...(db.source === undefined ? {} : { sourceRegion: db.source }),
      ...(lag === undefined ? {} : { replicaLagSeconds: lag.seconds, replicaLagMeasuredAt: lag.at }),
    };
  }

  private async fence(group: GroupConfig, region: RegionName, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> {
    await this.latency();
    abandonIfLate(this.clock, effect, { groupId: group.id, region, step: 'fencing' });
    const done = (outcome: FenceOutcome): FenceOutcome => {
      this.fenceCalls.push({ at: this.clock.now(), group: group.id, region, outcome });
      return outcome;
    };
    if (mode === 'none') return done('skipped');
    const db = this.db(group.id, region);
    // Aurora needs no fence: the global failover demotes the old writer (the adapter answers `skipped`).
    if (db.kind === 'aurora-global') return done('skipped');
    if (this.regionsDown.has(region) || this.apiErrors.get(region) === 'server-error') return done('unreachable');
    if (this.apiErrors.get(region) === 'throttling') throw new RetryableStepError(`throttled: rds:DescribeDBInstances in ${region}`, { groupId: group.id, region, step: 'fencing' });
    if (db.fence !== undefined || db.crashed === 'stopped') return done('already-fenced');
    const context = { groupId: group.id, region, step: 'fencing' };
    if (db.crashed !== undefined) throw new RetryableStepError(`InvalidDBInstanceState: DB instance in ${region} is ${db.crashed}`, context);
    if (mode === 'stop-instance' && this.hasReplicas(db)) {
      throw new RetryableStepError(`InvalidDBInstanceState: cannot stop DB instance in ${region}: it has read replicas`, context);
    }
    this.change(() => (db.fence = { mode, at: this.clock.now() }));
    return done('fenced');
  }

  private async promote(group: GroupConfig, region: RegionName, options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome> {
    await this.latency();
    abandonIfLate(this.clock, effect, { groupId: group.id, region, step: 'promoting' });
    this.settle(group.id);
    const db = this.db(group.id, region);
    const targetWasWriter = db.role === 'writer';
    const record = (outcome: PromoteCall['outcome'], truth: { lossSeconds?: number; orphanOf?: RegionName } = {}): void => {
      this.promoteCalls.push({ at: this.clock.now(), group: group.id, region, options, outcome, targetWasWriter, ...truth });
    };
    const context = { groupId: group.id, region, step: 'promoting' };
    const fail = (error: Error): never => {
      record('error');
      throw error;
    };
    if (this.regionsDown.has(region) || this.apiErrors.get(region) === 'server-error') {
      fail(new RetryableStepError(`unreachable: rds:PromoteReadReplica in ${region} (InternalFailure)`, context));
    }
    if (this.apiErrors.get(region) === 'throttling') fail(new RetryableStepError(`throttled: rds:PromoteReadReplica in ${region}`, context));
    if (db.role === 'writer') {
      record('already-promoted');
      return 'already-promoted';
    }
    const status = this.statusOf(db);
    if (db.promotion !== undefined || (db.kind === 'rds-instance' && RDS_PROMOTION_TRANSITIONS.has(status))) {
      record('in-progress');
      return 'in-progress';
    }
    if (db.kind === 'aurora-global' && !options.planned && !options.allowDataLoss) {
      fail(new FatalStepError(`group ${group.id}: an unplanned Aurora global failover to ${region} needs data loss allowed (allowDataLoss)`, context));
    }
    if (db.crashed !== undefined) fail(new RetryableStepError(`InvalidDBInstanceState: DB instance in ${region} is ${db.crashed}`, context));
    if (db.refusalsLeft > 0) {
      db.refusalsLeft -= 1;
      fail(new RetryableStepError(`InvalidDBInstanceState: DB instance in ${region} is not in available state`, context));
    }
    const from = this.dbs.get(group.id)?.get(options.fromRegion);
    const orphanOf = db.source !== options.fromRegion ? db.source : undefined;
    // An Aurora switchover waits for the secondary to catch up before it moves the writer: it loses nothing.
    const synchronized = db.kind === 'aurora-global' && options.planned;
    const lossSeconds = from === undefined ? undefined : synchronized ? 0 : Math.max(0, from.lastWriteAt - db.appliedUpTo) / 1000;
    const now = this.clock.now();
    const dueAt = now + (db.nextPromotionMs ?? DEFAULT_PROMOTION_MS);
    db.nextPromotionMs = undefined;
    this.change(() => (db.promotion = { startedAt: now, failoverId: options.failoverId, dueAt, stuck: db.promotionStuck }));
    if (db.kind === 'aurora-global' && options.planned && from !== undefined) {
      // A switchover stops the old writer first and waits for the secondary: no write is lost.
      this.change(() => (from.fence = { mode: 'read-only-parameter-group', at: now }));
    }
    this.wakeAt(group.id, dueAt);
    record('started', { ...(lossSeconds === undefined ? {} : { lossSeconds }), ...(orphanOf === undefined ? {} : { orphanOf }) });
    return 'started';
  }

  // ---- the model ----

  private acceptsWrites(db: SimDb): boolean {
    return db.role === 'writer' && !this.regionsDown.has(db.region) && db.crashed === undefined && db.fence === undefined;
  }

  private hasReplicas(db: SimDb): boolean {
    return this.dbsOf(db.group).some((other) => other.role === 'replica' && other.source === db.region);
  }

  private reportedRole(db: SimDb): DatabaseRole {
    if (db.role === 'replica') return 'replica';
    if (db.kind === 'aurora-global') return 'primary';
    return this.hasReplicas(db) ? 'primary' : 'standalone';
  }

  private statusOf(db: SimDb): string {
    if (db.crashed !== undefined) return db.crashed;
    if (db.fence?.mode === 'stop-instance') return this.clock.now() < db.fence.at + STOP_MS ? 'stopping' : 'stopped';
    if (db.promotion !== undefined) return db.kind === 'aurora-global' ? 'failing-over' : 'modifying';
    return db.blip ?? 'available';
  }

  private linkUp(db: SimDb): boolean {
    if (db.role !== 'replica' || db.promotion !== undefined || db.source === undefined) return false;
    const source = this.dbs.get(db.group)?.get(db.source);
    if (source === undefined) return false;
    const down = (candidate: SimDb) => this.regionsDown.has(candidate.region) || candidate.crashed !== undefined;
    return !down(db) && !down(source) && source.fence?.mode !== 'stop-instance';
  }

  private reportedLag(db: SimDb): { seconds: number; at: EpochMs } | undefined {
    if (db.lagMetricMissing) return undefined;
    if (!this.linkUp(db)) return db.lastLag;
    const source = this.db(db.group, db.source!);
    // Whole seconds, rounded up: a replica a fraction of a second behind never reports 0 (it would pass a drain check).
    const lag = { seconds: Math.ceil(Math.max(0, source.lastWriteAt - db.appliedUpTo) / 1000), at: this.clock.now() };
    db.lastLag = lag;
    return lag;
  }

  /** Brings writes, replication and promotions up to now. Called before every read and every change. */
  private settle(group: string): void {
    const now = this.clock.now();
    const last = this.settled.get(group);
    if (last !== undefined && last.at === now && last.version === this.version) return;
    this.settled.set(group, { at: now, version: this.version });
    const dbs = this.dbsOf(group);
    for (const db of dbs) if (this.acceptsWrites(db)) db.lastWriteAt = now;
    for (const db of dbs) {
      if (!this.linkUp(db)) continue;
      const source = this.db(group, db.source!);
      db.appliedUpTo = Math.max(db.appliedUpTo, Math.min(source.lastWriteAt, now - db.delayMs - db.extraDelayMs));
    }
    for (const db of dbs) {
      const promotion = db.promotion;
      if (promotion === undefined || promotion.stuck || now < promotion.dueAt) continue;
      this.completePromotion(db, now);
    }
  }

  private completePromotion(db: SimDb, now: EpochMs): void {
    this.version += 1;
    const previousSource = db.source;
    db.promotion = undefined;
    db.role = 'writer';
    db.source = undefined;
    db.lastWriteAt = now;
    if (db.kind !== 'aurora-global') return;
    // Aurora global: one writer; every other member (the old writer too) follows the new one from now on.
    for (const other of this.dbsOf(db.group)) {
      if (other === db) continue;
      if (other.region === previousSource || other.role === 'writer') other.fence = undefined;
      other.role = 'replica';
      other.source = db.region;
      other.appliedUpTo = now;
      other.lastLag = undefined;
    }
  }

  private change(apply: () => void): void {
    this.version += 1;
    for (const group of this.groups.keys()) this.settle(group);
    apply();
    this.version += 1;
    for (const group of this.groups.keys()) this.settle(group);
  }

  private wakeAt(group: string, at: EpochMs): void {
    this.clock.at(at, () => this.settle(group));
  }

  private dbsOf(group: string): readonly SimDb[] {
    return this.dbLists.get(group) ?? [];
  }

  private db(group: string, region: RegionName): SimDb {
    const db = this.dbs.get(group)?.get(region);
    if (db === undefined) throw new FatalStepError(`DBInstanceNotFound: group ${group} has no simulated database in ${region}`, { groupId: group, region });
    return db;
  }

  private latency(): Promise<void> {
    return this.options.apiLatencyMs > 0 ? this.clock.sleep(this.options.apiLatencyMs) : Promise.resolve();
  }
}

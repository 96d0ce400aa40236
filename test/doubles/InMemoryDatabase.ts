import type { GroupConfig } from '../../src/config/schema.js';
import { configuredIdentity } from '../../src/domain/liveTopology.js';
import { FatalStepError, RetryableStepError } from '../../src/domain/errors.js';
import type { FencingMode, RegionName } from '../../src/domain/types.js';
import type {
  CreateReplicaOutcome,
  Database,
  DatabaseState,
  FenceOutcome,
  FollowOutcome,
  PromoteOptions,
  PromoteOutcome,
  ReplicaSpec,
} from '../../src/ports/Database.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import { assertInTime } from './effectDeadline.js';

interface RegionDb {
  role: DatabaseState['role'];
  status: string;
  replicaLagSeconds?: number;
  reachable: boolean;
  fenced: boolean;
  promotionStartedAt?: number;
  /** For a replica created by `createReplica`: its source region and when it becomes available. */
  sourceRegion?: RegionName;
  readyAt?: number;
  /** A transitional status unrelated to promotion (`backing-up`, `modifying`): the replica cannot promote while set. */
  busy?: string;
}

/**
 * Databases of one group, one per region, observed before acting like the real adapters.
 * A promotion completes `promotionMs` of clock time after it starts. Counts every call, remembers the effect options
 * of the last fence and promote, and lands an effect only before its deadline (`assertInTime`).
 */
export class InMemoryDatabase implements Database {
  readonly calls = { describe: 0, fence: 0, promote: 0, promoteEffective: 0, fenceEffective: 0, createReplica: 0, createReplicaEffective: 0, follow: 0, followEffective: 0 };
  readonly lastPromoteOptions: PromoteOptions[] = [];
  private dropPromotes = 0;
  private readonly regions = new Map<RegionName, RegionDb>();
  /** Replicas made by `createReplica`, by `${region}/${identifier}`. */
  private readonly created = new Map<string, RegionDb>();
  /** Clock time a created replica takes to become available. */
  replicaCreationMs = 60_000;

  constructor(
    private readonly clock: Clock,
    initial: Record<RegionName, { role: 'primary' | 'replica'; replicaLagSeconds?: number }>,
    private readonly promotionMs = 20_000,
  ) {
    for (const [region, db] of Object.entries(initial)) {
      this.regions.set(region, { role: db.role, status: 'available', replicaLagSeconds: db.replicaLagSeconds, reachable: true, fenced: false });
    }
  }

  /** The next `count` promote calls are answered `started` and then lost, as a request the provider dropped. */
  dropNextPromotes(count = 1): void {
    this.dropPromotes = count;
  }

  region(region: RegionName): RegionDb {
    const db = this.regions.get(region);
    if (db === undefined) throw new Error(`no database in ${region}`);
    return db;
  }

  /** The database `group` names in `region`: a replica `createReplica` made, or the region's original one. */
  database(group: GroupConfig, region: RegionName): RegionDb {
    const config = group.regions[region]?.database;
    const identifier = config === undefined ? undefined : configuredIdentity(config).identifier;
    return this.created.get(`${region}/${identifier}`) ?? this.region(region);
  }

  /** Names of the replicas `createReplica` made, as `${region}/${identifier}`. */
  createdReplicas(): string[] {
    return [...this.created.keys()];
  }

  async describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    this.calls.describe += 1;
    const db = this.database(group, region);
    if (db.readyAt !== undefined && this.clock.now() >= db.readyAt) {
      db.status = 'available';
      db.readyAt = undefined;
    }
    if (!db.reachable) return { region, role: 'unknown', status: 'unreachable', writable: false };
    if (db.promotionStartedAt !== undefined && this.clock.now() - db.promotionStartedAt >= this.promotionMs) {
      db.role = 'standalone';
      db.status = 'available';
      db.replicaLagSeconds = undefined;
      db.promotionStartedAt = undefined;
    }
    return {
      region,
      role: db.role,
      status: db.busy ?? db.status,
      writable: db.status === 'available' && (db.role === 'primary' || db.role === 'standalone') && !db.fenced,
      replicaLagSeconds: db.replicaLagSeconds,
      fenced: db.fenced,
      ...(db.sourceRegion === undefined ? {} : { sourceRegion: db.sourceRegion }),
    };
  }

  async fence(group: GroupConfig, region: RegionName, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> {
    this.calls.fence += 1;
    const db = this.database(group, region);
    if (mode === 'none') return 'skipped';
    if (!db.reachable) return 'unreachable';
    if (db.fenced) return 'already-fenced';
    assertInTime(this.clock, effect);
    db.fenced = true;
    this.calls.fenceEffective += 1;
    return 'fenced';
  }

  async promote(group: GroupConfig, region: RegionName, options: PromoteOptions, effect?: EffectOptions): Promise<PromoteOutcome> {
    this.calls.promote += 1;
    this.lastPromoteOptions.push(structuredClone(options));
    const db = this.database(group, region);
    if (db.role === 'standalone' || db.role === 'primary') return 'already-promoted';
    if (db.promotionStartedAt !== undefined) return 'in-progress';
    if (db.busy !== undefined) throw new RetryableStepError(`in transition: ${region} is ${db.busy}, cannot promote yet`);
    assertInTime(this.clock, effect);
    if (this.dropPromotes > 0) {
      this.dropPromotes -= 1;
      return 'started';
    }
    db.promotionStartedAt = this.clock.now();
    db.status = 'modifying';
    this.calls.promoteEffective += 1;
    db.sourceRegion = undefined;
    return 'started';
  }

  /** Observes first: a replica already following `sourceRegion` answers `already-following`; a non-replica is refused. */
  async follow(group: GroupConfig, region: RegionName, sourceRegion: RegionName): Promise<FollowOutcome> {
    this.calls.follow += 1;
    const db = this.database(group, region);
    if (db.role !== 'replica') throw new FatalStepError(`${region} is not a replica: it cannot follow ${sourceRegion}`, { groupId: group.id, region });
    if (db.sourceRegion === sourceRegion) return 'already-following';
    db.sourceRegion = sourceRegion;
    this.calls.followEffective += 1;
    return 'repointed';
  }

  /** Observes first: a replica by that name in that region answers `exists`. Ready `replicaCreationMs` later. */
  async createReplica(_group: GroupConfig, region: RegionName, spec: ReplicaSpec): Promise<CreateReplicaOutcome> {
    this.calls.createReplica += 1;
    const key = `${region}/${spec.identifier}`;
    if (this.created.has(key)) return 'exists';
    this.created.set(key, {
      role: 'replica',
      status: 'creating',
      replicaLagSeconds: 0,
      reachable: true,
      fenced: false,
      sourceRegion: spec.sourceRegion,
      readyAt: this.clock.now() + this.replicaCreationMs,
    });
    this.calls.createReplicaEffective += 1;
    return 'created';
  }
}

import type { LiveTopology, ReprotectOperation } from '../domain/liveTopology.js';
import type { SplitBrainEpisodes } from '../domain/splitBrain.js';
import type { StalledOutage } from '../domain/stall.js';
import type { EpochMs, FailoverRecord, GroupId, LoggedEvent, Notification, RegionHealth } from '../domain/types.js';

/** Who may act on a group right now. `epoch` grows each time the lease changes hands. */
export interface Lease {
  readonly owner: string;
  readonly epoch: number;
  readonly expiresAt: EpochMs;
}

/**
 * Work saved together with the state in one conditional write and carried out after it (a transactional outbox):
 * if the executor dies after the save, the next run delivers it. Event log appends are idempotent by `seq`.
 */
export interface Outbox {
  readonly events: readonly LoggedEvent[];
  readonly notifications: readonly Notification[];
  /** Failover records to upsert in the history (by id). */
  readonly failovers?: readonly FailoverRecord[];
  /** Operator commands fed to the machine in this save, to mark done in the queue. */
  readonly commandOutcomes?: readonly CommandOutcome[];
}

export interface CommandOutcome {
  readonly commandId: string;
  readonly status: 'accepted' | 'refused';
  readonly outcome: string;
  readonly at: EpochMs;
}

/** Everything the control plane persists about one group, in one item. */
export interface GroupRecord {
  readonly groupId: GroupId;
  /** Grows by one on every successful save; the compare-and-set condition. */
  readonly revision: number;
  /** Version of the failover machine that produced `snapshot`. */
  readonly machineVersion: number;
  /** XState persisted snapshot (`actor.getPersistedSnapshot()`). */
  readonly snapshot: unknown;
  readonly health: Readonly<Record<string, RegionHealth>>;
  readonly outbox: Outbox;
  /** The next event sequence number to assign. */
  readonly nextEventSeq: number;
  /** Operator command ids already fed to the machine (bounded, newest last). */
  readonly processedCommandIds: readonly string[];
  /** Open split-brain episodes (region → since): one alarm per episode. Absent in records saved before it existed. */
  readonly splitBrain?: SplitBrainEpisodes;
  /** Regions of `splitBrain` whose second writer the provider last confirmed writable (an escalation is told once). */
  readonly splitBrainConfirmed?: readonly string[];
  /** Regions of `splitBrain` the provider last answered for as unable to take writes (stopped, rebooting...). */
  readonly splitBrainPaused?: readonly string[];
  /** The stalled failover's outage episode (`stalledOutage` in src/domain/stall.ts); absent unless stalled. */
  readonly stalledOutage?: StalledOutage;
  readonly lease?: Lease;
  readonly updatedAt: EpochMs;
  /** Databases a reprotect put in place of the configured ones; absent until the first reprotect completes. */
  readonly topology?: LiveTopology;
  /** The reprotect in progress, or the last one that ended. */
  readonly reprotect?: ReprotectOperation;
  /** Since when no region replicates from the primary (one notification per such episode); absent while protected. */
  readonly unprotectedSince?: EpochMs;
}

export type NewGroupRecord = Omit<GroupRecord, 'revision' | 'lease'>;

/**
 * One group's live topology as `loadTopologies` read it: `topology` is undefined for a group without a record or
 * without a completed reprotect; `error` says why its record could not be read.
 */
export type TopologyRead = { readonly topology: LiveTopology | undefined } | { readonly error: Error };

/**
 * The group state, saved only with compare-and-set.
 * Errors: `StaleStateError` when the revision or lease epoch moved on; `LeaseHeldError` when another owner holds it.
 *
 * @example
 * const lease = await store.acquireLease('orders', owner, now, LEASE_TTL_MS);
 * const record = await store.load('orders');
 * const reads = await store.loadTopologies(['orders', 'billing']); // Map: 'orders' → { topology }, ...
 * await store.save({ ...record!, revision: record!.revision + 1, snapshot }, record!.revision, lease, clock.now());
 */
export interface StateStore {
  load(groupId: GroupId): Promise<GroupRecord | undefined>;
  /**
   * The live topology of each of `groupIds` (an entry for every one), read in as few requests as the store allows,
   * for the probe, which needs only which database to describe. Never throws: a group whose record could not be read
   * answers `error`. It may lag a save by about a second (an eventually consistent read; see the adapter).
   */
  loadTopologies(groupIds: readonly GroupId[]): Promise<Map<GroupId, TopologyRead>>;
  /** Creates revision 1 if the group has no record; answers the existing record otherwise. */
  createIfAbsent(record: NewGroupRecord): Promise<GroupRecord>;
  /**
   * Takes the lease if it is free, expired (checked inside the write condition), or already ours; renews it if ours.
   * Does not change `revision`. `held`, the lease the caller believes it holds, is only a hint of which write to try
   * first (a renewal, one request, instead of a takeover refused for its own owner); the answer is the same.
   */
  acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number, held?: Lease): Promise<Lease>;
  /**
   * Writes `next` (its revision must be `expectedRevision + 1`) if the stored revision is `expectedRevision`
   * and `lease` is still held and unexpired at `now`.
   */
  save(next: GroupRecord, expectedRevision: number, lease: Lease, now: EpochMs): Promise<GroupRecord>;
  /** Gives the lease up early so the next invocation does not wait for expiry. Idempotent. */
  releaseLease(groupId: GroupId, lease: Lease): Promise<void>;
}

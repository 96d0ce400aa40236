import { LeaseHeldError, StaleStateError } from '../../src/domain/errors.js';
import type { EpochMs, GroupId } from '../../src/domain/types.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore, TopologyRead } from '../../src/ports/StateStore.js';

type Method = 'load' | 'createIfAbsent' | 'acquireLease' | 'save' | 'releaseLease';

/**
 * The state store of the simulation: the compare-and-set and lease rules of the DynamoDB adapter (as the in-memory
 * double `test/doubles/InMemoryStateStore.ts` has them), and a synchronous view of the last saved record of each group
 * for the invariants. Records are deep-frozen instead of copied: every load answers the same frozen object, so no
 * executor can change what another one reads (a write to it throws, and the simulation reports the error), at a
 * fraction of the cost of a copy per call (copies were a tenth of the simulation's CPU).
 *
 * @example
 * const store = new RecordingStateStore();
 * const record = await store.createIfAbsent(initialRecord(group, now));
 * store.saved(group.id) === record; // true: the invariants read it without copying
 */
export class RecordingStateStore implements StateStore {
  private readonly records = new Map<GroupId, GroupRecord>();
  private readonly leases = new Map<GroupId, Lease>();
  private readonly failures = new Map<Method, unknown>();

  /** The last saved record of `groupId` (frozen, without its lease). */
  saved(groupId: GroupId): GroupRecord | undefined {
    return this.records.get(groupId);
  }

  /** Makes the next call of `method` throw `error` without touching the stored state (self-test only). */
  failNext(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  /** Self-test only: replaces the record behind every executor's back. */
  seed(record: GroupRecord): void {
    const { lease, ...rest } = structuredClone(record);
    this.records.set(record.groupId, deepFreeze(rest));
    if (lease === undefined) this.leases.delete(record.groupId);
    else this.leases.set(record.groupId, lease);
  }

  async load(groupId: GroupId): Promise<GroupRecord | undefined> {
    this.enter('load');
    return this.current(groupId);
  }

  async loadTopologies(groupIds: readonly GroupId[]): Promise<Map<GroupId, TopologyRead>> {
    return new Map(groupIds.map((groupId): [GroupId, TopologyRead] => [groupId, { topology: this.records.get(groupId)?.topology }]));
  }

  async createIfAbsent(record: NewGroupRecord): Promise<GroupRecord> {
    this.enter('createIfAbsent');
    if (!this.records.has(record.groupId)) this.records.set(record.groupId, deepFreeze({ ...structuredClone(record), revision: 1 }));
    return this.current(record.groupId)!;
  }

  async acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number): Promise<Lease> {
    this.enter('acquireLease');
    const held = this.leases.get(groupId);
    const expiresAt = now + ttlMs;
    let lease: Lease;
    if (held === undefined) {
      lease = { owner, epoch: 1, expiresAt };
    } else if (held.owner === owner) {
      lease = { ...held, expiresAt };
    } else if (held.expiresAt <= now) {
      lease = { owner, epoch: held.epoch + 1, expiresAt };
    } else {
      throw new LeaseHeldError(`group ${groupId}: lease held by ${held.owner} (epoch ${held.epoch}) until ${held.expiresAt}`, { groupId });
    }
    this.leases.set(groupId, lease);
    return { ...lease };
  }

  async save(next: GroupRecord, expectedRevision: number, lease: Lease, now: EpochMs): Promise<GroupRecord> {
    this.enter('save');
    const groupId = next.groupId;
    const stored = this.records.get(groupId);
    const held = this.leases.get(groupId);
    const stale = (why: string): StaleStateError =>
      new StaleStateError(`group ${groupId}: revision ${expectedRevision} is no longer current (${why})`, { groupId });
    if (next.revision !== expectedRevision + 1) throw stale(`next revision ${next.revision} is not ${expectedRevision + 1}`);
    if (stored === undefined) throw stale('no record');
    if (stored.revision !== expectedRevision) throw stale(`stored revision is ${stored.revision}`);
    if (held === undefined || held.owner !== lease.owner || held.epoch !== lease.epoch) {
      throw stale(`lease of ${lease.owner} epoch ${lease.epoch} was taken over`);
    }
    if (held.expiresAt <= now) throw stale(`lease expired at ${held.expiresAt}`);
    const { lease: _ignored, ...fields } = next;
    // The caller's objects become the stored record: frozen, so the caller cannot change them afterwards either.
    this.records.set(groupId, deepFreeze(fields));
    return this.current(groupId)!;
  }

  async releaseLease(groupId: GroupId, lease: Lease): Promise<void> {
    this.enter('releaseLease');
    const held = this.leases.get(groupId);
    // Expire rather than delete: the epoch must keep growing for whoever takes the lease next.
    if (held !== undefined && held.owner === lease.owner && held.epoch === lease.epoch) this.leases.set(groupId, { ...held, expiresAt: 0 });
  }

  private current(groupId: GroupId): GroupRecord | undefined {
    const record = this.records.get(groupId);
    if (record === undefined) return undefined;
    const lease = this.leases.get(groupId);
    return lease === undefined ? record : Object.freeze({ ...record, lease: Object.freeze({ ...lease }) });
  }

  private enter(method: Method): void {
    if (!this.failures.has(method)) return;
    const error = this.failures.get(method);
    this.failures.delete(method);
    throw error;
  }
}

/** Freezes `value` and everything it reaches; a frozen object is taken as already deep-frozen (records share parts). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

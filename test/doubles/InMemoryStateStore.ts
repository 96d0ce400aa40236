import { LeaseHeldError, StaleStateError } from '../../src/domain/errors.js';
import type { EpochMs, GroupId } from '../../src/domain/types.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore, TopologyRead } from '../../src/ports/StateStore.js';
import { CallLog } from './CallLog.js';

type Method = 'load' | 'loadTopologies' | 'createIfAbsent' | 'acquireLease' | 'save' | 'releaseLease';

/**
 * StateStore in memory, with the same compare-and-set and lease rules as the DynamoDB adapter.
 * Counts calls per method and can fail the next call of a method with an injected error.
 *
 * @example
 * const store = new InMemoryStateStore();
 * store.failNextSave(new StaleStateError('group g1: lost the race'));
 * await expect(store.save(next, 1, lease, now)).rejects.toThrow(StaleStateError);
 * expect(store.calls.save).toBe(1);
 */
export class InMemoryStateStore extends CallLog<Method> implements StateStore {
  constructor() {
    super(['load', 'loadTopologies', 'createIfAbsent', 'acquireLease', 'save', 'releaseLease']);
  }

  /** Records by group id; a lease may exist before its record does, as in the table. */
  private readonly records = new Map<GroupId, GroupRecord>();
  private readonly leases = new Map<GroupId, Lease>();

  failNextSave(error: unknown): void {
    this.failNext('save', error);
  }

  /** Test setup: stores `record` (and its lease) as is, bypassing compare-and-set. */
  seed(record: GroupRecord): void {
    const { lease, ...rest } = structuredClone(record);
    this.records.set(record.groupId, rest);
    if (lease === undefined) this.leases.delete(record.groupId);
    else this.leases.set(record.groupId, lease);
  }

  async load(groupId: GroupId): Promise<GroupRecord | undefined> {
    this.enter('load');
    return this.current(groupId);
  }

  /** A failure injected with `failNext('loadTopologies', error)` is every group's answer of that one call. */
  async loadTopologies(groupIds: readonly GroupId[]): Promise<Map<GroupId, TopologyRead>> {
    let failure: Error | undefined;
    try {
      this.enter('loadTopologies');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    return new Map(
      groupIds.map((groupId): [GroupId, TopologyRead] => [
        groupId,
        failure === undefined ? { topology: structuredClone(this.records.get(groupId)?.topology) } : { error: failure },
      ]),
    );
  }

  async createIfAbsent(record: NewGroupRecord): Promise<GroupRecord> {
    this.enter('createIfAbsent');
    if (!this.records.has(record.groupId)) {
      this.records.set(record.groupId, { ...structuredClone(record), revision: 1 });
    }
    return this.current(record.groupId) as GroupRecord;
  }

  async acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number, _held?: Lease): Promise<Lease> {
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
      throw new LeaseHeldError(
        `group ${groupId}: lease held by ${held.owner} (epoch ${held.epoch}) until ${held.expiresAt}`,
        { groupId },
      );
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
    if (next.revision !== expectedRevision + 1) {
      throw stale(`next revision ${next.revision} is not ${expectedRevision + 1}`);
    }
    if (stored === undefined) throw stale('no record');
    if (stored.revision !== expectedRevision) throw stale(`stored revision is ${stored.revision}`);
    if (held === undefined || held.owner !== lease.owner || held.epoch !== lease.epoch) {
      throw stale(`lease of ${lease.owner} epoch ${lease.epoch} was taken over`);
    }
    if (held.expiresAt <= now) throw stale(`lease expired at ${held.expiresAt}`);
    const { lease: _ignored, ...fields } = structuredClone(next);
    this.records.set(groupId, fields);
    return this.current(groupId) as GroupRecord;
  }

  async releaseLease(groupId: GroupId, lease: Lease): Promise<void> {
    this.enter('releaseLease');
    const held = this.leases.get(groupId);
    // Expire rather than delete: the epoch must keep growing for whoever takes the lease next.
    if (held !== undefined && held.owner === lease.owner && held.epoch === lease.epoch) {
      this.leases.set(groupId, { ...held, expiresAt: 0 });
    }
  }

  private current(groupId: GroupId): GroupRecord | undefined {
    const record = this.records.get(groupId);
    if (record === undefined) return undefined;
    const lease = this.leases.get(groupId);
    return structuredClone(lease === undefined ? record : { ...record, lease });
  }
}

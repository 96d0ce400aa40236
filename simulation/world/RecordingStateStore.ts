import type { EpochMs, GroupId } from '../../src/domain/types.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore } from '../../src/ports/StateStore.js';
import { InMemoryStateStore } from '../../test/doubles/InMemoryStateStore.js';

/**
 * The in-memory state store, plus a synchronous, copy-free view of the last saved record of each group for the
 * invariants (which read it after every event; cloning it each time would cost more than the executor itself).
 */
export class RecordingStateStore implements StateStore {
  readonly store = new InMemoryStateStore();
  private readonly latest = new Map<GroupId, GroupRecord>();

  /** The last saved record of `groupId`: read-only, never hand it to project code. */
  saved(groupId: GroupId): GroupRecord | undefined {
    return this.latest.get(groupId);
  }

  failNext(method: Parameters<InMemoryStateStore['failNext']>[0], error: unknown): void {
    this.store.failNext(method, error);
  }

  /** Self-test only: replaces the record behind every executor's back. */
  seed(record: GroupRecord): void {
    this.store.seed(record);
    this.latest.set(record.groupId, structuredClone(record));
  }

  load(groupId: GroupId): Promise<GroupRecord | undefined> {
    return this.store.load(groupId);
  }

  async createIfAbsent(record: NewGroupRecord): Promise<GroupRecord> {
    const created = await this.store.createIfAbsent(record);
    if (!this.latest.has(record.groupId)) this.latest.set(record.groupId, structuredClone(created));
    return created;
  }

  acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number): Promise<Lease> {
    return this.store.acquireLease(groupId, owner, now, ttlMs);
  }

  async save(next: GroupRecord, expectedRevision: number, lease: Lease, now: EpochMs): Promise<GroupRecord> {
    const saved = await this.store.save(next, expectedRevision, lease, now);
    // The store answers a copy of its own; the executor only reads it, so it is shared rather than copied again.
    this.latest.set(saved.groupId, saved);
    return saved;
  }

  releaseLease(groupId: GroupId, lease: Lease): Promise<void> {
    return this.store.releaseLease(groupId, lease);
  }
}

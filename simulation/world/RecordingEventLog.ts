import type { FailoverRecord, GroupId, LoggedEvent } from '../../src/domain/types.js';
import type { EventLog } from '../../src/ports/EventLog.js';
import { InMemoryEventLog } from '../../test/doubles/InMemoryEventLog.js';

/**
 * The in-memory event log, plus a synchronous view for the invariants: what was appended (first write wins, as in
 * the table) and every version of every failover record, in the order they were written.
 */
export class RecordingEventLog implements EventLog {
  readonly store = new InMemoryEventLog();
  readonly events = new Map<GroupId, Map<number, LoggedEvent>>();
  readonly failovers = new Map<string, FailoverRecord>();
  /** Called after each append and failover save (the simulation's trace). */
  onAppend: (event: LoggedEvent) => void = () => {};
  onFailover: (previous: FailoverRecord | undefined, next: FailoverRecord) => void = () => {};
  /** Self-test hook: an event for which this returns true is silently dropped. */
  drop: (event: LoggedEvent) => boolean = () => false;

  async append(events: readonly LoggedEvent[]): Promise<void> {
    const kept = events.filter((event) => !this.drop(event));
    await this.store.append(kept);
    for (const event of kept) {
      let group = this.events.get(event.groupId);
      if (group === undefined) this.events.set(event.groupId, (group = new Map()));
      if (!group.has(event.seq)) {
        group.set(event.seq, event);
        this.onAppend(event);
      }
    }
  }

  list(groupId: GroupId, options?: { limit?: number }): Promise<LoggedEvent[]> {
    return this.store.list(groupId, options);
  }

  listAfter(groupId: GroupId, after: number, options: { limit: number }): Promise<LoggedEvent[]> {
    return this.store.listAfter(groupId, after, options);
  }

  async saveFailover(record: FailoverRecord): Promise<void> {
    await this.store.saveFailover(record);
    // What the store holds now, not what was asked: a stale copy the store refused (it never moves a record
    // backwards) must not look like a write to the checker.
    const stored = (await this.store.listFailovers(record.groupId)).find((candidate) => candidate.id === record.id) ?? record;
    const previous = this.failovers.get(record.id);
    this.failovers.set(record.id, structuredClone(stored));
    this.onFailover(previous, stored);
  }

  listFailovers(groupId?: GroupId, options?: { limit?: number }): Promise<FailoverRecord[]> {
    return this.store.listFailovers(groupId, options);
  }
}

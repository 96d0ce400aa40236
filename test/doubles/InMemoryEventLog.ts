import type { FailoverRecord, GroupId, LoggedEvent } from '../../src/domain/types.js';
import { mayReplaceFailover } from '../../src/domain/failoverProgress.js';
import type { EventLog } from '../../src/ports/EventLog.js';
import { CallLog } from './CallLog.js';

type Method = 'append' | 'list' | 'listAfter' | 'saveFailover' | 'listFailovers';

/** When a failover started: its earliest timestamp. Failovers are listed newest first by this, then by id. */
export function failoverStartedAt(record: FailoverRecord): number {
  const times = Object.values(record.timestamps).filter((time): time is number => typeof time === 'number');
  return times.length === 0 ? 0 : Math.min(...times);
}

/**
 * EventLog in memory: appends are idempotent per (groupId, seq), the first write wins, lists are newest first;
 * a failover record never moves backwards (`mayReplaceFailover`).
 *
 * @example
 * const log = new InMemoryEventLog();
 * await log.append([event]);
 * await log.append([event]);
 * expect(log.calls.append).toBe(2);
 * expect(await log.list('g1')).toHaveLength(1);
 */
export class InMemoryEventLog extends CallLog<Method> implements EventLog {
  constructor() {
    super(['append', 'list', 'listAfter', 'saveFailover', 'listFailovers']);
  }

  private readonly events = new Map<string, LoggedEvent>();
  private readonly failovers = new Map<string, FailoverRecord>();

  failNextAppend(error: unknown): void {
    this.failNext('append', error);
  }

  async append(events: readonly LoggedEvent[]): Promise<void> {
    this.enter('append');
    for (const event of events) {
      const key = `${event.groupId}\u0000${event.seq}`;
      if (!this.events.has(key)) this.events.set(key, structuredClone(event));
    }
  }

  async list(groupId: GroupId, options: { limit?: number } = {}): Promise<LoggedEvent[]> {
    this.enter('list');
    const newestFirst = [...this.events.values()]
      .filter((event) => event.groupId === groupId)
      .sort((a, b) => b.seq - a.seq);
    return structuredClone(newestFirst.slice(0, options.limit ?? newestFirst.length));
  }

  async listAfter(groupId: GroupId, after: number, options: { limit: number }): Promise<LoggedEvent[]> {
    this.enter('listAfter');
    const oldestFirst = [...this.events.values()]
      .filter((event) => event.groupId === groupId && event.seq > after)
      .sort((a, b) => a.seq - b.seq);
    return structuredClone(oldestFirst.slice(0, options.limit));
  }

  async saveFailover(record: FailoverRecord): Promise<void> {
    this.enter('saveFailover');
    if (!mayReplaceFailover(this.failovers.get(record.id), record)) return;
    this.failovers.set(record.id, structuredClone(record));
  }

  async listFailovers(groupId?: GroupId, options: { limit?: number } = {}): Promise<FailoverRecord[]> {
    this.enter('listFailovers');
    const newestFirst = [...this.failovers.values()]
      .filter((record) => groupId === undefined || record.groupId === groupId)
      .sort((a, b) => failoverStartedAt(b) - failoverStartedAt(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return structuredClone(newestFirst.slice(0, options.limit ?? newestFirst.length));
  }
}

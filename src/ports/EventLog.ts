import type { FailoverRecord, GroupId, LoggedEvent } from '../domain/types.js';

/**
 * The group's history: an ordered event log and one record per failover.
 *
 * @example
 * await eventLog.append(record.outbox.events);
 * const [last] = await eventLog.listFailovers('orders', { limit: 1 });
 */
export interface EventLog {
  /** Idempotent per (groupId, seq): appending an event twice stores it once. */
  append(events: readonly LoggedEvent[]): Promise<void>;
  /** Newest first. */
  list(groupId: GroupId, options?: { limit?: number }): Promise<LoggedEvent[]>;
  /**
   * The events logged after sequence number `after`, oldest first, at most `limit`: a follower pages forward from the
   * last one it saw and reads each event once, however many were logged meanwhile.
   */
  listAfter(groupId: GroupId, after: number, options: { limit: number }): Promise<LoggedEvent[]>;
  /**
   * Upsert by failover id, conditional on the record's own progress (`failoverProgress`): a copy that is behind the
   * stored one (an in-progress copy of a completed failover, delivered late by a stale executor) changes nothing.
   */
  saveFailover(record: FailoverRecord): Promise<void>;
  /** Newest first. */
  listFailovers(groupId?: GroupId, options?: { limit?: number }): Promise<FailoverRecord[]>;
}

import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { failoverProgress } from '../../../domain/failoverProgress.js';
import { StaleStateError } from '../../../domain/errors.js';
import type { FailoverRecord, GroupId, LoggedEvent } from '../../../domain/types.js';
import type { EventLog } from '../../../ports/EventLog.js';
import { GSI1, isConditionFailed, isReplicatedWriteConflict, keys, pad, queryGroup, queryItems, withoutKeys } from './table.js';

/** When a failover started: its earliest timestamp. Failovers are listed newest first by this, then by id. */
export function failoverStartedAt(record: FailoverRecord): number {
  const times = Object.values(record.timestamps).filter((time): time is number => typeof time === 'number');
  return times.length === 0 ? 0 : Math.min(...times);
}

/** The largest sequence number the 12-digit sort key holds. */
const LAST_SEQ = 999_999_999_999;

function failoverOf(item: Record<string, unknown>): FailoverRecord {
  const { progress: _progress, ...record } = withoutKeys(item);
  return record as unknown as FailoverRecord;
}

/**
 * Events are items `GROUP#<id>` / `EVENT#<seq, 12 digits>`, written with `attribute_not_exists` so the first write of
 * a sequence number wins and a replayed outbox stores nothing twice. Failovers are items `GROUP#<id>` /
 * `FAILOVER#<failoverId>`, upserted on the condition that the stored copy is not further on (`progress`), and indexed in `gsi1` (`FAILOVERS` / `<start, 15 digits>#<failoverId>`)
 * for the list across groups.
 *
 * @example
 * const log = new DynamoDbEventLog(documents, 'failover-control-plane');
 * await log.append(record.outbox.events);
 * const latest = await log.list('orders', { limit: 20 });
 */
export class DynamoDbEventLog implements EventLog {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(events: readonly LoggedEvent[]): Promise<void> {
    await Promise.all(events.map((event) => this.appendOne(event)));
  }

  async list(groupId: GroupId, options: { limit?: number } = {}): Promise<LoggedEvent[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.eventPrefix, {
      newestFirst: true,
      limit: options.limit,
    });
    return items.map((item) => withoutKeys(item) as unknown as LoggedEvent);
  }

  /** One query on the sort key range `EVENT#<after + 1>` to the last sequence number: reads only what it answers. */
  async listAfter(groupId: GroupId, after: number, options: { limit: number }): Promise<LoggedEvent[]> {
    const items = await queryItems(
      this.documents,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': keys.group(groupId), ':from': keys.event(after + 1), ':to': keys.event(LAST_SEQ) },
        ScanIndexForward: true,
        ConsistentRead: true,
      },
      options.limit,
    );
    return items.map((item) => withoutKeys(item) as unknown as LoggedEvent);
  }

  /** A put conditional on the stored copy's `progress` (see `failoverProgress`): a record never moves backwards. */
  async saveFailover(record: FailoverRecord): Promise<void> {
    const progress = failoverProgress(record);
    try {
      await raceLostIsStale(record.groupId, `failover ${record.id}`, () =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...record,
              pk: keys.group(record.groupId),
              sk: keys.failover(record.id),
              gsi1pk: keys.allFailovers,
              gsi1sk: `${pad(failoverStartedAt(record), 15)}#${record.id}`,
              progress,
            },
            // Items written before `progress` existed carry none: any copy may replace them once.
            ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(progress) OR progress <= :progress',
            ExpressionAttributeValues: { ':progress': progress },
          }),
        ),
      );
    } catch (error) {
      // The stored copy is further on: this one is stale and changes nothing.
      if (!isConditionFailed(error)) throw error;
    }
  }

  async listFailovers(groupId?: GroupId, options: { limit?: number } = {}): Promise<FailoverRecord[]> {
    if (groupId === undefined) {
      const items = await queryItems(
        this.documents,
        {
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :failovers',
          ExpressionAttributeValues: { ':failovers': keys.allFailovers },
          ScanIndexForward: false,
        },
        options.limit,
      );
      return items.map(failoverOf);
    }
    // A group has few failovers: read them all (consistently) and order by start here.
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.failoverPrefix);
    const newestFirst = items
      .map(failoverOf)
      .sort((a, b) => failoverStartedAt(b) - failoverStartedAt(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return newestFirst.slice(0, options.limit ?? newestFirst.length);
  }

  private async appendOne(event: LoggedEvent): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...event, pk: keys.group(event.groupId), sk: keys.event(event.seq) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Already appended by an earlier attempt or another writer: the first write stands.
      if (isConditionFailed(error)) return;
      if (isReplicatedWriteConflict(error)) throw lostRace(event.groupId, `event ${event.seq}`, error);
      throw error;
    }
  }
}

/**
 * A write that raced the same item in another region (multi-Region strong consistency) and kept losing past the SDK's
 * retries: another executor is delivering the same outbox. The caller stops; the saved outbox is delivered again by
 * whoever holds the lease next, so nothing is lost.
 */
function lostRace(groupId: GroupId, what: string, error: unknown): StaleStateError {
  return new StaleStateError(`group ${groupId}: ${what} is being written from another region at the same time`, { groupId, cause: error });
}

async function raceLostIsStale<T>(groupId: GroupId, what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isReplicatedWriteConflict(error)) throw lostRace(groupId, what, error);
    throw error;
  }
}

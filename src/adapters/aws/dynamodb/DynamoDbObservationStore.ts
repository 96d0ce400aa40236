import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FUTURE_REPORT_TOLERANCE_MS } from '../../../domain/observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../../../domain/types.js';
import type { ObservationStore } from '../../../ports/ObservationStore.js';
import { isConditionFailed, isReplicatedWriteConflict, keys, queryGroup, withoutKeys } from './table.js';

/**
 * One item per (group, region, observer): `GROUP#<id>` / `OBS#<region>#<observer>`. A report older than the stored
 * one (by `observedAt`) is ignored, so a slow probe invocation cannot overwrite a newer view.
 *
 * @example
 * const observations = new DynamoDbObservationStore(documents, 'failover-control-plane');
 * await observations.put(report);
 * const reports = await observations.listForGroup('orders');
 */
export class DynamoDbObservationStore implements ObservationStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(report: ObserverReport, now?: EpochMs): Promise<void> {
    // replacesStoredReport (src/domain/observations.ts) as a condition: newer wins, unless the stored one is from the future.
    const future = now === undefined ? '' : ' OR observedAt > :futureAfter';
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...report, pk: keys.group(report.groupId), sk: keys.observation(report.region, report.observerRegion) },
          ConditionExpression: `attribute_not_exists(pk) OR observedAt <= :observedAt${future}`,
          ExpressionAttributeValues: {
            ':observedAt': report.observedAt,
            ...(now === undefined ? {} : { ':futureAfter': now + FUTURE_REPORT_TOLERANCE_MS }),
          },
        }),
      );
    } catch (error) {
      // Only this observer writes this item; a conflict is its own overlapping invocation, and the next round rewrites it.
      if (!isConditionFailed(error) && !isReplicatedWriteConflict(error)) throw error;
    }
  }

  async get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.group(groupId), sk: keys.observation(region, observerRegion) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : (withoutKeys(Item) as unknown as ObserverReport);
  }

  async listForGroup(groupId: GroupId): Promise<ObserverReport[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.observationPrefix);
    return items.map((item) => withoutKeys(item) as unknown as ObserverReport);
  }
}

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { GroupId } from '../../../domain/types.js';
import type { DrillReportStore, StoredDrill } from '../../../ports/DrillReportStore.js';
import { keys, pad, queryGroup, queryItems, withoutKeys } from './table.js';

const DRILL_PREFIX = 'DRILL#';

/**
 * Staging drill reports on the control-plane table: `GROUP#<id>` / `DRILL#<startedAt, 15 digits>#<drillId>`, so a
 * group's drills sort by start time. The report is kept as a JSON string (`reportJson`): a report nests deeper than
 * the rest of the table's items and only people and the CLI read it, whole.
 *
 * @example
 * const drills = new DynamoDbDrillReportStore<DrillReport>(stores.client, 'failover-control-plane');
 * const [latest] = await drills.list('orders', { limit: 1 });
 */
export class DynamoDbDrillReportStore<Report = unknown> implements DrillReportStore<Report> {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async save(drill: StoredDrill<Report>): Promise<void> {
    const { report, ...fields } = drill;
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...fields,
          ...(report === undefined ? {} : { reportJson: JSON.stringify(report) }),
          pk: keys.group(drill.groupId),
          sk: `${DRILL_PREFIX}${pad(drill.startedAt, 15)}#${drill.id}`,
        },
      }),
    );
  }

  /** The key starts with the start time, which a caller holding only the id does not know: a query of the group's drills, filtered by id. */
  async get(groupId: GroupId, id: string): Promise<StoredDrill<Report> | undefined> {
    const items = await queryItems(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':pk': keys.group(groupId), ':prefix': DRILL_PREFIX, ':id': id },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    return items.map((item) => drillOf<Report>(item))[0];
  }

  async list(groupId: GroupId, options: { limit?: number } = {}): Promise<StoredDrill<Report>[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, DRILL_PREFIX, { newestFirst: true, limit: options.limit });
    return items.map((item) => drillOf<Report>(item));
  }
}

function drillOf<Report>(item: Record<string, unknown>): StoredDrill<Report> {
  const { reportJson, ...fields } = withoutKeys(item);
  return {
    ...(fields as unknown as StoredDrill<Report>),
    ...(typeof reportJson === 'string' ? { report: JSON.parse(reportJson) as Report } : {}),
  };
}

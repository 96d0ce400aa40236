import {
  ConditionalCheckFailedException,
  ReplicatedWriteConflictException,
  CreateTableCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * The control plane's one table. Every write is a single-item conditional write (no transactions), so the table can
 * become a multi-region strongly consistent global table. Layout: see docs/dynamodb.md.
 */
export const tableDefinition = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    {
      // Failovers of all groups, newest first (`listFailovers()` without a group).
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;

export const GSI1 = tableDefinition.GlobalSecondaryIndexes[0].IndexName;

/**
 * Creates the table and waits until it is active.
 *
 * @example
 * await createTable(new DynamoDBClient({ endpoint: 'http://127.0.0.1:8000' }), 'failover-control-plane-test');
 */
export async function createTable(client: DynamoDBClient, tableName: string, maxWaitSeconds = 60): Promise<void> {
  // Spread copies the readonly arrays of the `as const` definition into the SDK's mutable input types.
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [...tableDefinition.KeySchema],
      AttributeDefinitions: [...tableDefinition.AttributeDefinitions],
      GlobalSecondaryIndexes: tableDefinition.GlobalSecondaryIndexes.map((index) => ({
        ...index,
        KeySchema: [...index.KeySchema],
      })),
      BillingMode: tableDefinition.BillingMode,
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: maxWaitSeconds, minDelay: 1 }, { TableName: tableName });
}

export const keys = {
  group: (groupId: string): string => `GROUP#${groupId}`,
  state: 'STATE',
  event: (seq: number): string => `EVENT#${pad(seq, 12)}`,
  eventPrefix: 'EVENT#',
  failover: (id: string): string => `FAILOVER#${id}`,
  failoverPrefix: 'FAILOVER#',
  /** One observer's reports of the group (until 2026-11 one item per region, `OBS#<region>#<observer>`: no longer read). */
  observations: (observerRegion: string): string => `OBSERVER#${observerRegion}`,
  observationsPrefix: 'OBSERVER#',
  /** Every observer's heartbeat of a shard (sk `OBSERVER#<observer>`); a group id is never `HEARTBEAT#...` under `GROUP#`. */
  heartbeats: (shard: string): string => `HEARTBEAT#${shard}`,
  command: (id: string): string => `CMD#${id}`,
  commandPrefix: 'CMD#',
  /**
   * Every group's drill faults share one partition, so a probe round reads them all with one query (until 2026-11
   * under `GROUP#<id>` / `FAULT#<region>`: no longer read). A group id holds no `#`, so `FAULT#<id>#` is its prefix alone.
   */
  faults: 'FAULTS',
  fault: (groupId: string, region: string): string => `FAULT#${groupId}#${region}`,
  faultPrefix: (groupId: string): string => `FAULT#${groupId}#`,
  fleet: 'FLEET',
  ledger: 'LEDGER',
  allFailovers: 'FAILOVERS',
} as const;

/** Zero-pads a non-negative integer so that string order is numeric order. */
export function pad(value: number, width: number): string {
  return String(Math.max(0, Math.trunc(value))).padStart(width, '0');
}

export function isConditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * A multi-Region strongly consistent table refuses a write to an item that a request in another region is modifying
 * at the same moment. The SDK retries it (it is modelled retryable); one that still arrives here lost a race, exactly
 * like a failed condition: the caller re-reads, or stands down.
 */
export function isReplicatedWriteConflict(error: unknown): error is ReplicatedWriteConflictException {
  return error instanceof ReplicatedWriteConflictException || (error as { name?: unknown } | undefined)?.name === 'ReplicatedWriteConflictException';
}

/** Removes the table's own key attributes, leaving the domain object that was stored. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, ...rest } = item;
  return rest;
}

/** Runs a query page by page until `limit` items (or all items) are read. */
export async function queryItems(
  documents: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  if (limit !== undefined && limit <= 0) return items;
  let startKey: Record<string, unknown> | undefined;
  do {
    const remaining = limit === undefined ? undefined : limit - items.length;
    const page = await documents.send(
      new QueryCommand({ ...input, ExclusiveStartKey: startKey, ...(remaining === undefined ? {} : { Limit: remaining }) }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && (limit === undefined || items.length < limit));
  return items;
}

/** Items of one group whose sort key starts with `prefix`, in sort key order (or reversed). */
export function queryGroup(
  documents: DynamoDBDocumentClient,
  tableName: string,
  groupId: string,
  prefix: string,
  options: { newestFirst?: boolean; limit?: number; consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  return queryItems(
    documents,
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.group(groupId), ':prefix': prefix },
      ScanIndexForward: options.newestFirst !== true,
      ConsistentRead: options.consistent ?? true,
    },
    options.limit,
  );
}

import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EpochMs, GroupId } from '../../../domain/types.js';
import type { CommandQueue, OperatorCommand, StoredCommand } from '../../../ports/CommandQueue.js';
import { isConditionFailed, isReplicatedWriteConflict, keys, queryGroup, withoutKeys } from './table.js';

/**
 * Operator commands as items `GROUP#<id>` / `CMD#<commandId>`. The command id is the caller's idempotency key:
 * a second enqueue answers `duplicate` with the stored command; the first completion wins.
 *
 * @example
 * const queue = new DynamoDbCommandQueue(documents, 'failover-control-plane');
 * const { result } = await queue.enqueue(command); // 'queued', then 'duplicate' on a retry
 */
export class DynamoDbCommandQueue implements CommandQueue {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async enqueue(command: OperatorCommand): Promise<{ result: 'queued' | 'duplicate'; stored: StoredCommand }> {
    const stored: StoredCommand = { ...command, status: 'pending' };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...stored, pk: keys.group(command.groupId), sk: keys.command(command.id) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { result: 'queued', stored };
    } catch (error) {
      // A conflict from another region is the same command sent twice at once (a retried request): read what stands.
      if (!isConditionFailed(error) && !isReplicatedWriteConflict(error)) throw error;
    }
    const existing = await this.get(command.groupId, command.id);
    if (existing === undefined) throw new Error(`group ${command.groupId}: command ${command.id} vanished while queued`);
    return { result: 'duplicate', stored: existing };
  }

  async pending(groupId: GroupId): Promise<StoredCommand[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.commandPrefix);
    return items
      .map((item) => withoutKeys(item) as unknown as StoredCommand)
      .filter((command) => command.status === 'pending')
      .sort((a, b) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(groupId: GroupId, id: string): Promise<StoredCommand | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.group(groupId), sk: keys.command(id) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : (withoutKeys(Item) as unknown as StoredCommand);
  }

  async complete(
    groupId: GroupId,
    id: string,
    status: 'accepted' | 'refused',
    outcome: string,
    at: EpochMs,
  ): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.group(groupId), sk: keys.command(id) },
          UpdateExpression: 'SET #status = :status, outcome = :outcome, processedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':outcome': outcome, ':at': at, ':pending': 'pending' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      // Completed at this moment from another region: the first completion stands, as below.
      if (isReplicatedWriteConflict(error)) return;
      if (!isConditionFailed(error)) throw error;
      // Completed before: the first completion stands. Missing: the caller completes what it never enqueued.
      if (error.Item === undefined) throw new Error(`group ${groupId}: command ${id} was never enqueued`, { cause: error });
    }
  }
}

import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError, StaleStateError } from '../../../domain/errors.js';
import type { EpochMs, GroupId } from '../../../domain/types.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore } from '../../../ports/StateStore.js';
import { isConditionFailed, keys } from './table.js';

/** Raw attribute values of the item as it was when a condition failed (`ReturnValuesOnConditionCheckFailure`). */
type OldItem = Record<string, { S?: string; N?: string } | undefined> | undefined;

/**
 * The group state in one item (`GROUP#<id>` / `STATE`): the record's fields in a `record` map, and beside it
 * `revision` and the lease as flat attributes (`leaseOwner`, `leaseEpoch`, `leaseExpiresAt`), so that `save` checks
 * revision and lease in one condition.
 * Lease expiry is compared with the caller's `now` inside the condition, never by DynamoDB TTL.
 *
 * @example
 * const store = new DynamoDbStateStore(documents, 'failover-control-plane');
 * const lease = await store.acquireLease('orders', invocationId, clock.now(), 30_000);
 * const record = await store.load('orders');
 * await store.save({ ...record, revision: record.revision + 1 }, record.revision, lease, clock.now());
 */
export class DynamoDbStateStore implements StateStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(groupId: GroupId): Promise<GroupRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(groupId), ConsistentRead: true }),
    );
    return Item === undefined || Item.revision === undefined ? undefined : toGroupRecord(Item);
  }

  async createIfAbsent(record: NewGroupRecord): Promise<GroupRecord> {
    // An update, not a put: a lease taken before the record existed must survive.
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(record.groupId),
          UpdateExpression: 'SET #record = :record, revision = :one',
          ConditionExpression: 'attribute_not_exists(revision)',
          ExpressionAttributeNames: { '#record': 'record' },
          ExpressionAttributeValues: { ':record': fieldsOf(record), ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toGroupRecord(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.load(record.groupId);
    if (existing === undefined) throw new Error(`group ${record.groupId}: record vanished while being created`);
    return existing;
  }

  async acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      // Take it over when free or expired: the epoch grows so the previous holder's saves are refused.
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          UpdateExpression:
            'SET leaseOwner = :owner, leaseExpiresAt = :expiresAt, leaseEpoch = if_not_exists(leaseEpoch, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(leaseOwner) OR (leaseExpiresAt <= :now AND leaseOwner <> :owner)',
          ExpressionAttributeValues: { ':owner': owner, ':expiresAt': expiresAt, ':now': now, ':zero': 0, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return leaseOf(Attributes ?? {}) as Lease;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    try {
      // Ours already (or someone else's and unexpired, which this condition refuses): renew, same epoch.
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          UpdateExpression: 'SET leaseExpiresAt = :expiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':expiresAt': expiresAt },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return leaseOf(Attributes ?? {}) as Lease;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const old = error.Item as OldItem;
      throw new LeaseHeldError(
        `group ${groupId}: lease held by ${old?.leaseOwner?.S ?? 'another executor'} ` +
          `(epoch ${old?.leaseEpoch?.N ?? '?'}) until ${old?.leaseExpiresAt?.N ?? '?'}`,
        { groupId, cause: error },
      );
    }
  }

  async save(next: GroupRecord, expectedRevision: number, lease: Lease, now: EpochMs): Promise<GroupRecord> {
    const groupId = next.groupId;
    if (next.revision !== expectedRevision + 1) {
      throw new StaleStateError(
        `group ${groupId}: revision ${expectedRevision} is no longer current ` +
          `(next revision ${next.revision} is not ${expectedRevision + 1})`,
        { groupId },
      );
    }
    try {
      // The whole record is replaced (a field the caller dropped is gone); the lease attributes are left alone,
      // so a renewal made after the caller's copy of the lease is not undone.
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          UpdateExpression: 'SET #record = :record, revision = :next',
          ConditionExpression:
            'revision = :expected AND leaseOwner = :owner AND leaseEpoch = :epoch AND leaseExpiresAt > :now',
          ExpressionAttributeNames: { '#record': 'record' },
          ExpressionAttributeValues: {
            ':record': fieldsOf(next),
            ':next': next.revision,
            ':expected': expectedRevision,
            ':owner': lease.owner,
            ':epoch': lease.epoch,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toGroupRecord(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new StaleStateError(
        `group ${groupId}: revision ${expectedRevision} is no longer current (${whySaveFailed(error.Item as OldItem, expectedRevision, lease, now)})`,
        { groupId, cause: error },
      );
    }
  }

  async releaseLease(groupId: GroupId, lease: Lease): Promise<void> {
    try {
      // Expire rather than delete: the epoch must keep growing for whoever takes the lease next.
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          UpdateExpression: 'SET leaseExpiresAt = :zero',
          ConditionExpression: 'leaseOwner = :owner AND leaseEpoch = :epoch',
          ExpressionAttributeValues: { ':owner': lease.owner, ':epoch': lease.epoch, ':zero': 0 },
        }),
      );
    } catch (error) {
      // Already released, or taken over by someone else: either way it is no longer ours to give up.
      if (!isConditionFailed(error)) throw error;
    }
  }

  private key(groupId: GroupId): { pk: string; sk: string } {
    return { pk: keys.group(groupId), sk: keys.state };
  }
}

/** The record's fields kept in the `record` map: not the revision and lease, which conditions read at the top level. */
function fieldsOf(record: NewGroupRecord | GroupRecord): Record<string, unknown> {
  const { lease: _lease, revision: _revision, ...fields } = record as GroupRecord;
  return fields;
}

function leaseOf(item: Record<string, unknown>): Lease | undefined {
  if (typeof item.leaseOwner !== 'string') return undefined;
  return { owner: item.leaseOwner, epoch: Number(item.leaseEpoch), expiresAt: Number(item.leaseExpiresAt) };
}

function toGroupRecord(item: Record<string, unknown>): GroupRecord {
  // The map was written from a GroupRecord by this class; revision and lease sit beside it.
  const record = { ...(item.record as Omit<GroupRecord, 'revision' | 'lease'>), revision: Number(item.revision) };
  const lease = leaseOf(item);
  return lease === undefined ? record : { ...record, lease };
}

function whySaveFailed(old: OldItem, expectedRevision: number, lease: Lease, now: EpochMs): string {
  if (old?.revision?.N === undefined) return 'no record';
  if (Number(old.revision.N) !== expectedRevision) return `stored revision is ${old.revision.N}`;
  if (old.leaseOwner?.S !== lease.owner || Number(old.leaseEpoch?.N) !== lease.epoch) {
    return `lease of ${lease.owner} epoch ${lease.epoch} was taken over by ${old.leaseOwner?.S} epoch ${old.leaseEpoch?.N}`;
  }
  if (Number(old.leaseExpiresAt?.N) <= now) return `lease expired at ${old.leaseExpiresAt?.N}`;
  return 'condition failed';
}

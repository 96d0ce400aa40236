import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError, StaleStateError } from '../../../domain/errors.js';
import type { EpochMs, GroupId } from '../../../domain/types.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore } from '../../../ports/StateStore.js';
import { isConditionFailed, keys, withoutKeys } from './table.js';

/** Raw attribute values of the item as it was when a condition failed (`ReturnValuesOnConditionCheckFailure`). */
type OldItem = Record<string, { S?: string; N?: string } | undefined> | undefined;

/**
 * The group state in one item (`GROUP#<id>` / `STATE`). The lease lives in the same item as flat attributes
 * (`leaseOwner`, `leaseEpoch`, `leaseExpiresAt`) so that `save` checks revision and lease in one condition.
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
    const set = setExpression({ ...fieldsOf(record), revision: 1 });
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(record.groupId),
          UpdateExpression: set.expression,
          ConditionExpression: 'attribute_not_exists(revision)',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: set.values,
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
    // SET of the record's fields only: the lease attributes are the lease's, renewals must not be overwritten.
    const set = setExpression(fieldsOf(next));
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          UpdateExpression: set.expression,
          ConditionExpression:
            'revision = :expected AND leaseOwner = :owner AND leaseEpoch = :epoch AND leaseExpiresAt > :now',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: {
            ...set.values,
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

/** The record's own fields, without the lease (written only by the lease methods). */
function fieldsOf(record: NewGroupRecord | GroupRecord): Record<string, unknown> {
  const { lease: _lease, ...fields } = record as GroupRecord;
  return fields;
}

function setExpression(fields: Record<string, unknown>): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments: string[] = [];
  Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .forEach(([name, value], index) => {
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      assignments.push(`#f${index} = :f${index}`);
    });
  return { expression: `SET ${assignments.join(', ')}`, names, values };
}

function leaseOf(item: Record<string, unknown>): Lease | undefined {
  if (typeof item.leaseOwner !== 'string') return undefined;
  return { owner: item.leaseOwner, epoch: Number(item.leaseEpoch), expiresAt: Number(item.leaseExpiresAt) };
}

function toGroupRecord(item: Record<string, unknown>): GroupRecord {
  const { leaseOwner: _owner, leaseEpoch: _epoch, leaseExpiresAt: _expiresAt, ...fields } = withoutKeys(item);
  const lease = leaseOf(item);
  // The item was written from a GroupRecord by this class; only the key and lease attributes differ.
  const record = fields as unknown as GroupRecord;
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

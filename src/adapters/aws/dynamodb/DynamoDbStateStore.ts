import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ControlPlaneCutOffError, LeaseHeldError, StaleStateError } from '../../../domain/errors.js';
import type { EpochMs, GroupId } from '../../../domain/types.js';
import type { LiveTopology } from '../../../domain/liveTopology.js';
import type { GroupRecord, Lease, NewGroupRecord, StateStore, TopologyRead } from '../../../ports/StateStore.js';
import { isUnreachableError } from '../errors.js';
import { isConditionFailed, isReplicatedWriteConflict, keys } from './table.js';

/** Raw attribute values of the item as it was when a condition failed (`ReturnValuesOnConditionCheckFailure`). */
type OldItem = Record<string, { S?: string; N?: string } | undefined> | undefined;

/**
 * The group state in one item (`GROUP#<id>` / `STATE`): the record's fields in a `record` map, and beside it
 * `revision` and the lease as flat attributes (`leaseOwner`, `leaseEpoch`, `leaseExpiresAt`), so that `save` checks
 * revision and lease in one condition.
 * Lease expiry is compared with the caller's `now` inside the condition, never by DynamoDB TTL.
 *
 * On a multi-Region strongly consistent table, a write that races a write in another region fails with
 * `ReplicatedWriteConflictException`: a lost race, answered like a failed condition (`LeaseHeldError` for the lease,
 * `StaleStateError` for a save). A write the table does not accept at all (the replica in this region is cut off from
 * the others, or the endpoint is down) answers `ControlPlaneCutOffError`: this executor cannot hold a lease, so it
 * stands by and says why.
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
    /** The region of the replica this store writes to, named in the cut-off message. */
    private readonly region?: string,
  ) {}

  async load(groupId: GroupId): Promise<GroupRecord | undefined> {
    let Item: Record<string, unknown> | undefined;
    try {
      ({ Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: this.key(groupId), ConsistentRead: true })));
    } catch (error) {
      throw this.cutOffOr(error, groupId, 'answer a strongly consistent read');
    }
    return Item === undefined || Item.revision === undefined ? undefined : toGroupRecord(Item);
  }

  /**
   * BatchGetItem, `BATCH_GET_KEYS` keys a request (the API's limit), the requests sent at once; the keys DynamoDB
   * leaves unprocessed (throttling, 16 MB) are asked again with a growing pause, up to `BATCH_GET_ATTEMPTS` times.
   * Only `record.topology` is projected: the whole record (machine snapshot, outbox) is never unmarshalled. A read
   * costs as much as a GetItem of the item.
   *
   * Eventually consistent on purpose (half the read units of a strongly consistent read, and answered by a cut-off
   * MRSC replica too): the probe only learns which database to describe. The topology changes when a reprotect
   * completes, saved by the executor after the new replica exists; a read a second behind describes the replaced
   * database for one more round, as a read that fails does (the configured or last-read identifiers). The executor,
   * which acts on the record, still reads it strongly (`load`).
   */
  async loadTopologies(groupIds: readonly GroupId[]): Promise<Map<GroupId, TopologyRead>> {
    const reads = new Map<GroupId, TopologyRead>();
    const unique = [...new Set(groupIds)];
    const batches: GroupId[][] = [];
    for (let index = 0; index < unique.length; index += BATCH_GET_KEYS) batches.push(unique.slice(index, index + BATCH_GET_KEYS));
    await Promise.all(
      batches.map(async (batch) => {
        try {
          const { found, unprocessed } = await this.batchGetTopologies(batch);
          for (const groupId of batch) {
            if (unprocessed.has(groupId)) {
              reads.set(groupId, { error: new Error(`group ${groupId}: state record still unprocessed after ${BATCH_GET_ATTEMPTS} BatchGetItem attempts`) });
            } else reads.set(groupId, { topology: found.get(groupId) });
          }
        } catch (error) {
          const cause = error instanceof Error ? error : new Error(String(error));
          for (const groupId of batch) reads.set(groupId, { error: cause });
        }
      }),
    );
    return new Map(groupIds.map((groupId) => [groupId, reads.get(groupId)!]));
  }

  /** One batch's topologies (groups without one are absent), and the keys DynamoDB never processed. */
  private async batchGetTopologies(groupIds: readonly GroupId[]): Promise<{ found: Map<GroupId, LiveTopology>; unprocessed: Set<GroupId> }> {
    const found = new Map<GroupId, LiveTopology>();
    let pending: Record<string, unknown>[] = groupIds.map((groupId) => this.key(groupId));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > 1) await pause(BATCH_GET_RETRY_BASE_MS * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
      const { Responses, UnprocessedKeys } = await this.documents.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending,
              ConsistentRead: false,
              ProjectionExpression: 'pk, #record.#topology',
              ExpressionAttributeNames: { '#record': 'record', '#topology': 'topology' },
            },
          },
        }),
      );
      for (const item of Responses?.[this.tableName] ?? []) {
        const topology = (item.record as { topology?: LiveTopology } | undefined)?.topology;
        if (topology !== undefined) found.set(String(item.pk).slice(keys.group('').length), topology);
      }
      pending = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (attempt >= BATCH_GET_ATTEMPTS) break;
    }
    return { found, unprocessed: new Set(pending.map((key) => String(key.pk).slice(keys.group('').length))) };
  }

  async createIfAbsent(record: NewGroupRecord): Promise<GroupRecord> {
    for (let attempt = 1; ; attempt += 1) {
      const created = await this.tryCreate(record);
      if (created !== undefined) return created;
      const existing = await this.load(record.groupId);
      if (existing !== undefined) return existing;
      // Both racers' writes were refused (a cross-region conflict): the item is still absent, so try again.
      if (attempt >= CREATE_ATTEMPTS) {
        throw new StaleStateError(`group ${record.groupId}: record could not be created (${attempt} conflicting attempts)`, {
          groupId: record.groupId,
        });
      }
    }
  }

  /** The new record, or undefined when another writer created it first or raced this write from another region. */
  private async tryCreate(record: NewGroupRecord): Promise<GroupRecord | undefined> {
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
      if (isConditionFailed(error) || isReplicatedWriteConflict(error)) return undefined;
      throw this.cutOffOr(error, record.groupId);
    }
  }

  async acquireLease(groupId: GroupId, owner: string, now: EpochMs, ttlMs: number, held?: Lease): Promise<Lease> {
    const expiresAt = now + ttlMs;
    // One write in the usual case: a holder renews first, anyone else tries a takeover first.
    const first = held?.owner === owner ? this.tryRenew(groupId, owner, expiresAt) : this.tryTake(groupId, owner, now, expiresAt);
    const firstAnswer = await first;
    if ('lease' in firstAnswer) return firstAnswer.lease;
    const second = held?.owner === owner ? this.tryTake(groupId, owner, now, expiresAt) : this.tryRenew(groupId, owner, expiresAt);
    const answer = await second;
    if ('lease' in answer) return answer.lease;
    const old = answer.refused ?? firstAnswer.refused;
    throw new LeaseHeldError(
      `group ${groupId}: lease held by ${old?.leaseOwner?.S ?? 'another executor'} ` +
        `(epoch ${old?.leaseEpoch?.N ?? '?'}) until ${old?.leaseExpiresAt?.N ?? '?'}`,
      { groupId },
    );
  }

  /** Takes the lease over when it is free or expired: the epoch grows so the previous holder's saves are refused. */
  private async tryTake(groupId: GroupId, owner: string, now: EpochMs, expiresAt: EpochMs): Promise<LeaseAnswer> {
    return this.leaseWrite(groupId, {
      UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expiresAt, leaseEpoch = if_not_exists(leaseEpoch, :zero) + :one',
      ConditionExpression: 'attribute_not_exists(leaseOwner) OR (leaseExpiresAt <= :now AND leaseOwner <> :owner)',
      ExpressionAttributeValues: { ':owner': owner, ':expiresAt': expiresAt, ':now': now, ':zero': 0, ':one': 1 },
    });
  }

  /** Renews a lease that is already ours (expired or not: nobody took it in between, or its owner would differ), same epoch. */
  private async tryRenew(groupId: GroupId, owner: string, expiresAt: EpochMs): Promise<LeaseAnswer> {
    return this.leaseWrite(groupId, {
      UpdateExpression: 'SET leaseExpiresAt = :expiresAt',
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': owner, ':expiresAt': expiresAt },
    });
  }

  private async leaseWrite(
    groupId: GroupId,
    update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<LeaseAnswer> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(groupId),
          ...update,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { lease: leaseOf(Attributes ?? {}) as Lease };
    } catch (error) {
      if (isReplicatedWriteConflict(error)) throw this.lostLeaseRace(groupId, error);
      if (!isConditionFailed(error)) throw this.cutOffOr(error, groupId);
      return { refused: error.Item as OldItem };
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
      if (isReplicatedWriteConflict(error)) {
        throw new StaleStateError(
          `group ${groupId}: revision ${expectedRevision} is no longer current (a writer in another region raced this save)`,
          { groupId, cause: error },
        );
      }
      if (!isConditionFailed(error)) throw this.cutOffOr(error, groupId);
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
      // Already released, or taken over by someone else (perhaps from another region, at this very moment): either
      // way it is no longer ours to give up.
      if (!isConditionFailed(error) && !isReplicatedWriteConflict(error)) throw error;
    }
  }

  private lostLeaseRace(groupId: GroupId, error: unknown): LeaseHeldError {
    return new LeaseHeldError(`group ${groupId}: lost the race for the lease to a writer in another region`, { groupId, cause: error });
  }

  /** A write the table did not take at all: this region cannot hold a lease. Anything else is rethrown as it is. */
  private cutOffOr(error: unknown, groupId: GroupId, what = 'accept a write'): unknown {
    if (!isUnreachableError(error)) return error;
    const where = this.region === undefined ? 'this region' : this.region;
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new ControlPlaneCutOffError(
      `group ${groupId}: the state table in ${where} did not ${what} (${cause}); this control-plane region may be ` +
        'cut off from the others, so it cannot take or renew the lease and stands by: it acts on nothing',
      { groupId, region: this.region, cause: error },
    );
  }

  private key(groupId: GroupId): { pk: string; sk: string } {
    return { pk: keys.group(groupId), sk: keys.state };
  }
}

/** A lease write's answer: the lease, or the item as it was when the condition refused the write. */
type LeaseAnswer = { readonly lease: Lease; readonly refused?: undefined } | { readonly refused: OldItem };

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_KEYS = 100;
/** Requests for one batch's keys: the first, and retries of what DynamoDB left unprocessed. */
const BATCH_GET_ATTEMPTS = 4;
/** The first pause before asking again for unprocessed keys; doubled each time, with jitter. */
const BATCH_GET_RETRY_BASE_MS = 50;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creation attempts when cross-region conflicts keep refusing both racers. */
const CREATE_ATTEMPTS = 3;

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

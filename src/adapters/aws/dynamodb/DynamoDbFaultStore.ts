import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EpochMs, GroupId, RegionName } from '../../../domain/types.js';
import type { FaultStore, InjectedFault } from '../../../ports/FaultStore.js';
import { keys, queryItems, withoutKeys } from './table.js';

/**
 * A drill's injected faults, one item per (group, region), all in one partition: `FAULTS` / `FAULT#<id>#<region>`, so
 * a probe round reads every group's with one query (a partition that holds at most one small item per group and
 * region, and usually none). Expiry is compared with the caller's `now`, so an expired fault stops counting at once
 * even though the item stays until cleared.
 *
 * @example
 * const faults = new DynamoDbFaultStore(documents, 'failover-control-plane');
 * const active = await faults.active('orders', clock.now());
 */
export class DynamoDbFaultStore implements FaultStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(fault: InjectedFault): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...fault, pk: keys.faults, sk: keys.fault(fault.groupId, fault.region) },
      }),
    );
  }

  async active(groupId: GroupId, now: EpochMs): Promise<InjectedFault[]> {
    return this.#query(keys.faultPrefix(groupId), now);
  }

  async activeFor(groupIds: readonly GroupId[], now: EpochMs): Promise<InjectedFault[]> {
    if (groupIds.length === 0) return [];
    if (groupIds.length === 1) return this.active(groupIds[0]!, now);
    const wanted = new Set(groupIds);
    return (await this.#query('FAULT#', now)).filter((fault) => wanted.has(fault.groupId));
  }

  async clear(groupId: GroupId, region: RegionName): Promise<void> {
    await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: keys.faults, sk: keys.fault(groupId, region) } }),
    );
  }

  /** Unexpired faults whose sort key starts with `prefix`, in key order: by group, then region. */
  async #query(prefix: string, now: EpochMs): Promise<InjectedFault[]> {
    const items = await queryItems(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.faults, ':prefix': prefix },
      ConsistentRead: true,
    });
    return items.map((item) => withoutKeys(item) as unknown as InjectedFault).filter((fault) => fault.expiresAt > now);
  }
}

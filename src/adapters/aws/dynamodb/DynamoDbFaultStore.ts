import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EpochMs, GroupId, RegionName } from '../../../domain/types.js';
import type { FaultStore, InjectedFault } from '../../../ports/FaultStore.js';
import { keys, queryGroup, withoutKeys } from './table.js';

/**
 * A drill's injected faults, one item per (group, region): `GROUP#<id>` / `FAULT#<region>`. Expiry is compared
 * with the caller's `now`, so an expired fault stops counting at once even though the item stays until cleared.
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
        Item: { ...fault, pk: keys.group(fault.groupId), sk: keys.fault(fault.region) },
      }),
    );
  }

  async active(groupId: GroupId, now: EpochMs): Promise<InjectedFault[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.faultPrefix);
    return items
      .map((item) => withoutKeys(item) as unknown as InjectedFault)
      .filter((fault) => fault.expiresAt > now);
  }

  async clear(groupId: GroupId, region: RegionName): Promise<void> {
    await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: keys.group(groupId), sk: keys.fault(region) } }),
    );
  }
}

import type { EpochMs, GroupId, RegionName } from '../../src/domain/types.js';
import type { FaultStore, InjectedFault } from '../../src/ports/FaultStore.js';
import { CallLog } from './CallLog.js';

type Method = 'put' | 'active' | 'clear';

/**
 * FaultStore in memory: one fault per (group, region), replaced by a later put; `active` ignores expired faults.
 *
 * @example
 * const faults = new InMemoryFaultStore();
 * await faults.put({ groupId: 'g1', region: 'eu-west-1', scenario: 'http-down', principalArn, createdAt: 0, expiresAt: 10 });
 * expect(await faults.active('g1', 10)).toEqual([]);
 */
export class InMemoryFaultStore extends CallLog<Method> implements FaultStore {
  constructor() {
    super(['put', 'active', 'clear']);
  }

  private readonly faults = new Map<string, InjectedFault>();

  async put(fault: InjectedFault): Promise<void> {
    this.enter('put');
    this.faults.set(keyOf(fault.groupId, fault.region), structuredClone(fault));
  }

  async active(groupId: GroupId, now: EpochMs): Promise<InjectedFault[]> {
    this.enter('active');
    return structuredClone(
      [...this.faults.values()]
        .filter((fault) => fault.groupId === groupId && fault.expiresAt > now)
        .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0)),
    );
  }

  async clear(groupId: GroupId, region: RegionName): Promise<void> {
    this.enter('clear');
    this.faults.delete(keyOf(groupId, region));
  }
}

function keyOf(groupId: GroupId, region: RegionName): string {
  return `${groupId}\u0000${region}`;
}

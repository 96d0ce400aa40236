import type { EpochMs, GroupId, RegionName } from '../../src/domain/types.js';
import type { FaultStore, InjectedFault } from '../../src/ports/FaultStore.js';
import { CallLog } from './CallLog.js';

type Method = 'put' | 'active' | 'activeFor' | 'clear';

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
    super(['put', 'active', 'activeFor', 'clear']);
  }

  private readonly faults = new Map<string, InjectedFault>();

  async put(fault: InjectedFault): Promise<void> {
    this.enter('put');
    this.faults.set(keyOf(fault.groupId, fault.region), structuredClone(fault));
  }

  async active(groupId: GroupId, now: EpochMs): Promise<InjectedFault[]> {
    this.enter('active');
    return this.#unexpired([groupId], now);
  }

  async activeFor(groupIds: readonly GroupId[], now: EpochMs): Promise<InjectedFault[]> {
    this.enter('activeFor');
    return this.#unexpired(groupIds, now);
  }

  async clear(groupId: GroupId, region: RegionName): Promise<void> {
    this.enter('clear');
    this.faults.delete(keyOf(groupId, region));
  }

  /** As the table orders them: by group, then region. */
  #unexpired(groupIds: readonly GroupId[], now: EpochMs): InjectedFault[] {
    const wanted = new Set(groupIds);
    return structuredClone(
      [...this.faults.values()]
        .filter((fault) => wanted.has(fault.groupId) && fault.expiresAt > now)
        .sort((a, b) => compare(a.groupId, b.groupId) || compare(a.region, b.region)),
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyOf(groupId: GroupId, region: RegionName): string {
  return `${groupId}\u0000${region}`;
}

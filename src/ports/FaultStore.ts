import type { EpochMs, GroupId, RegionName } from '../domain/types.js';

/** A drill's injected fault: the probe reports the region as failed until `expiresAt`. */
export interface InjectedFault {
  readonly groupId: GroupId;
  readonly region: RegionName;
  readonly scenario: string;
  readonly principalArn: string;
  readonly createdAt: EpochMs;
  readonly expiresAt: EpochMs;
}

/**
 * The faults a staging drill injected, read by every probe round.
 *
 * @example
 * await faults.put({ groupId: 'orders', region: 'eu-west-1', scenario: 'primary-region-outage', principalArn, createdAt: now, expiresAt: now + 600_000 });
 * const failing = (await faults.active('orders', now)).map((fault) => fault.region); // ['eu-west-1']
 * const ofTheRound = await faults.activeFor(['orders', 'billing'], now); // one read for a whole probe round
 */
export interface FaultStore {
  put(fault: InjectedFault): Promise<void>;
  /** Faults whose expiry is after `now`; expired ones are ignored even if not yet deleted. */
  active(groupId: GroupId, now: EpochMs): Promise<InjectedFault[]>;
  /**
   * The active faults of all of `groupIds` (ordered by group, then region), with one read however many groups there
   * are: a probe round asks once, not once per group.
   */
  activeFor(groupIds: readonly GroupId[], now: EpochMs): Promise<InjectedFault[]>;
  clear(groupId: GroupId, region: RegionName): Promise<void>;
}

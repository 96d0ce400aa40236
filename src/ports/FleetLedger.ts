import type { EpochMs, GroupId } from '../domain/types.js';

/**
 * Counts automatic failovers across all groups, for the fleet brake: when many groups fail over at once,
 * the cause is more likely the control plane's own view than many regions dying.
 *
 * @example
 * const answer = await fleet.tryReserve({ failoverId, groupId: 'orders', now, windowMs: 3_600_000, max: 2 });
 * if (answer === 'brake-engaged') ...; // a third automatic failover within the hour waits for an operator
 */
export interface FleetLedger {
  /**
   * Reserves a slot for `failoverId` unless `max` automatic failovers already happened within `windowMs` of `now`.
   * Idempotent per failoverId: a second call for the same id answers `reserved` again.
   */
  tryReserve(input: {
    failoverId: string;
    groupId: GroupId;
    now: EpochMs;
    windowMs: number;
    max: number;
  }): Promise<'reserved' | 'brake-engaged'>;
  /**
   * Gives back the slot of a failover that ended before it promoted (see `releasesFleetSlot`): it no longer counts.
   * Idempotent: releasing an unknown or already released id changes nothing.
   */
  release(failoverId: string): Promise<void>;
  countSince(since: EpochMs): Promise<number>;
}

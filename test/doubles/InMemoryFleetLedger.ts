import type { EpochMs, GroupId } from '../../src/domain/types.js';
import type { FleetLedger } from '../../src/ports/FleetLedger.js';
import { CallLog } from './CallLog.js';

type Method = 'tryReserve' | 'release' | 'countSince';

const MINIMUM_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface Reservation {
  readonly failoverId: string;
  readonly groupId: GroupId;
  readonly at: EpochMs;
}

/**
 * FleetLedger in memory. A reservation counts against the window when `at >= now - windowMs`
 * (the same boundary as `countSince(now - windowMs)`); a repeated failover id answers `reserved` again.
 *
 * @example
 * const ledger = new InMemoryFleetLedger();
 * await ledger.tryReserve({ failoverId: 'f1', groupId: 'g1', now: 0, windowMs: 60_000, max: 1 }); // 'reserved'
 * await ledger.tryReserve({ failoverId: 'f2', groupId: 'g2', now: 1, windowMs: 60_000, max: 1 }); // 'brake-engaged'
 */
export class InMemoryFleetLedger extends CallLog<Method> implements FleetLedger {
  constructor() {
    super(['tryReserve', 'release', 'countSince']);
  }

  private reservations: Reservation[] = [];

  /** What was reserved, oldest first. */
  get reserved(): readonly Reservation[] {
    return structuredClone(this.reservations);
  }

  async tryReserve(input: {
    failoverId: string;
    groupId: GroupId;
    now: EpochMs;
    windowMs: number;
    max: number;
  }): Promise<'reserved' | 'brake-engaged'> {
    this.enter('tryReserve');
    if (this.reservations.some((reservation) => reservation.failoverId === input.failoverId)) return 'reserved';
    const inWindow = this.reservations.filter((reservation) => reservation.at >= input.now - input.windowMs).length;
    if (inWindow >= input.max) return 'brake-engaged';
    // As the table does when it rewrites the ledger: keep a day (or the window, if longer) of history.
    const keepSince = input.now - Math.max(input.windowMs, MINIMUM_RETENTION_MS);
    this.reservations = this.reservations.filter((reservation) => reservation.at >= keepSince);
    this.reservations.push({ failoverId: input.failoverId, groupId: input.groupId, at: input.now });
    return 'reserved';
  }

  async release(failoverId: string): Promise<void> {
    this.enter('release');
    this.reservations = this.reservations.filter((reservation) => reservation.failoverId !== failoverId);
  }

  async countSince(since: EpochMs): Promise<number> {
    this.enter('countSince');
    return this.reservations.filter((reservation) => reservation.at >= since).length;
  }
}

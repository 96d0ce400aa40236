import type { FailoverRecord } from './types.js';

/**
 * The fleet brake counts failovers that happened, not attempts: a failover holds its fleet slot once it has started
 * promoting (the point of no return), and gives it back when it ends before that (aborted, rejected, blocked by lag
 * or by the brake itself). Otherwise a burst of lag-blocked or aborted attempts would stop every group's automatic
 * failover for the whole window.
 *
 * @example
 * releasesFleetSlot({ ...record, outcome: 'aborted', timestamps: { detectedAt } }); // true
 * releasesFleetSlot({ ...record, outcome: 'completed', timestamps: { detectedAt, promotionStartedAt } }); // false
 */
export function releasesFleetSlot(record: FailoverRecord): boolean {
  return record.outcome !== 'in-progress' && record.timestamps.promotionStartedAt === undefined;
}

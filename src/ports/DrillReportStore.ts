import type { EpochMs, GroupId, RegionName } from '../domain/types.js';

/** How a staging drill ended. */
export type DrillOutcome =
  /** The injected fault led to a failover that completed. */
  | 'completed'
  /** A failover started but had not completed (or was aborted) when the drill's time box ended. */
  | 'not-completed'
  /** No failover started within the time box (approval mode nobody approved, a block, detection that never came). */
  | 'no-failover';

/**
 * One staging drill, kept per group. `Report` is the drill report's type (src/drill/report.ts `DrillReport`); the port
 * stores it as it is given, so storage does not depend on the drill layer.
 */
export interface StoredDrill<Report = unknown> {
  readonly id: string;
  readonly groupId: GroupId;
  readonly scenario: string;
  readonly principalArn: string;
  /** The region the fault was injected in (the primary when the drill started). */
  readonly region: RegionName;
  readonly startedAt: EpochMs;
  readonly faultExpiresAt: EpochMs;
  readonly finishedAt: EpochMs;
  readonly outcome: DrillOutcome;
  readonly failoverId?: string;
  readonly report?: Report;
}

/**
 * Where staging drill reports are kept, per group.
 *
 * @example
 * await reports.save({ ...drill, finishedAt: now, outcome: 'completed', report });
 * const [latest] = await reports.list('orders', { limit: 1 });
 */
export interface DrillReportStore<Report = unknown> {
  /** Upsert by (groupId, id). */
  save(drill: StoredDrill<Report>): Promise<void>;
  /** Newest first (by `startedAt`). */
  list(groupId: GroupId, options?: { limit?: number }): Promise<StoredDrill<Report>[]>;
}

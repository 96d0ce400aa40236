import type { EpochMs, GroupId, RegionName } from '../domain/types.js';

/** How a staging drill ended, or `running` while its fault is injected. */
export type DrillOutcome =
  /** Started; not stopped yet (its fault still expires on its own at `faultExpiresAt`). */
  | 'running'
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
  /** Who started it: the IAM identity that signed the request (with its STS source identity where set). */
  readonly principalArn: string;
  /** Why, as the operator gave it (absent on drills recorded before drills went through the operator API). */
  readonly reason?: string;
  /** The region the fault was injected in (the primary when the drill started). */
  readonly region: RegionName;
  readonly startedAt: EpochMs;
  readonly faultExpiresAt: EpochMs;
  /** When it was stopped; absent while `running`. */
  readonly finishedAt?: EpochMs;
  readonly outcome: DrillOutcome;
  /** Who stopped it. */
  readonly stoppedBy?: string;
  /** The group's last event sequence number when the drill started: its events are those after it. */
  readonly eventsAfter?: number;
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
  /** The drill with this id, if the group has one. */
  get(groupId: GroupId, id: string): Promise<StoredDrill<Report> | undefined>;
  /** Newest first (by `startedAt`). */
  list(groupId: GroupId, options?: { limit?: number }): Promise<StoredDrill<Report>[]>;
}

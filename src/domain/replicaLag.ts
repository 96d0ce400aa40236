import type { EpochMs, RegionHealth } from './types.js';

/** A report (or a lag reading) older than this many probe intervals says nothing about now. */
export const STALE_AFTER_INTERVALS = 2;

/** A replica lag reading with the time it was measured. Old data never decides a promotion. */
export interface ReplicaLagReading {
  readonly seconds: number;
  readonly measuredAt: EpochMs;
}

/**
 * The lag that may be used to decide now: the reading if it was measured within `STALE_AFTER_INTERVALS` probe
 * intervals of `now` (and not in the future beyond that window), otherwise undefined (unknown).
 *
 * @example
 * usableLag({ seconds: 2, measuredAt: now - 5_000 }, now, 10); // 2
 * usableLag({ seconds: 2, measuredAt: now - 3_600_000 }, now, 10); // undefined: an hour old
 */
export function usableLag(
  reading: ReplicaLagReading | undefined,
  now: EpochMs,
  probeIntervalSeconds: number,
  referenceAt: EpochMs = now,
): number | undefined {
  if (reading === undefined) return undefined;
  const maxAgeMs = STALE_AFTER_INTERVALS * probeIntervalSeconds * 1_000;
  // Too old for the moment it must describe (now, or the dead primary's last sign of life), or from a clock ahead.
  if (Math.min(referenceAt, now) - reading.measuredAt > maxAgeMs || reading.measuredAt - now > maxAgeMs) return undefined;
  return reading.seconds;
}

/** The period of the CloudWatch lag metrics (RDS `ReplicaLag`, Aurora `AuroraGlobalDBReplicationLag`): one datapoint a minute. */
export const LAG_METRIC_PERIOD_MS = 60_000;

/**
 * When a reader of a periodic lag metric may ask again: a datapoint stamped `measuredAt` covers one period, so the next
 * one cannot be published before two periods after it; and, whatever it got, a reader asks at most once a period.
 * Reading more often pays for the same datapoint again (issue #11: CloudWatch was most of the bill).
 *
 * @example
 * nextLagReadAt({ readAt: 125_000, measuredAt: 60_000 }); // 185_000: a period after the read (the next datapoint, stamped 120_000, may be out)
 * nextLagReadAt({ readAt: 125_000, measuredAt: undefined }); // 185_000
 */
export function nextLagReadAt(last: { readonly readAt: EpochMs; readonly measuredAt: EpochMs | undefined }, periodMs = LAG_METRIC_PERIOD_MS): EpochMs {
  const afterRead = last.readAt + periodMs;
  return last.measuredAt === undefined ? afterRead : Math.max(afterRead, last.measuredAt + 2 * periodMs);
}

/**
 * A region's replica lag if it may decide now: `usableLag` of the lag its health carries, with the time it was
 * measured. A lag without a measurement time is unknown.
 *
 * @example
 * usableHealthLag(health['us-east-1'], now, 10); // 2, or undefined when unknown or stale
 */
export function usableHealthLag(
  health: RegionHealth | undefined,
  now: EpochMs,
  probeIntervalSeconds: number,
  referenceAt: EpochMs = now,
): number | undefined {
  if (health?.replicaLagSeconds === undefined || health.replicaLagMeasuredAt === undefined) return undefined;
  return usableLag({ seconds: health.replicaLagSeconds, measuredAt: health.replicaLagMeasuredAt }, now, probeIntervalSeconds, referenceAt);
}

/**
 * The moment a replica's lag reading is judged against: now while the primary lives; once its verdict is unhealthy,
 * the last moment an observer saw it alive. Replication stops with the primary, so no replica can report a newer lag
 * after that, and the last reading taken just before (within two intervals of it) is the data-loss window. A reading
 * older than that still never decides.
 *
 * @example
 * lagReferenceAt(health['eu-west-1'], now); // health['eu-west-1'].lastHealthyAt when eu-west-1 (the primary) is unhealthy
 */
export function lagReferenceAt(primaryHealth: RegionHealth | undefined, now: EpochMs): EpochMs {
  if (primaryHealth?.verdict !== 'unhealthy' || primaryHealth.lastHealthyAt === undefined) return now;
  return Math.min(now, primaryHealth.lastHealthyAt);
}

/** The lag-budget rule, in one place: a known lag within the budget may be promoted over without an operator. */
export function lagWithinBudget(lagSeconds: number | undefined, budgetSeconds: number): lagSeconds is number {
  return lagSeconds !== undefined && lagSeconds <= budgetSeconds;
}

/**
 * Why a promotion over this lag needs an operator's `--allow-data-loss`, in the words every surface uses
 * (machine block, API refusal, notification, plan). Undefined when the lag is within budget.
 *
 * @example
 * lagBudgetProblem('us-east-1', 45, 30); // 'replica lag of us-east-1 is 45 s, over the 30 s budget'
 */
export function lagBudgetProblem(region: string, lagSeconds: number | undefined, budgetSeconds: number): string | undefined {
  if (lagWithinBudget(lagSeconds, budgetSeconds)) return undefined;
  return lagSeconds === undefined
    ? `replica lag of ${region} is unknown or stale, so the data-loss window cannot be bounded (budget ${budgetSeconds} s)`
    : `replica lag of ${region} is ${lagSeconds} s, over the ${budgetSeconds} s budget`;
}

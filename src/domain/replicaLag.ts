import type { EpochMs, GroupId, ObserverReport, RegionHealth, RegionName } from './types.js';

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
 * While a group's primary is not in doubt, its replicas' lag decides nothing, so it is read for the dashboard only: by
 * one observer, in one minute of every this many (issue #11: every observer reading every replica every minute was
 * the largest line of the bill).
 */
export const LAG_STEADY_READ_EVERY_MINUTES = 5;

/**
 * Whether `observerRegion` asks for a replica's lag metric in this round (`read`) or gives the last reading it took,
 * with that reading's own measurement time (`remembered`). In doubt (this observer's last view of the group was not
 * a clean pass of every region, or it has none), every observer reads, at most once per metric period
 * (`nextLagReadAt`): the lag is about to decide, and an observer that died with the primary's region cannot be the
 * only reader. Otherwise one observer, taking turns, reads in one minute of every `LAG_STEADY_READ_EVERY_MINUTES`.
 * A CloudWatch datapoint keeps its timestamp, so a reading taken once the primary is in doubt bounds the data-loss
 * window as well as one taken every minute would have.
 *
 * @example
 * lagRead({ groupId: 'orders', region: 'us-east-1', observerRegion: 'eu-west-1', observerRegions, now, inDoubt: true }); // 'read'
 */
export function lagRead(input: {
  groupId: GroupId;
  region: RegionName;
  observerRegion: RegionName;
  observerRegions: readonly RegionName[];
  now: EpochMs;
  inDoubt: boolean;
}): 'read' | 'remembered' {
  if (input.inDoubt) return 'read';
  const count = input.observerRegions.length;
  if (count === 0) return 'remembered';
  // Replicas take different minutes, so the reads of a large fleet spread over the cycle.
  const turn = Math.floor(input.now / LAG_METRIC_PERIOD_MS) + hash(`${input.groupId}\u0000${input.region}`);
  if (turn % LAG_STEADY_READ_EVERY_MINUTES !== 0) return 'remembered';
  return input.observerRegions[Math.floor(turn / LAG_STEADY_READ_EVERY_MINUTES) % count] === input.observerRegion ? 'read' : 'remembered';
}

/**
 * Whether an observer's last view of a group leaves its primary in doubt: a region failed or was unknown, or there is
 * no view yet (`reports` empty). See `lagRead`.
 *
 * @example
 * groupInDoubt([{ ok: true, ... }, { ok: false, ... }]); // true
 */
export function groupInDoubt(reports: readonly Pick<ObserverReport, 'ok' | 'unknownReasons'>[]): boolean {
  return reports.length === 0 || reports.some((report) => !report.ok || report.unknownReasons !== undefined);
}

/** FNV-1a, 32 bits: a stable spread of replicas over the minutes of the cycle. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
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

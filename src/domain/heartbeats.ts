/**
 * Observer heartbeats (issue #11): an observer that measures a group again and finds nothing new does not rewrite its
 * reports (`reportsUnchanged` in observations.ts); once per round it writes one heartbeat per shard instead, vouching
 * for the stored reports it re-measured. A reader treats a vouched report as observed when the heartbeat says it was
 * measured again; everything after that (staleness, clock skew, quorum) works on that time, unchanged. A missing,
 * unreadable or old heartbeat leaves every report at its own time, so it goes stale: no decision from old data.
 */
import type { EpochMs, GroupId, ObserverReport, RegionName } from './types.js';

/**
 * What a heartbeat says of one group: at `at` its observer measured the group again and found what its stored reports
 * (named by region and `observedAt`) already say.
 */
export interface ReportVouch {
  /** When the observer measured the same evidence again: the earliest observation time of that round's regions. */
  readonly at: EpochMs;
  /** The stored reports vouched for: their `observedAt`, by region. */
  readonly reports: Readonly<Record<RegionName, EpochMs>>;
}

/** One observer's vouches for the groups of one shard, written once per probe round. */
export interface ObserverHeartbeat {
  readonly observerRegion: RegionName;
  readonly shard: string;
  /** The writer's clock when it wrote the heartbeat (for a person reading it; readers go by each vouch's `at`). */
  readonly writtenAt: EpochMs;
  readonly vouches: Readonly<Record<GroupId, ReportVouch>>;
}

/**
 * How long ago a reader may have read the heartbeats it applies (a pass shares one read among its groups). An older
 * read only makes reports look older than they are: the safe direction, kept small so a fresh report does not flap
 * into stale.
 */
export const HEARTBEAT_READ_MAX_AGE_MS = 2_000;

/**
 * The vouch for a group whose new reports `next` say nothing the `stored` ones do not (see `reportsUnchanged`).
 *
 * @example
 * vouchFor(stored, next); // { at: 20_000, reports: { 'eu-west-1': 10_000, 'us-east-1': 10_050 } }
 */
export function vouchFor(stored: readonly ObserverReport[], next: readonly ObserverReport[]): ReportVouch {
  return {
    at: Math.min(...next.map((report) => report.observedAt)),
    reports: Object.fromEntries(stored.map((report) => [report.region, report.observedAt])),
  };
}

/**
 * The reports as their observers vouch for them: a report whose `observedAt` is exactly the one its observer's
 * heartbeat vouches for (same group and region) counts as observed at the vouch's `at`, when that is later. Any other
 * report (rewritten since, never vouched for, or whose observer's heartbeat is missing) keeps its own time. A vouch
 * from the future makes a report from the future, which the verdict rules handle as any other (clamped within the
 * allowed skew, stale beyond it).
 *
 * @example
 * withHeartbeats(await observations.listForGroup('orders'), await observations.heartbeats('default'));
 */
export function withHeartbeats(reports: readonly ObserverReport[], heartbeats: readonly ObserverHeartbeat[]): ObserverReport[] {
  if (heartbeats.length === 0) return [...reports];
  return reports.map((report) => {
    let at = report.observedAt;
    for (const heartbeat of heartbeats) {
      if (heartbeat.observerRegion !== report.observerRegion || !Object.hasOwn(heartbeat.vouches, report.groupId)) continue;
      const vouch = heartbeat.vouches[report.groupId]!;
      if (Object.hasOwn(vouch.reports, report.region) && vouch.reports[report.region] === report.observedAt) at = Math.max(at, vouch.at);
    }
    return at === report.observedAt ? report : { ...report, observedAt: at };
  });
}

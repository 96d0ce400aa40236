/**
 * Observer heartbeats (issue #11): an observer that measures a group again and finds nothing new does not rewrite its
 * reports (`reportsUnchanged` in observations.ts); once per round it writes one heartbeat per shard instead, vouching
 * for the stored reports it re-measured. A reader treats a vouched report as observed when the heartbeat says it was
 * measured again; everything after that (staleness, clock skew, quorum) works on that time, unchanged. A missing,
 * unreadable or old heartbeat leaves every report at its own time, so it goes stale: no decision from old data.
 */
import { repeatedReport } from './observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from './types.js';

/**
 * What a heartbeat says of one group: by `at` its observer measured the group `rounds` more times since it wrote the
 * stored reports (named by region and `observedAt`), and found the same evidence every time.
 */
export interface ReportVouch {
  /** When the observer last measured the same evidence: the earliest observation time of that round's regions. */
  readonly at: EpochMs;
  /** Rounds since the stored reports were written, all with the same evidence: their streaks are that much longer. */
  readonly rounds: number;
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
 * The vouch for a group whose new reports `next` say nothing the `stored` ones repeated `rounds` times do not (see
 * `reportsUnchanged`).
 *
 * @example
 * vouchFor(stored, next, 1); // { at: 20_000, rounds: 1, reports: { 'eu-west-1': 10_000, 'us-east-1': 10_050 } }
 */
export function vouchFor(stored: readonly ObserverReport[], next: readonly ObserverReport[], rounds: number): ReportVouch {
  return {
    at: Math.min(...next.map((report) => report.observedAt)),
    rounds,
    reports: Object.fromEntries(stored.map((report) => [report.region, report.observedAt])),
  };
}

/**
 * A report as a vouch says it stands: observed at the vouch's time, its streaks `rounds` longer (`repeatedReport`),
 * exactly what writing it every round would have stored, the latencies aside. The last round's own times
 * (`last.observedAt`, the lag's measurement time) stay as measured.
 *
 * @example
 * vouchedReport(stored, { at: 20_000, rounds: 2, reports: { 'eu-west-1': stored.observedAt } }).observedAt; // 20_000
 */
export function vouchedReport(report: ObserverReport, vouch: ReportVouch): ObserverReport {
  return { ...repeatedReport(report, vouch.rounds), observedAt: vouch.at };
}

/**
 * The reports as their observers vouch for them: a report whose `observedAt` is exactly the one its observer's
 * heartbeat vouches for (same group and region) is read as `vouchedReport` says: observed at the vouch's `at`, its
 * streaks that many rounds longer. Any other report (rewritten since, never vouched for, or whose observer's heartbeat
 * is missing or older) keeps its own time, and so goes stale. A vouch from the future makes a report from the future,
 * which the verdict rules handle as any other (clamped within the allowed skew, stale beyond it).
 *
 * @example
 * withHeartbeats(await observations.listForGroup('orders'), await observations.heartbeats('default'));
 */
export function withHeartbeats(reports: readonly ObserverReport[], heartbeats: readonly ObserverHeartbeat[]): ObserverReport[] {
  if (heartbeats.length === 0) return [...reports];
  return reports.map((report) => {
    let newest: ReportVouch | undefined;
    for (const heartbeat of heartbeats) {
      if (heartbeat.observerRegion !== report.observerRegion || !Object.hasOwn(heartbeat.vouches, report.groupId)) continue;
      const vouch = heartbeat.vouches[report.groupId]!;
      if (!Object.hasOwn(vouch.reports, report.region) || vouch.reports[report.region] !== report.observedAt) continue;
      if (vouch.at > report.observedAt && vouch.rounds > 0 && (newest === undefined || vouch.at > newest.at)) newest = vouch;
    }
    return newest === undefined ? report : vouchedReport(report, newest);
  });
}

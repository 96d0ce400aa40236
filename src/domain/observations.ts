import { evidenceOf } from './databaseStatus.js';
import { ValidationError } from './errors.js';
import type { EpochMs, GroupId, ObserverReport, RegionName, RoundResult } from './types.js';

/**
 * Why a round failed, in words an on-call engineer reads in a notification. Empty when the round did not fail.
 * Only data-plane evidence fails a round: an HTTP probe that fails, a database connection check that fails, or a
 * database whose provider reports a terminal status (failed, inaccessible-encryption-credentials, incompatible-*, not
 * found: it cannot come back without a person). A drill's injected fault fails it on purpose. A control-plane answer
 * alone (API error, throttling, a status in between) never fails a round: see `roundUnknownReasons`.
 *
 * @example
 * roundFailureReasons({ observedAt: 0, http: [{ url: 'https://a/health', ok: false, latencyMs: 2000, error: 'timeout' }] });
 * // ['https://a/health: timeout']
 */
export function roundFailureReasons(round: RoundResult): string[] {
  const reasons: string[] = [];
  for (const probe of round.http) {
    if (!probe.ok) reasons.push(`${probe.url}: ${probe.error ?? (probe.status === undefined ? 'failed' : `status ${probe.status}`)}`);
  }
  const check = round.connectionCheck;
  if (check !== undefined && !check.ok) reasons.push(`database connection check failed: ${check.error ?? 'no reason given'}`);
  if (round.database !== undefined && evidenceOf(round.database) === 'failed') reasons.push(describeDatabase(round));
  if (round.injectedFault !== undefined) reasons.push(`drill fault injected: ${round.injectedFault}`);
  return reasons;
}

/**
 * Why a round that did not fail still cannot count as passing: the control plane could not confirm the database
 * (an API error, throttling, a status between serving and terminal, an unknown role). Empty when nothing is unknown.
 *
 * @example
 * roundUnknownReasons({ observedAt: 0, http: [], database: { ok: false, evidence: 'unknown', role: 'unknown', status: 'unreachable' } });
 * // ['database unknown is unreachable']
 */
export function roundUnknownReasons(round: RoundResult): string[] {
  if (round.database === undefined || evidenceOf(round.database) !== 'unknown') return [];
  return [describeDatabase(round)];
}

function describeDatabase(round: RoundResult): string {
  const database = round.database!;
  return `database ${database.role} is ${database.status}${database.error === undefined ? '' : `: ${database.error}`}`;
}

/**
 * Folds one probe round into an observer's running report: a failing round extends the failure streak and resets the
 * success streak; a passing round the other way round. A round that did not fail but could not confirm the database
 * (`roundUnknownReasons`) resets the failure streak (the data plane passed) and leaves the success streak as it was
 * (it is no evidence of health): the report carries `unknownReasons`.
 *
 * @example
 * const report = nextObserverReport(undefined, { groupId: 'orders', region: 'eu-west-1', observerRegion: 'us-east-1', round });
 * report.consecutiveFailures; // 1 when the round failed, 0 otherwise
 */
export function nextObserverReport(
  previous: ObserverReport | undefined,
  input: { groupId: GroupId; region: RegionName; observerRegion: RegionName; round: RoundResult },
): ObserverReport {
  const failureReasons = roundFailureReasons(input.round);
  const ok = failureReasons.length === 0;
  const unknownReasons = ok ? roundUnknownReasons(input.round) : [];
  const inconclusive = unknownReasons.length > 0;
  return {
    groupId: input.groupId,
    region: input.region,
    observerRegion: input.observerRegion,
    observedAt: input.round.observedAt,
    ok,
    consecutiveFailures: ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
    consecutiveSuccesses: !ok ? 0 : inconclusive ? (previous?.consecutiveSuccesses ?? 0) : (previous?.consecutiveSuccesses ?? 0) + 1,
    failureReasons,
    ...(inconclusive ? { unknownReasons } : {}),
    last: input.round,
  };
}

/**
 * How far past its writer's clock a stored report may be stamped and still be trusted as newer. Only one observer
 * writes a report, so two of its invocations share a clock; more than this ahead means the report was stamped by a
 * clock that ran ahead and has since been corrected.
 */
export const FUTURE_REPORT_TOLERANCE_MS = 1_000;

/**
 * Whether `incoming` replaces the stored report: the newer by observation time wins, so a slow invocation cannot
 * overwrite a newer view, except that a stored report stamped in the future of the writer's clock (`now`, when the
 * writer gives it) loses. Without that, an observer whose clock ran ahead would, once corrected, have every report
 * refused until real time caught up with the future stamp, and its region would be watched by one observer fewer.
 *
 * @example
 * replacesStoredReport({ observedAt: 120_000 }, { observedAt: 5_000 }, 5_000); // true: the stored one is from the future
 * replacesStoredReport({ observedAt: 10_000 }, { observedAt: 5_000 }, 50_000); // false: a slow invocation's older view
 */
export function replacesStoredReport(
  stored: Pick<ObserverReport, 'observedAt'> | undefined,
  incoming: Pick<ObserverReport, 'observedAt'>,
  now?: EpochMs,
): boolean {
  if (stored === undefined || stored.observedAt <= incoming.observedAt) return true;
  return now !== undefined && stored.observedAt > now + FUTURE_REPORT_TOLERANCE_MS;
}

/**
 * Checks that `reports` are one observer's view of one group, the unit an observation store saves in one write, and
 * answers their group and observer. Throws, naming the field, when they are not.
 *
 * @example
 * oneObserverAndGroup([euReport, usReport]); // { groupId: 'orders', observerRegion: 'us-east-1' }
 */
export function oneObserverAndGroup(
  reports: readonly Pick<ObserverReport, 'groupId' | 'observerRegion' | 'region'>[],
): { groupId: GroupId; observerRegion: RegionName } | undefined {
  const [first] = reports;
  if (first === undefined) return undefined;
  const issues: string[] = [];
  const regions = new Set<RegionName>();
  for (const [index, report] of reports.entries()) {
    if (report.groupId !== first.groupId) issues.push(`reports[${index}].groupId: ${report.groupId}, not ${first.groupId}`);
    if (report.observerRegion !== first.observerRegion) issues.push(`reports[${index}].observerRegion: ${report.observerRegion}, not ${first.observerRegion}`);
    if (regions.has(report.region)) issues.push(`reports[${index}].region: ${report.region} appears twice`);
    regions.add(report.region);
  }
  if (issues.length > 0) throw new ValidationError('reports saved together must be one observer\'s view of one group, one per region', issues, { groupId: first.groupId });
  return { groupId: first.groupId, observerRegion: first.observerRegion };
}

/**
 * The longest an observer leaves a group's stored reports unwritten while it sees nothing new: the latencies they
 * show are never older than this. Between rewrites its heartbeat vouches for them (src/domain/heartbeats.ts).
 */
export const REPORT_REWRITE_MS = 60_000;

/**
 * The report `rounds` more rounds of the same evidence make of `report` (`nextObserverReport` folded that many times,
 * the observation time aside): a passing streak grows by `rounds`, a failing one too, and an inconclusive report
 * (`unknownReasons`) stays as it is. How a reader counts the rounds a heartbeat vouches for (src/domain/heartbeats.ts).
 *
 * @example
 * repeatedReport({ ...report, ok: true, consecutiveSuccesses: 4 }, 3).consecutiveSuccesses; // 7
 */
export function repeatedReport(report: ObserverReport, rounds: number): ObserverReport {
  if (rounds <= 0) return report;
  if (!report.ok) return { ...report, consecutiveFailures: report.consecutiveFailures + rounds };
  if ((report.unknownReasons ?? []).length > 0) return report;
  return { ...report, consecutiveSuccesses: report.consecutiveSuccesses + rounds };
}

/**
 * Whether an observer's new reports of a group say nothing its stored ones, repeated `rounds` times
 * (`repeatedReport`), do not: then the round need not write them (issue #11: a write is one write unit whatever it
 * holds, and a steady fleet wrote the same reports every round). Every new report must pass (passing or
 * inconclusive: a failing region is written every round), cover the same regions, and equal the repeated stored one
 * in everything a decision reads: pass or fail and their reasons, both streaks, the database's evidence, role, status,
 * source, error, its lag and the lag's measurement time, the connection check's outcome, error and lag, the HTTP
 * probes' outcomes, an injected fault. Only the observation time and latencies may differ. The stored ones must not
 * be from the future of the new ones, nor older than `REPORT_REWRITE_MS`.
 *
 * @example
 * reportsUnchanged(stored, next, 1); // true: the same evidence one round later, latencies aside
 */
export function reportsUnchanged(stored: readonly ObserverReport[], next: readonly ObserverReport[], rounds: number): boolean {
  if (stored.length === 0 || stored.length !== next.length) return false;
  const byRegion = new Map(stored.map((report) => [report.region, report]));
  return next.every((report) => {
    const before = byRegion.get(report.region);
    return (
      report.ok &&
      before !== undefined &&
      before.observedAt <= report.observedAt &&
      report.observedAt - before.observedAt < REPORT_REWRITE_MS &&
      JSON.stringify(material(repeatedReport(before, rounds))) === JSON.stringify(material(report))
    );
  });
}

/** Everything of a report a decision reads, in a fixed key order: not its times of observation, nor latencies. */
function material(report: ObserverReport): unknown {
  const { database, connectionCheck: check, http, injectedFault } = report.last;
  return [
    report.groupId,
    report.region,
    report.observerRegion,
    report.ok,
    report.consecutiveFailures,
    report.consecutiveSuccesses,
    report.failureReasons,
    report.unknownReasons ?? null,
    http.map((probe) => [probe.url, probe.ok, probe.status ?? null, probe.error ?? null]),
    database === undefined
      ? null
      : [
          database.ok,
          database.evidence ?? null,
          database.role,
          database.status,
          database.replicaLagSeconds ?? null,
          database.replicaLagMeasuredAt ?? null,
          database.sourceRegion ?? null,
          database.error ?? null,
        ],
    check === undefined ? null : [check.ok, check.error ?? null, check.replicaLagSeconds ?? null],
    injectedFault ?? null,
  ];
}

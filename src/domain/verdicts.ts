import type { FailoverGroup, FailoverPolicy } from './group.js';
import { STALE_AFTER_INTERVALS, type ReplicaLagReading } from './replicaLag.js';
import type { EpochMs, ObserverReport, RegionHealth, RegionName, Verdict } from './types.js';

export { STALE_AFTER_INTERVALS };

/**
 * How far in the future an observer may stamp a report before it is ignored: one probe interval. Within it the report
 * counts as taken now (clamped: never fresher than now, never ordered before a report taken now), so a clock that runs
 * ahead keeps a report fresh at most one interval longer than it deserves; beyond it, the observer counts as stale
 * and the region's reasons say its clock is ahead.
 */
export const MAX_CLOCK_SKEW_INTERVALS = 1;

/**
 * The health verdict of one region from its observers' reports, with hysteresis:
 * - `unhealthy` when at least `observerQuorum` distinct observers with fresh reports reached the failure threshold;
 * - once unhealthy, it stays unhealthy until at least a quorum of fresh observers reached the recovery threshold;
 * - `suspect` when some, but fewer than a quorum, of the observers are failing;
 * - `unknown` when fewer than a quorum of observers have fresh reports (a stale report is never healthy), or fewer
 *   than a quorum could confirm the region (their rounds passed the data plane but the control plane could not say
 *   what the database is: an API error or a status in between is never evidence of health);
 * - `healthy` otherwise.
 * A report stamped in the future counts as taken now; beyond `MAX_CLOCK_SKEW_INTERVALS` it is stale, with the reason.
 *
 * @example
 * const health = evaluateRegion({ region: 'eu-west-1', previous, reports, observerRegions, now, policy: group.policy });
 * if (health.verdict === 'unhealthy') console.log(health.reasons.join('; '));
 */
export function evaluateRegion(input: {
  region: RegionName;
  previous?: RegionHealth;
  reports: readonly ObserverReport[];
  observerRegions: readonly RegionName[];
  now: EpochMs;
  policy: FailoverPolicy;
}): RegionHealth {
  const { region, previous, now, policy } = input;
  const staleAfterMs = STALE_AFTER_INTERVALS * policy.probeIntervalSeconds * 1_000;
  const maxSkewMs = MAX_CLOCK_SKEW_INTERVALS * policy.probeIntervalSeconds * 1_000;
  const quorum = policy.observerQuorum;
  const observers = [...new Set(input.observerRegions)];
  const latest = latestByObserver(input.reports.filter((report) => report.region === region));

  const fresh: ObserverReport[] = [];
  const staleObservers: RegionName[] = [];
  const staleReasons: string[] = [];
  for (const observer of observers) {
    const report = latest.get(observer);
    if (report === undefined) {
      staleObservers.push(observer);
      staleReasons.push(`no report from observer ${observer}`);
    } else if (report.observedAt - now > maxSkewMs) {
      staleObservers.push(observer);
      staleReasons.push(
        `observer ${observer} stamped its report ${seconds(report.observedAt - now)} in the future, beyond the allowed clock skew of ${seconds(maxSkewMs)}: its clock is ahead, so its reports are ignored`,
      );
    } else if (now - report.observedAt > staleAfterMs) {
      staleObservers.push(observer);
      staleReasons.push(
        `observer ${observer} last reported ${seconds(now - report.observedAt)} ago (stale after ${seconds(staleAfterMs)})`,
      );
    } else {
      // Within the allowed skew a report from the future counts as taken now, never as fresher than now.
      fresh.push(report.observedAt > now ? { ...report, observedAt: now } : report);
    }
  }
  // A round that could not confirm the database (control plane only) is no evidence of health.
  const conclusive = fresh.filter((report) => (report.unknownReasons ?? []).length === 0);
  const inconclusiveReasons = fresh
    .filter((report) => (report.unknownReasons ?? []).length > 0)
    .map((report) => `observer ${report.observerRegion} cannot confirm the database: ${(report.unknownReasons ?? []).join('; ')}`);
  const failing = fresh.filter((report) => report.consecutiveFailures >= policy.failureThreshold);
  const recovered = conclusive.filter((report) => report.consecutiveSuccesses >= policy.recoveryThreshold);
  const failingObservers = failing.map((report) => report.observerRegion);
  const recoveredObservers = recovered.map((report) => report.observerRegion);

  const failingReasons = failing.map(
    (report) =>
      `observer ${report.observerRegion}: ${report.consecutiveFailures} failed rounds in a row (${report.failureReasons.join('; ') || 'no reason recorded'})`,
  );
  let verdict: Verdict;
  let reasons: string[];
  if (failing.length >= quorum) {
    verdict = 'unhealthy';
    reasons = [
      `${failing.length} of ${observers.length} observers see ${region} failing, quorum is ${quorum}`,
      ...failingReasons,
      ...staleReasons,
    ];
  } else if (previous?.verdict === 'unhealthy' && recovered.length < quorum) {
    verdict = 'unhealthy';
    reasons = [
      `still unhealthy: ${recovered.length} of the ${quorum} observers needed have seen ${policy.recoveryThreshold} passing rounds in a row`,
      ...failingReasons,
      ...inconclusiveReasons,
      ...staleReasons,
    ];
  } else if (failing.length > 0) {
    verdict = 'suspect';
    reasons = [
      `${failing.length} of ${observers.length} observers see ${region} failing, fewer than the quorum of ${quorum}`,
      ...failingReasons,
      ...staleReasons,
    ];
  } else if (fresh.length < quorum) {
    verdict = 'unknown';
    reasons = [`only ${fresh.length} of ${observers.length} observers have fresh reports, quorum is ${quorum}`, ...staleReasons];
  } else if (conclusive.length < quorum) {
    verdict = 'unknown';
    reasons = [
      `only ${conclusive.length} of ${observers.length} observers could confirm ${region}, quorum is ${quorum}; the control plane's answers are no evidence either way`,
      ...inconclusiveReasons,
      ...staleReasons,
    ];
  } else {
    verdict = 'healthy';
    reasons =
      previous?.verdict === 'unhealthy'
        ? [`recovered: ${recovered.length} observers have seen ${policy.recoveryThreshold} passing rounds in a row`]
        : [`${fresh.length} of ${observers.length} observers see ${region} passing`, ...staleReasons];
  }

  const database = freshestDatabase(fresh, now);
  const lastHealthyAt = lastSeenHealthy(latest, policy.probeIntervalSeconds, now, previous?.lastHealthyAt);
  return {
    region,
    verdict,
    since: previous !== undefined && previous.verdict === verdict ? previous.since : now,
    ...(lastHealthyAt === undefined ? {} : { lastHealthyAt }),
    failingObservers,
    recoveredObservers,
    staleObservers,
    ...database,
    reasons,
  };
}

/**
 * Evaluates every region of a group. Reports of other groups or of regions the group does not have are ignored.
 *
 * @example
 * const health = evaluateGroup({ group, previous: record.health, reports: await observations.listForGroup(group.id), observerRegions, now });
 * health['eu-west-1']?.verdict; // 'healthy'
 */
export function evaluateGroup(input: {
  group: FailoverGroup;
  previous: Readonly<Record<string, RegionHealth>>;
  reports: readonly ObserverReport[];
  observerRegions: readonly RegionName[];
  now: EpochMs;
}): Record<string, RegionHealth> {
  const reports = input.reports.filter((report) => report.groupId === input.group.id);
  const health: Record<string, RegionHealth> = {};
  for (const region of Object.keys(input.group.regions)) {
    const previous = input.previous[region];
    health[region] = evaluateRegion({
      region,
      ...(previous === undefined ? {} : { previous }),
      reports,
      observerRegions: input.observerRegions,
      now: input.now,
      policy: input.group.policy,
    });
  }
  return health;
}

function latestByObserver(reports: readonly ObserverReport[]): Map<RegionName, ObserverReport> {
  const latest = new Map<RegionName, ObserverReport>();
  for (const report of reports) {
    const known = latest.get(report.observerRegion);
    if (known === undefined || report.observedAt > known.observedAt) latest.set(report.observerRegion, report);
  }
  return latest;
}

/**
 * The database as last seen by a fresh observer that could see it: stale reports never decide a role (an observer
 * that died with its region would otherwise keep reporting the old primary as primary). Role and replication source
 * are taken from one report, the lag from the fresh reports of that same replica (`newestLagReading`), so a promoted
 * replica (a primary has no lag) does not keep the lag it had as a replica. A lag without its own measurement time was read live when
 * the round ran (see `DatabaseState.replicaLagMeasuredAt`); a time in the future counts as now.
 */
function freshestDatabase(
  fresh: readonly ObserverReport[],
  now: EpochMs,
): Pick<RegionHealth, 'databaseRole' | 'replicaLagSeconds' | 'replicaLagMeasuredAt' | 'replicationSource'> {
  let freshest: ObserverReport | undefined;
  for (const report of fresh) {
    const database = report.last.database;
    if (database === undefined || database.role === 'unknown') continue;
    if (freshest === undefined || report.observedAt > freshest.observedAt) freshest = report;
  }
  const database = freshest?.last.database;
  if (freshest === undefined || database === undefined) return {};
  const lag = newestLagReading(fresh, freshest);
  return {
    databaseRole: database.role,
    ...(lag === undefined ? {} : { replicaLagSeconds: lag.seconds, replicaLagMeasuredAt: Math.min(lag.measuredAt, now) }),
    ...(database.role === 'replica' && database.sourceRegion !== undefined ? { replicationSource: database.sourceRegion } : {}),
  };
}

/**
 * The newest-measured lag any fresh observer reports of the replica the freshest report describes (same role and
 * source): one observer reads the metric at a time (`lagRead` in src/domain/replicaLag.ts), and the others give
 * older readings or none. Any other role keeps the freshest report's own. A lag without its own time was read live
 * when its round ran.
 */
function newestLagReading(fresh: readonly ObserverReport[], freshest: ObserverReport): ReplicaLagReading | undefined {
  const described = freshest.last.database!;
  const sameReplica = (report: ObserverReport) =>
    report.last.database?.role === 'replica' && report.last.database.sourceRegion === described.sourceRegion;
  let newest: ReplicaLagReading | undefined;
  for (const report of described.role === 'replica' ? fresh.filter(sameReplica) : [freshest]) {
    const database = report.last.database!;
    if (database.replicaLagSeconds === undefined) continue;
    const measuredAt = database.replicaLagMeasuredAt ?? report.last.observedAt;
    if (newest === undefined || measuredAt > newest.measuredAt) newest = { seconds: database.replicaLagSeconds, measuredAt };
  }
  return newest;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * The newest moment any observer saw the region pass a round: a passing report's own time, or for a failing one the
 * interval before its failure streak began. Never later than `now` (a clock ahead of ours proves nothing newer).
 */
function lastSeenHealthy(
  latest: ReadonlyMap<RegionName, ObserverReport>,
  probeIntervalSeconds: number,
  now: EpochMs,
  previous: EpochMs | undefined,
): EpochMs | undefined {
  let newest = previous;
  for (const report of latest.values()) {
    const seen = report.ok ? report.observedAt : report.observedAt - report.consecutiveFailures * probeIntervalSeconds * 1_000;
    if (report.ok || report.consecutiveSuccesses > 0 || report.consecutiveFailures > 0) newest = Math.max(newest ?? seen, seen);
  }
  return newest === undefined ? undefined : Math.min(newest, now);
}

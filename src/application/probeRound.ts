import pLimit from 'p-limit';
import { connectionCheckOf } from '../config/groups.js';
import type { ControlPlaneConfig, GroupConfig, HealthEndpoint } from '../config/schema.js';
import { databaseEvidence } from '../domain/databaseStatus.js';
import { vouchedReport, vouchFor, withHeartbeats, type ObserverHeartbeat, type ReportVouch } from '../domain/heartbeats.js';
import { nextObserverReport, reportsUnchanged } from '../domain/observations.js';
import { shardOf } from '../domain/shards.js';
import { groupInDoubt, lagRead } from '../domain/replicaLag.js';
import { PROBE_ROUND_MARGIN_MS } from '../domain/timing.js';
import type {
  ConnectionCheckResult,
  DatabaseObservation,
  EpochMs,
  GroupId,
  HttpProbeResult,
  ObserverReport,
  RegionName,
  RoundResult,
} from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Database, DatabaseState } from '../ports/Database.js';
import type { DatabaseProbe } from '../ports/DatabaseProbe.js';
import type { FaultStore, InjectedFault } from '../ports/FaultStore.js';
import type { ObservationStore } from '../ports/ObservationStore.js';
import type { Prober } from '../ports/Prober.js';

export interface ProbeDeps {
  readonly config: ControlPlaneConfig;
  readonly prober: Prober;
  readonly database: Database;
  /**
   * The data-plane database check, for regions that configure `database.connectionCheck`; absent when none does
   * (see `buildDatabaseProbe` in the composition root).
   */
  readonly databaseProbe?: DatabaseProbe;
  readonly observations: ObservationStore;
  readonly faults: FaultStore;
  readonly clock: Clock;
}

/** What one observer saw of one region in one round. */
export interface RegionProbeOutcome {
  readonly groupId: GroupId;
  readonly region: RegionName;
  readonly ok: boolean;
  readonly failureReasons: readonly string[];
  /** Present when the round did not fail but the control plane could not confirm the database (never healthy). */
  readonly unknownReasons?: readonly string[];
  /** Why the report could not be read or saved; the orchestrator then sees this observer's previous report age. */
  readonly storeError?: string;
  /** The slowest of the region's HTTP probes this round (a timeout counts the time it waited); absent if none was measured. */
  readonly httpLatencyMs?: number;
}

export interface ProbeRoundResult {
  readonly startedAt: EpochMs;
  readonly durationMs: number;
  readonly regions: readonly RegionProbeOutcome[];
  /** Problems that did not stop the round: an unreadable fault store, a report that could not be saved. */
  readonly errors: readonly string[];
}

/** A region's HTTP latency over the rounds of one run: of each round's slowest probe, their number, median and maximum. */
export interface ProbeLatencySummary {
  readonly count: number;
  /** Nearest-rank median. */
  readonly p50: number;
  readonly max: number;
}

export interface ProbeRoundSummary {
  readonly observerRegion: RegionName;
  readonly rounds: number;
  readonly startedAt: EpochMs;
  readonly finishedAt: EpochMs;
  /**
   * Per group and region: how many rounds passed, failed, or were unknown (the data plane passed but the control plane
   * could not confirm the database; counted in neither `ok` nor `failed`), how many reports could not be saved, and
   * the HTTP latency (absent when no round measured one).
   */
  readonly regions: readonly {
    groupId: GroupId;
    region: RegionName;
    ok: number;
    failed: number;
    unknown: number;
    storeErrors: number;
    latencyMs?: ProbeLatencySummary;
  }[];
  readonly roundDurationsMs: readonly number[];
  readonly maxRoundDurationMs: number;
  readonly errors: readonly string[];
}

/**
 * What a run of rounds remembers of its heartbeats (issue #11): the vouch it holds for each group whose stored reports
 * it found unchanged (sent again in every heartbeat of the group's shard until the group is written), and the shards
 * whose last heartbeat could not be written: their groups are written every round until one lands, so a failing
 * heartbeat costs write units, never fresh reports.
 */
export interface HeartbeatMemory {
  readonly vouches: Map<GroupId, ReportVouch>;
  readonly unsent: Set<string>;
}

/** A run's empty heartbeat memory. */
export function newHeartbeatMemory(): HeartbeatMemory {
  return { vouches: new Map(), unsent: new Set() };
}

/** Time kept free after a round's longest endpoint timeout, for the database call and the store writes. */
export const DEFAULT_ROUND_MARGIN_MS = 1_000;
/**
 * Regions whose database is observed at once. The AWS adapter sends the describes that start together as one request
 * per AWS region (up to 100 instances each), so a wave of this many regions costs a few RDS requests, not one per
 * region, and a round over 3,000 regions about 30 waves; it stays small enough that the wave's replica-lag reads (one
 * CloudWatch request each, when due) fit in the SDK's 50 sockets per region. HTTP probes are not held by it: they all
 * start when the round does (the prober bounds them), so endpoints that hang cost the round one timeout, not one per
 * wave.
 */
export const DEFAULT_REGION_CONCURRENCY = 100;

/**
 * One probe round from `observerRegion`: every region of every group (or of `groups`) is probed concurrently over HTTP
 * and through its database, an active drill fault fails the region on purpose, and the observer's report is folded
 * and saved. Probe failures are results; a store failure is recorded in `errors` and does not stop other regions.
 *
 * @example
 * const round = await runProbeRound(deps, { observerRegion: 'us-east-1' });
 * round.regions.filter((region) => !region.ok); // what failed this round, with failureReasons
 */
export async function runProbeRound(
  deps: ProbeDeps,
  input: {
    observerRegion: RegionName;
    groups?: readonly GroupConfig[];
    concurrency?: number;
    /**
     * The reports this run saved in its earlier rounds (by `reportKey`), kept up to date here: each is the stored
     * one (an observer's reports have one writer, its one invocation at a time), so it is not read back every round.
     */
    written?: Map<string, ObserverReport>;
    /**
     * With `written`: a group whose reports this run wrote and finds unchanged (`reportsUnchanged`) is not written
     * again; after the round's writes, one heartbeat per shard vouches for it instead. Without it every group is written.
     */
    heartbeat?: HeartbeatMemory;
  },
): Promise<ProbeRoundResult> {
  const startedAt = deps.clock.now();
  const limit = pLimit(input.concurrency ?? DEFAULT_REGION_CONCURRENCY);
  const errors: string[] = [];
  const groups = input.groups ?? deps.config.groups;
  // One read of the drill faults for the whole round, in flight while the HTTP probes start.
  const roundFaults = activeFaults(deps, groups, startedAt, errors);
  const ownHeartbeats = input.heartbeat === undefined ? undefined : ownHeartbeatReader(deps, input.observerRegion, errors);

  const perGroup = await Promise.all(
    groups.map(async (group) => {
      // Every HTTP probe starts now, before any wait: its timeout measures the request.
      const http = new Map(Object.keys(group.regions).map((region) => [region, probeHttp(deps.prober, group.regions[region]!.healthEndpoints)]));
      const [faults, previous] = await Promise.all([
        roundFaults.then((byGroup) => byGroup.get(group.id) ?? []),
        previousReports(deps, group, input.observerRegion, input.written, input.heartbeat, ownHeartbeats),
      ]);
      const probed = await Promise.all(
        Object.keys(group.regions).map((region) =>
          limit(() => probeRegion(deps, group, region, input.observerRegion, faults, http.get(region)!, previous, errors)),
        ),
      );
      return saveReports(deps, group, probed, previous, errors, input.written, input.heartbeat);
    }),
  );
  if (input.heartbeat !== undefined) await sendHeartbeats(deps, input.observerRegion, groups, input.heartbeat, errors);
  return { startedAt, durationMs: deps.clock.now() - startedAt, regions: perGroup.flat(), errors };
}

/**
 * After a round's group writes have settled: one heartbeat for each shard of the round's groups that has a vouch,
 * naming every group of the shard the run vouches for (groups probed at other intervals keep theirs).
 */
async function sendHeartbeats(
  deps: ProbeDeps,
  observerRegion: RegionName,
  groups: readonly GroupConfig[],
  memory: HeartbeatMemory,
  errors: string[],
): Promise<void> {
  for (const shard of new Set(groups.map(shardOf))) {
    const vouches = Object.fromEntries(
      deps.config.groups
        .filter((group) => shardOf(group) === shard && memory.vouches.has(group.id))
        .map((group) => [group.id, memory.vouches.get(group.id)!]),
    );
    // A shard whose last heartbeat failed is sent one even without vouches: when it lands, skipping resumes.
    if (Object.keys(vouches).length === 0 && !memory.unsent.has(shard)) continue;
    try {
      await deps.observations.putHeartbeat({ observerRegion, shard, writtenAt: deps.clock.now(), vouches });
      memory.unsent.delete(shard);
    } catch (error) {
      // The vouched reports age from their own time; the shard's groups are written until a heartbeat lands again.
      memory.unsent.add(shard);
      errors.push(`shard ${shard}: could not save the heartbeat: ${messageOf(error)}`);
    }
  }
}

/**
 * Probe rounds until `deadline` (a Lambda's remaining time) or `maxRounds`. Each group is probed every
 * `policy.probeIntervalSeconds` of its own, so its failure threshold keeps meaning "that many intervals".
 * A round starts only when it can finish before the deadline: its longest endpoint timeout plus `marginMs`.
 *
 * @example
 * const summary = await runProbeRounds(deps, { observerRegion: 'us-east-1', deadline: clock.now() + remainingMs });
 * logger.info('probe rounds', { ...summary });
 */
export async function runProbeRounds(
  deps: ProbeDeps,
  input: { observerRegion: RegionName; deadline: EpochMs; maxRounds?: number; marginMs?: number; concurrency?: number },
): Promise<ProbeRoundSummary> {
  const { clock, config } = deps;
  const marginMs = input.marginMs ?? PROBE_ROUND_MARGIN_MS;
  const maxRounds = input.maxRounds ?? Number.POSITIVE_INFINITY;
  const startedAt = clock.now();
  const dueAt = new Map<GroupId, EpochMs>(config.groups.map((group) => [group.id, startedAt]));
  const tallies = new Map<
    string,
    { groupId: GroupId; region: RegionName; ok: number; failed: number; unknown: number; storeErrors: number }
  >();
  for (const group of config.groups) {
    for (const region of Object.keys(group.regions)) {
      tallies.set(tallyKey(group.id, region), { groupId: group.id, region, ok: 0, failed: 0, unknown: 0, storeErrors: 0 });
    }
  }
  const latenciesMs = new Map<string, number[]>();
  const written = new Map<string, ObserverReport>();
  const heartbeat = newHeartbeatMemory();
  const roundDurationsMs: number[] = [];
  const errors: string[] = [];

  while (roundDurationsMs.length < maxRounds) {
    const nextAt = Math.min(...dueAt.values());
    const due = config.groups.filter((group) => (dueAt.get(group.id) ?? nextAt) <= nextAt);
    if (Math.max(nextAt, clock.now()) + roundBudgetMs(due, marginMs) > input.deadline) break;
    const waitMs = nextAt - clock.now();
    if (waitMs > 0) await clock.sleep(waitMs);

    const round = await runProbeRound(deps, {
      observerRegion: input.observerRegion,
      groups: due,
      written,
      heartbeat,
      ...(input.concurrency === undefined ? {} : { concurrency: input.concurrency }),
    });
    roundDurationsMs.push(round.durationMs);
    errors.push(...round.errors);
    for (const outcome of round.regions) {
      const tally = tallies.get(tallyKey(outcome.groupId, outcome.region));
      if (tally === undefined) continue;
      if (!outcome.ok) tally.failed += 1;
      else if (outcome.unknownReasons !== undefined) tally.unknown += 1;
      else tally.ok += 1;
      if (outcome.storeError !== undefined) tally.storeErrors += 1;
      if (outcome.httpLatencyMs !== undefined) {
        const key = tallyKey(outcome.groupId, outcome.region);
        const regionLatenciesMs = latenciesMs.get(key);
        if (regionLatenciesMs === undefined) latenciesMs.set(key, [outcome.httpLatencyMs]);
        else regionLatenciesMs.push(outcome.httpLatencyMs);
      }
    }
    const now = clock.now();
    for (const group of due) {
      // A round that overran its interval is not followed by a burst of catch-up rounds.
      dueAt.set(group.id, Math.max(nextAt + group.policy.probeIntervalSeconds * 1_000, now));
    }
  }

  return {
    observerRegion: input.observerRegion,
    rounds: roundDurationsMs.length,
    startedAt,
    finishedAt: clock.now(),
    regions: [...tallies.entries()].map(([key, tally]) => {
      const latencyMs = summarizeLatency(latenciesMs.get(key) ?? []);
      return latencyMs === undefined ? tally : { ...tally, latencyMs };
    }),
    roundDurationsMs,
    maxRoundDurationMs: roundDurationsMs.length === 0 ? 0 : Math.max(...roundDurationsMs),
    errors,
  };
}

/**
 * The database as evidence about its region (`databaseEvidence`): `ok` for a serving status with a known role,
 * `failed` for a terminal status or a failed connection to the database itself, `unknown` for everything else. A lag without its own measurement time was read
 * live by the adapter, so it is stamped with `readAt`, the time of the call.
 *
 * @example
 * toDatabaseObservation({ region: 'us-east-1', role: 'replica', status: 'available', writable: false, replicaLagSeconds: 2, sourceRegion: 'eu-west-1' }, now);
 * // { ok: true, evidence: 'ok', role: 'replica', status: 'available', replicaLagSeconds: 2, replicaLagMeasuredAt: now, sourceRegion: 'eu-west-1' }
 */
export function toDatabaseObservation(state: DatabaseState, readAt: EpochMs): DatabaseObservation {
  const { evidence, problem } = databaseEvidence(state);
  return {
    ok: evidence === 'ok',
    evidence,
    role: state.role,
    status: state.status,
    ...(state.replicaLagSeconds === undefined
      ? {}
      : { replicaLagSeconds: state.replicaLagSeconds, replicaLagMeasuredAt: state.replicaLagMeasuredAt ?? readAt }),
    ...(state.sourceRegion === undefined ? {} : { sourceRegion: state.sourceRegion }),
    ...(problem === undefined ? {} : { error: state.statusDetail === undefined ? problem : `${problem}: ${state.statusDetail}` }),
  };
}

/**
 * This observer's own heartbeats of a shard, read at most once a round (a run's first round reads the stored reports,
 * which its previous invocation may have vouched for). An unreadable one is none: the streaks then restart from the
 * stored reports, which only delays a recovery, and the round says so.
 */
function ownHeartbeatReader(deps: ProbeDeps, observerRegion: RegionName, errors: string[]): (shard: string) => Promise<ObserverHeartbeat[]> {
  const reads = new Map<string, Promise<ObserverHeartbeat[]>>();
  return (shard) => {
    let read = reads.get(shard);
    if (read === undefined) {
      read = deps.observations.heartbeats(shard).then(
        (heartbeats) => heartbeats.filter((heartbeat) => heartbeat.observerRegion === observerRegion),
        (error: unknown) => {
          errors.push(`shard ${shard}: could not read this observer's heartbeat, its streaks restart from the stored reports: ${messageOf(error)}`);
          return [];
        },
      );
      reads.set(shard, read);
    }
    return read;
  };
}

/**
 * The observer's previous reports of the group, by region: from this run's memory when it saved them all, as its vouch
 * says they stand (`vouchedReport`), with the stored ones (`remembered`: only those may be vouched for again); else
 * one read, as the observer's own heartbeat (`ownHeartbeats`, when given) vouches for them.
 */
async function previousReports(
  deps: ProbeDeps,
  group: GroupConfig,
  observerRegion: RegionName,
  written: Map<string, ObserverReport> | undefined,
  heartbeat: HeartbeatMemory | undefined,
  ownHeartbeats: ((shard: string) => Promise<ObserverHeartbeat[]>) | undefined,
): Promise<{ reports: Map<RegionName, ObserverReport>; remembered?: { stored: ObserverReport[]; rounds: number } } | { error: string }> {
  const regions = Object.keys(group.regions);
  const known = regions.map((region) => written?.get(tallyKey(group.id, region)));
  if (known.every((report) => report !== undefined)) {
    const vouch = heartbeat?.vouches.get(group.id);
    const reports = new Map(known.map((report) => [report.region, vouch === undefined ? report : vouchedReport(report, vouch)]));
    return { reports, remembered: { stored: known, rounds: vouch?.rounds ?? 0 } };
  }
  try {
    const [stored, heartbeats] = await Promise.all([deps.observations.getReports(group.id, observerRegion), ownHeartbeats?.(shardOf(group)) ?? []]);
    return { reports: new Map(withHeartbeats(stored, heartbeats).map((report) => [report.region, report])) };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

interface ProbedRegion {
  readonly report: ObserverReport;
  readonly httpLatencyMs?: number;
}

async function probeRegion(
  deps: ProbeDeps,
  group: GroupConfig,
  region: RegionName,
  observerRegion: RegionName,
  faults: readonly InjectedFault[],
  httpProbes: Promise<{ http: HttpProbeResult[]; httpLatencyMs?: number }>,
  previous: { reports: Map<RegionName, ObserverReport> } | { error: string },
  errors: string[],
): Promise<ProbedRegion> {
  const lag = lagRead({
    groupId: group.id,
    region,
    observerRegion,
    observerRegions: deps.config.fleet.observerRegions,
    now: deps.clock.now(),
    inDoubt: 'error' in previous || groupInDoubt([...previous.reports.values()]),
  });
  const [{ http, httpLatencyMs }, database, connectionCheck] = await Promise.all([
    httpProbes,
    observeDatabase(deps.database, group, region, deps.clock, lag),
    checkConnection(deps, group, region, errors),
  ]);
  const fault = faults.find((candidate) => candidate.region === region);
  const round: RoundResult = {
    observedAt: deps.clock.now(),
    http,
    database: withFresherLag(database, connectionCheck),
    ...(connectionCheck === undefined ? {} : { connectionCheck }),
    ...(fault === undefined ? {} : { injectedFault: fault.scenario }),
  };
  // Without the previous report the streaks would restart from zero and hide a failure in progress: the report is
  // only returned, never saved (see saveReports).
  const report = nextObserverReport('error' in previous ? undefined : previous.reports.get(region), { groupId: group.id, region, observerRegion, round });
  return { report, ...(httpLatencyMs === undefined ? {} : { httpLatencyMs }) };
}

/**
 * Saves the group's reports with one write, and answers each region's outcome with what went wrong in storing it.
 * Reports that say nothing the stored ones (this run's own, remembered) do not are not written: the group is vouched
 * for in the round's heartbeat instead, unless its shard's last heartbeat failed. A group written, or not known to be
 * stored as remembered, is vouched for no more.
 */
async function saveReports(
  deps: ProbeDeps,
  group: GroupConfig,
  probed: readonly ProbedRegion[],
  previous: { reports: Map<RegionName, ObserverReport>; remembered?: { stored: ObserverReport[]; rounds: number } } | { error: string },
  errors: string[],
  written: Map<string, ObserverReport> | undefined,
  heartbeat: HeartbeatMemory | undefined,
): Promise<RegionProbeOutcome[]> {
  const outcome = ({ report, httpLatencyMs }: ProbedRegion, storeError?: string): RegionProbeOutcome => ({
    groupId: group.id,
    region: report.region,
    ...(httpLatencyMs === undefined ? {} : { httpLatencyMs }),
    ...outcomeOf(report),
    ...(storeError === undefined ? {} : { storeError }),
  });
  heartbeat?.vouches.delete(group.id);
  if ('error' in previous) {
    const storeError = `could not read the previous reports: ${previous.error}`;
    errors.push(`${group.id}: ${storeError}`);
    return probed.map((region) => outcome(region, storeError));
  }
  const reports = probed.map(({ report }) => report);
  const remembered = previous.remembered;
  if (heartbeat !== undefined && remembered !== undefined && !heartbeat.unsent.has(shardOf(group))) {
    const rounds = remembered.rounds + 1;
    if (reportsUnchanged(remembered.stored, reports, rounds)) {
      heartbeat.vouches.set(group.id, vouchFor(remembered.stored, reports, rounds));
      return probed.map((region) => outcome(region));
    }
  }
  try {
    await deps.observations.putReports(reports, deps.clock.now());
  } catch (error) {
    // Unknown whether it landed: the next round reads the stored ones again.
    for (const report of reports) written?.delete(tallyKey(group.id, report.region));
    const storeError = `could not save the reports: ${messageOf(error)}`;
    errors.push(`${group.id}: ${storeError}`);
    return probed.map((region) => outcome(region, storeError));
  }
  for (const report of reports) written?.set(tallyKey(group.id, report.region), report);
  return probed.map((region) => outcome(region));
}

function outcomeOf(report: ObserverReport): Pick<RegionProbeOutcome, 'ok' | 'failureReasons' | 'unknownReasons'> {
  return {
    ok: report.ok,
    failureReasons: report.failureReasons,
    ...(report.unknownReasons === undefined ? {} : { unknownReasons: report.unknownReasons }),
  };
}

async function probeHttp(
  prober: Prober,
  endpoints: readonly HealthEndpoint[],
): Promise<{ http: HttpProbeResult[]; httpLatencyMs?: number }> {
  try {
    const http = await prober.probe(endpoints);
    return http.length === 0 ? { http } : { http, httpLatencyMs: Math.max(...http.map((result) => result.latencyMs)) };
  } catch (error) {
    // The port promises never to throw; if an adapter breaks that promise, the region still gets a failed round.
    // Its latency of 0 is made up, so it stays out of the latency figures.
    return { http: endpoints.map((endpoint) => ({ url: endpoint.url, ok: false, latencyMs: 0, error: `prober failed: ${messageOf(error)}` })) };
  }
}

/**
 * The control plane's view of the database. An error of the provider's API (throttling, 5xx, access denied) says
 * nothing about the database: it is `unknown`, never a failure.
 */
async function observeDatabase(
  database: Database,
  group: GroupConfig,
  region: RegionName,
  clock: Clock,
  lag: 'read' | 'remembered',
): Promise<DatabaseObservation> {
  const readAt = clock.now();
  try {
    return toDatabaseObservation(await database.describe(group, region, { lag }), readAt);
  } catch (error) {
    return { ok: false, evidence: 'unknown', role: 'unknown', status: 'api-error', error: `describe failed: ${messageOf(error)}` };
  }
}

/**
 * The replica's lag from whichever source measured it last: the provider's metric, or the connection check when it
 * read one (a live reading, so usually fresher than a CloudWatch datapoint).
 */
function withFresherLag(database: DatabaseObservation, check: ConnectionCheckResult | undefined): DatabaseObservation {
  if (check?.ok !== true || check.replicaLagSeconds === undefined || database.role !== 'replica') return database;
  if (database.replicaLagMeasuredAt !== undefined && database.replicaLagMeasuredAt >= check.checkedAt) return database;
  return { ...database, replicaLagSeconds: check.replicaLagSeconds, replicaLagMeasuredAt: check.checkedAt };
}

/** The data-plane check of the region's database, where configured; undefined where not. */
async function checkConnection(
  deps: ProbeDeps,
  group: GroupConfig,
  region: RegionName,
  errors: string[],
): Promise<ConnectionCheckResult | undefined> {
  const database = group.regions[region]?.database;
  if (database === undefined || connectionCheckOf(database) === undefined) return undefined;
  if (deps.databaseProbe === undefined) {
    errors.push(`${group.id}/${region}: database.connectionCheck is configured but no database probe is wired; checked without it`);
    return undefined;
  }
  const checkedAt = deps.clock.now();
  try {
    return await deps.databaseProbe.check(group, region);
  } catch (error) {
    // The port promises never to throw; if an adapter breaks that promise, the check counts as failed.
    return { ok: false, latencyMs: deps.clock.now() - checkedAt, checkedAt, error: `database probe failed: ${messageOf(error)}` };
  }
}

/** The round's drill faults by group, read once; unreadable, the round probes without them and says so once. */
async function activeFaults(
  deps: ProbeDeps,
  groups: readonly GroupConfig[],
  now: EpochMs,
  errors: string[],
): Promise<Map<GroupId, InjectedFault[]>> {
  const byGroup = new Map<GroupId, InjectedFault[]>();
  if (groups.length === 0) return byGroup;
  try {
    for (const fault of await deps.faults.activeFor(groups.map((group) => group.id), now)) {
      const ofGroup = byGroup.get(fault.groupId);
      if (ofGroup === undefined) byGroup.set(fault.groupId, [fault]);
      else ofGroup.push(fault);
    }
  } catch (error) {
    const who = groups.length === 1 ? groups[0]!.id : `${groups.length} groups`;
    errors.push(`${who}: could not read injected faults, probing without them: ${messageOf(error)}`);
  }
  return byGroup;
}

/** The longest a round over `groups` may take: its slowest endpoint or connection-check timeout, plus the margin. */
function roundBudgetMs(groups: readonly GroupConfig[], marginMs: number): number {
  let longestTimeoutMs = 0;
  for (const group of groups) {
    for (const region of Object.values(group.regions)) {
      for (const endpoint of region.healthEndpoints) longestTimeoutMs = Math.max(longestTimeoutMs, endpoint.timeoutMs);
      const check = connectionCheckOf(region.database);
      if (check !== undefined) longestTimeoutMs = Math.max(longestTimeoutMs, check.timeoutMs);
    }
  }
  return longestTimeoutMs + marginMs;
}

function summarizeLatency(valuesMs: readonly number[]): ProbeLatencySummary | undefined {
  if (valuesMs.length === 0) return undefined;
  const sorted = [...valuesMs].sort((a, b) => a - b);
  return { count: sorted.length, p50: sorted[Math.ceil(sorted.length / 2) - 1] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

function tallyKey(groupId: GroupId, region: RegionName): string {
  return `${groupId}\u0000${region}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { GroupConfig } from '../config/schema.js';
import { databaseIdentity, protectionOf, withLiveTopology, type Protection, type ReprotectOperation } from '../domain/liveTopology.js';
import { failoverPhases } from '../domain/phases.js';
import type { EpochMs, FailoverRecord, LoggedEvent, RegionName, Verdict } from '../domain/types.js';
import type { GroupRecord } from '../ports/StateStore.js';
import { operatorExits, type OperatorExit } from './commands.js';
import { trafficSwitchWarnings } from '../domain/trafficSwitch.js';
import type { ExecutorDeps } from './executor.js';
import { previewFailover, restoreSnapshot, type FailoverPreview } from './plan.js';
import { stateName } from './transitions.js';
import { groupReports } from './observerReports.js';

export interface RegionStatus {
  readonly region: RegionName;
  readonly role: 'primary' | 'replica';
  readonly failoverPriority: number;
  readonly verdict: Verdict;
  readonly since?: EpochMs;
  readonly replicaLagSeconds?: number;
  readonly databaseRole?: string;
  readonly failingObservers: readonly RegionName[];
  readonly staleObservers: readonly RegionName[];
  readonly reasons: readonly string[];
  /** The database the control plane watches in this region: the configured identifier, or a reprotect's. */
  readonly database?: { readonly identifier: string; readonly tracked: boolean };
  /** When `replicaLagSeconds` was measured (not when it was read): old data never decides, so show its age. */
  readonly replicaLagMeasuredAt?: EpochMs;
  /** For a replica: the region it replicates from, as its freshest report says. */
  readonly replicationSource?: RegionName;
  /** Each observer's latest report on this region, with when it observed; a missing report is absent. */
  readonly observers?: readonly ObserverResult[];
}

/** One observer's latest view of one region. */
export interface ObserverResult {
  readonly observer: RegionName;
  /** `unknown` when the round neither passed nor failed (e.g. the database's control plane could not confirm it). */
  readonly result: 'passing' | 'failing' | 'unknown';
  readonly observedAt: EpochMs;
  readonly consecutiveFailures: number;
  readonly reasons: readonly string[];
}

/** One group as an operator reads it during an incident. Built from the saved record: it shows what was decided. */
export interface GroupStatus {
  readonly groupId: string;
  /** When this status was read, on the control plane's clock: ages are measured from it. */
  readonly at: EpochMs;
  readonly environment: string;
  readonly mode: GroupConfig['mode'];
  readonly state: string;
  readonly primaryRegion: RegionName;
  /** Absent when the executor has never run for this group. */
  readonly revision?: number;
  readonly updatedAt?: EpochMs;
  readonly regions: readonly RegionStatus[];
  /** The failover in progress (or stalled): route, data-loss window, steps. */
  readonly currentFailover?: FailoverPreview & { readonly step?: string; readonly outcome: FailoverRecord['outcome'] };
  /** The most recent failover that ended. */
  readonly lastFailover?: FailoverRecord;
  readonly blocked?: { readonly reason: string; readonly detail: string; readonly at: EpochMs };
  readonly stalled?: { readonly step: string; readonly reason: string; readonly at: EpochMs };
  readonly paused?: { readonly principalArn: string; readonly reason: string; readonly at: EpochMs };
  readonly awaitingAcknowledgement: boolean;
  /** Who holds the group right now (an executor run), if anyone, and the lease's epoch (it grows at each hand-over). */
  readonly lease?: { readonly owner: string; readonly expiresAt: EpochMs; readonly epoch: number };
  /** Newest first. */
  readonly lastEvents: readonly LoggedEvent[];
  /** The commands that would move the group on from where it is, and what each would do (none needed in monitoring). */
  readonly exits: readonly OperatorExit[];
  /** Which regions replicate from the primary now; `unprotected` says how to fix it. */
  readonly protection: Protection;
  /** The reprotect in progress, or the last one that ended. */
  readonly reprotect?: ReprotectOperation;
  /** What the operator should know about the group's setup (e.g. a traffic switch that needs the Route 53 control plane). */
  readonly warnings?: readonly string[];
}

/**
 * The status of one group from its saved record and recent events. Reads only.
 *
 * @example
 * const status = await groupStatus(deps, group, { events: 10 });
 * status.regions[0]; // { region: 'eu-west-1', role: 'primary', verdict: 'healthy', ... }
 */
export async function groupStatus(deps: ExecutorDeps, group: GroupConfig, options: { events?: number } = {}): Promise<GroupStatus> {
  const now = deps.clock.now();
  const [record, lastEvents, reports] = await Promise.all([
    deps.stateStore.load(group.id),
    deps.eventLog.list(group.id, { limit: options.events ?? 10 }),
    groupReports(deps.observations, group),
  ]);
  const snapshot = restoreSnapshot(record, group, now);
  const { context } = snapshot;
  const primary = context.primaryRegion;
  const health = record?.health ?? {};
  const regions = Object.entries(group.regions)
    .map(([region, config]): RegionStatus => {
      const regionHealth = health[region];
      return {
        region,
        role: region === primary ? 'primary' : 'replica',
        failoverPriority: config.failoverPriority,
        verdict: regionHealth?.verdict ?? 'unknown',
        since: regionHealth?.since,
        replicaLagSeconds: regionHealth?.replicaLagSeconds,
        databaseRole: regionHealth?.databaseRole,
        failingObservers: regionHealth?.failingObservers ?? [],
        staleObservers: regionHealth?.staleObservers ?? [],
        reasons: regionHealth?.reasons ?? [],
        ...databaseOf(group, region, record),
        ...(regionHealth?.replicaLagMeasuredAt === undefined ? {} : { replicaLagMeasuredAt: regionHealth.replicaLagMeasuredAt }),
        ...(regionHealth?.replicationSource === undefined ? {} : { replicationSource: regionHealth.replicationSource }),
        observers: reports
          .filter((report) => report.region === region)
          .sort((a, b) => a.observerRegion.localeCompare(b.observerRegion))
          .map((report) => ({
            observer: report.observerRegion,
            result: !report.ok ? 'failing' : (report.unknownReasons?.length ?? 0) > 0 ? 'unknown' : 'passing',
            observedAt: report.observedAt,
            consecutiveFailures: report.consecutiveFailures,
            reasons: report.ok ? (report.unknownReasons ?? []) : report.failureReasons,
          })),
      };
    })
    .sort((a, b) => Number(b.role === 'primary') - Number(a.role === 'primary') || b.failoverPriority - a.failoverPriority);
  const failover = context.failover;
  const active = failover?.outcome === 'in-progress';
  return {
    groupId: group.id,
    at: now,
    environment: group.environment,
    mode: group.mode,
    state: stateName(snapshot),
    primaryRegion: primary,
    revision: record?.revision,
    updatedAt: record?.updatedAt,
    regions,
    currentFailover: active
      ? { ...previewFailover(withLiveTopology(group, record?.topology), failover, health, now), step: context.stalled?.step ?? context.step?.name, outcome: failover.outcome }
      : undefined,
    lastFailover: active ? undefined : failover,
    blocked: context.blocked && { reason: context.blocked.reason, detail: context.blocked.detail, at: context.blocked.at },
    stalled: context.stalled,
    paused: context.paused,
    awaitingAcknowledgement: context.awaitingAcknowledgement,
    lease: record?.lease && record.lease.expiresAt > now ? { owner: record.lease.owner, expiresAt: record.lease.expiresAt, epoch: record.lease.epoch } : undefined,
    lastEvents,
    exits: snapshot.matches('monitoring') || snapshot.matches('failingOver') ? [] : operatorExits(group, snapshot, health, now),
    protection: protectionOf(health, primary, group.id),
    ...(record?.reprotect === undefined ? {} : { reprotect: record.reprotect }),
    warnings: trafficSwitchWarnings(group),
  };
}

function databaseOf(group: GroupConfig, region: RegionName, record: GroupRecord | undefined): Pick<RegionStatus, 'database'> {
  const identity = databaseIdentity(group, region, record?.topology);
  if (identity === undefined) return {};
  return { database: { identifier: identity.identifier, tracked: record?.topology?.databases[region] !== undefined } };
}

export interface StepTiming {
  /** The phase that ended at `endedAt`, e.g. `promotion` (from promotion started to promoted). */
  readonly phase: string;
  readonly startedAt: EpochMs;
  readonly endedAt: EpochMs;
  readonly durationMs: number;
}

export interface FailoverHistoryEntry extends FailoverRecord {
  readonly stepTimings: readonly StepTiming[];
}

/**
 * How long each phase of a failover took: the phases of `failoverPhases` (src/domain/phases.ts), from one recorded
 * timestamp to the next.
 *
 * @example
 * stepTimings(record).map((timing) => `${timing.phase} ${timing.durationMs} ms`);
 * // ['decision 400 ms', 'fencing 1000 ms', 'promotion request 0 ms', 'promotion 120000 ms', ...]
 */
export function stepTimings(record: FailoverRecord): StepTiming[] {
  return failoverPhases(record.timestamps).map((phase) => ({
    phase: phase.definition.name,
    startedAt: phase.startedAt,
    endedAt: phase.endedAt,
    durationMs: phase.durationMs,
  }));
}

/**
 * Failover records, newest first, with their step timings; of one group or of all groups.
 *
 * @example
 * const [latest] = await failoverHistory(deps, { groupId: 'orders', limit: 20 });
 * latest?.rtoMs; // 61000
 */
export async function failoverHistory(deps: ExecutorDeps, options: { groupId?: string; limit?: number } = {}): Promise<FailoverHistoryEntry[]> {
  const records = await deps.eventLog.listFailovers(options.groupId, { limit: options.limit ?? 20 });
  return records
    .sort((a, b) => startOf(b) - startOf(a))
    .map((record) => ({ ...record, stepTimings: stepTimings(record) }));
}

function startOf(record: FailoverRecord): EpochMs {
  return record.timestamps.detectedAt ?? record.timestamps.decidedAt ?? 0;
}

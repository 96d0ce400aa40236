import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverRecord, FailoverTimestamps, LoggedEvent, RegionName, Verdict } from '../domain/types.js';
import { trafficSwitchWarnings } from '../domain/trafficSwitch.js';
import type { ExecutorDeps } from './executor.js';
import { previewFailover, restoreSnapshot, type FailoverPreview } from './plan.js';
import { stateName } from './transitions.js';

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
}

/** One group as an operator reads it during an incident. Built from the saved record: it shows what was decided. */
export interface GroupStatus {
  readonly groupId: string;
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
  /** Who holds the group right now (an executor run), if anyone. */
  readonly lease?: { readonly owner: string; readonly expiresAt: EpochMs };
  /** Newest first. */
  readonly lastEvents: readonly LoggedEvent[];
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
  const [record, lastEvents] = await Promise.all([
    deps.stateStore.load(group.id),
    deps.eventLog.list(group.id, { limit: options.events ?? 10 }),
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
      };
    })
    .sort((a, b) => Number(b.role === 'primary') - Number(a.role === 'primary') || b.failoverPriority - a.failoverPriority);
  const failover = context.failover;
  const active = failover?.outcome === 'in-progress';
  return {
    groupId: group.id,
    environment: group.environment,
    mode: group.mode,
    state: stateName(snapshot),
    primaryRegion: primary,
    revision: record?.revision,
    updatedAt: record?.updatedAt,
    regions,
    currentFailover: active
      ? { ...previewFailover(group, failover, health), step: context.stalled?.step ?? context.step?.name, outcome: failover.outcome }
      : undefined,
    lastFailover: active ? undefined : failover,
    blocked: context.blocked && { reason: context.blocked.reason, detail: context.blocked.detail, at: context.blocked.at },
    stalled: context.stalled,
    paused: context.paused,
    awaitingAcknowledgement: context.awaitingAcknowledgement,
    lease: record?.lease && record.lease.expiresAt > now ? { owner: record.lease.owner, expiresAt: record.lease.expiresAt } : undefined,
    lastEvents,
    warnings: trafficSwitchWarnings(group),
  };
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

/** Timestamps in the order a failover passes them, with the name of the phase each one ends. */
const PHASES: readonly (readonly [keyof FailoverTimestamps, string])[] = [
  ['detectedAt', 'detection'],
  ['approvedAt', 'approval'],
  ['decidedAt', 'decision'],
  ['fencedAt', 'fencing'],
  ['drainedAt', 'draining'],
  ['promotionStartedAt', 'promotion request'],
  ['promotedAt', 'promotion'],
  ['trafficSwitchedAt', 'traffic switch'],
  ['dnsInSyncAt', 'DNS sync'],
  ['verifiedAt', 'verification'],
  ['abortedAt', 'abort'],
];

/**
 * How long each phase of a failover took: from one recorded timestamp to the next one that was recorded.
 *
 * @example
 * stepTimings(record).map((timing) => `${timing.phase} ${timing.durationMs} ms`);
 * // ['fencing 1000 ms', 'promotion request 0 ms', 'promotion 120000 ms', ...]
 */
export function stepTimings(record: FailoverRecord): StepTiming[] {
  const timings: StepTiming[] = [];
  let previous: EpochMs | undefined;
  for (const [key, phase] of PHASES) {
    const at = record.timestamps[key];
    if (at === undefined) continue;
    if (previous !== undefined) timings.push({ phase, startedAt: previous, endedAt: at, durationMs: at - previous });
    previous = at;
  }
  return timings;
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

import { randomUUID } from 'node:crypto';
import { restoreSnapshot } from '../application/plan.js';
import { stateName } from '../application/transitions.js';
import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { UnknownGroupError, ValidationError } from '../domain/errors.js';
import type { EpochMs, FailoverRecord, GroupId, LoggedEvent, RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { DrillOutcome, DrillReportStore, StoredDrill } from '../ports/DrillReportStore.js';
import type { EventLog } from '../ports/EventLog.js';
import type { FaultStore } from '../ports/FaultStore.js';
import type { StateStore } from '../ports/StateStore.js';
import { DrillRefusedError } from './errors.js';
import { buildDrillReport, targetsOf, type DrillReport } from './report.js';

/** What a staging drill touches: the control plane's own table, never the application's databases or DNS. */
export interface StagingDrillDeps {
  readonly config: ControlPlaneConfig;
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly faults: FaultStore;
  readonly reports: DrillReportStore<DrillReport>;
  readonly clock: Clock;
  readonly newId?: () => string;
}

/** The scenarios a staging drill can play: the fault store fails a whole region in the probes' eyes. */
export const STAGING_SCENARIOS = ['primary-region-outage'] as const;

/** A fault longer than this is not a drill any more. */
export const MAX_DRILL_SECONDS = 3_600;

export interface StagingDrillRequest {
  readonly groupId: GroupId;
  readonly scenario: string;
  readonly principalArn: string;
  /** Required (with approval mode) to drill a group whose environment is `production`. */
  readonly allowProduction?: boolean;
  /** The fault expires this long after it is injected, whether or not anyone comes back for it. */
  readonly durationSeconds: number;
}

/** A drill in progress: its fault is in the store until `expiresAt`. */
export interface StagingDrill {
  readonly id: string;
  readonly groupId: GroupId;
  readonly scenario: string;
  readonly principalArn: string;
  readonly region: RegionName;
  readonly startedAt: EpochMs;
  readonly expiresAt: EpochMs;
}

/**
 * Starts a staging drill: after the checks, writes an injected fault on the group's current primary region with
 * `expiresAt = now + durationSeconds`. The probes honour active faults (`runProbeRound` fails the region and says
 * `drill fault injected: <scenario>`), so the real control plane detects an outage and acts on it as configured.
 * The fault clears itself at expiry even if nobody calls `awaitStagingDrill`.
 * Refused with `DrillRefusedError` on a `production` group unless `allowProduction` and the group is in `approval`
 * mode (a person must still approve the failover), on an unknown scenario, or when the group is not `monitoring`.
 *
 * @example
 * const drill = await startStagingDrill(deps, { groupId: 'orders', scenario: 'primary-region-outage', principalArn, durationSeconds: 600 });
 * const stored = await awaitStagingDrill(deps, drill);
 */
export async function startStagingDrill(deps: StagingDrillDeps, request: StagingDrillRequest): Promise<StagingDrill> {
  const group = groupOf(deps.config, request.groupId);
  const context = { groupId: group.id, scenario: request.scenario };
  if (!(STAGING_SCENARIOS as readonly string[]).includes(request.scenario)) {
    throw new DrillRefusedError(
      `group ${group.id}: scenario ${request.scenario} cannot run against AWS; staging drills play ${STAGING_SCENARIOS.join(', ')} (the local drill, npm start, plays the others)`,
      context,
    );
  }
  if (group.environment === 'production') {
    if (request.allowProduction !== true) {
      throw new DrillRefusedError(
        `group ${group.id} is a production group: a drill there fails over real traffic. Pass --allow-production if that is the plan (the group must also be in approval mode)`,
        context,
      );
    }
    if (group.mode !== 'approval') {
      throw new DrillRefusedError(
        `group ${group.id} is a production group in ${group.mode} mode: a production drill needs approval mode, so a person approves the failover it proposes`,
        context,
      );
    }
  }
  const { durationSeconds } = request;
  const detectionSeconds = group.policy.failureThreshold * group.policy.probeIntervalSeconds;
  if (!Number.isFinite(durationSeconds) || durationSeconds <= detectionSeconds || durationSeconds > MAX_DRILL_SECONDS) {
    throw new ValidationError(`group ${group.id}: the drill's duration is out of range`, [
      `durationSeconds: ${durationSeconds} must be over ${detectionSeconds} s (failureThreshold × probeIntervalSeconds, or the outage is never detected) and at most ${MAX_DRILL_SECONDS} s`,
    ], { groupId: group.id });
  }
  const now = deps.clock.now();
  const snapshot = restoreSnapshot(await deps.stateStore.load(group.id), group, now);
  const state = stateName(snapshot);
  if (state !== 'monitoring') {
    throw new DrillRefusedError(
      `group ${group.id} is ${state}, not monitoring: a drill now would be mistaken for (or muddle) the real situation; wait until it is monitoring (fcp status ${group.id})`,
      context,
    );
  }
  const drill: StagingDrill = {
    id: (deps.newId ?? randomUUID)(),
    groupId: group.id,
    scenario: request.scenario,
    principalArn: request.principalArn,
    region: snapshot.context.primaryRegion,
    startedAt: now,
    expiresAt: now + durationSeconds * 1000,
  };
  await deps.faults.put({
    groupId: group.id,
    region: drill.region,
    scenario: request.scenario,
    principalArn: request.principalArn,
    createdAt: now,
    expiresAt: drill.expiresAt,
  });
  return drill;
}

/** What `awaitStagingDrill` reports while it waits. */
export type StagingProgress =
  | { readonly kind: 'event'; readonly event: LoggedEvent }
  | { readonly kind: 'waiting'; readonly at: EpochMs; readonly state: string };

/**
 * Waits for a staging drill's failover: polls the event log until the failover that started after the fault
 * completes (or aborts), or until the time box ends: the fault's expiry when no failover started, the expiry plus the
 * group's RTO target when one did. Then clears the fault (it would expire anyway), builds the report, saves it in the
 * DrillReportStore and returns it.
 *
 * @example
 * const stored = await awaitStagingDrill(deps, drill, { onProgress: (p) => console.log(p) });
 * stored.outcome; // 'completed'
 */
export async function awaitStagingDrill(
  deps: StagingDrillDeps,
  drill: StagingDrill,
  options: { pollIntervalMs?: number; onProgress?: (progress: StagingProgress) => void } = {},
): Promise<StoredDrill<DrillReport>> {
  const group = groupOf(deps.config, drill.groupId);
  const pollMs = options.pollIntervalMs ?? group.policy.probeIntervalSeconds * 1000;
  let lastSeq = 0;
  let failover: FailoverRecord | undefined;
  for (;;) {
    const events = await eventsSince(deps.eventLog, drill);
    for (const event of events.filter((candidate) => candidate.seq > lastSeq)) options.onProgress?.({ kind: 'event', event });
    lastSeq = events.at(-1)?.seq ?? lastSeq;
    failover = await failoverOf(deps.eventLog, drill);
    const now = deps.clock.now();
    if (failover !== undefined && failover.outcome !== 'in-progress') break;
    const boxEndsAt = failover === undefined ? drill.expiresAt : drill.expiresAt + group.policy.targets.rtoSeconds * 1000;
    if (now >= boxEndsAt) break;
    options.onProgress?.({ kind: 'waiting', at: now, state: events.at(-1)?.state ?? 'monitoring' });
    await deps.clock.sleep(Math.min(pollMs, boxEndsAt - now));
  }
  await deps.faults.clear(drill.groupId, drill.region);
  const events = await eventsSince(deps.eventLog, drill);
  const outcome: DrillOutcome = failover === undefined ? 'no-failover' : failover.outcome === 'completed' ? 'completed' : 'not-completed';
  const stored: StoredDrill<DrillReport> = {
    ...drill,
    faultExpiresAt: drill.expiresAt,
    finishedAt: deps.clock.now(),
    outcome,
    ...(failover === undefined
      ? {}
      : {
          failoverId: failover.id,
          report: buildDrillReport({
            record: failover,
            events: events.filter((event) => event.failoverId === undefined || event.failoverId === failover?.id),
            targets: targetsOf(group),
            faultInjectedAt: drill.startedAt,
            scenario: drill.scenario,
          }),
        }),
  };
  await deps.reports.save(stored);
  return stored;
}

function groupOf(config: ControlPlaneConfig, groupId: GroupId): GroupConfig {
  const group = config.groups.find((candidate) => candidate.id === groupId);
  if (group === undefined) {
    throw new UnknownGroupError(`group ${groupId} is not configured (groups: ${config.groups.map((candidate) => candidate.id).join(', ')})`, { groupId });
  }
  return group;
}

/** The group's events since the drill started, oldest first. */
async function eventsSince(eventLog: EventLog, drill: StagingDrill): Promise<LoggedEvent[]> {
  const events = await eventLog.list(drill.groupId, { limit: 500 });
  return events.filter((event) => event.at >= drill.startedAt).reverse();
}

/** The first failover that started after the fault was injected. */
async function failoverOf(eventLog: EventLog, drill: StagingDrill): Promise<FailoverRecord | undefined> {
  const failovers = await eventLog.listFailovers(drill.groupId, { limit: 10 });
  return failovers
    .filter((record) => (record.timestamps.detectedAt ?? record.timestamps.decidedAt ?? 0) >= drill.startedAt)
    .sort((a, b) => startOf(a) - startOf(b))[0];
}

function startOf(record: FailoverRecord): EpochMs {
  return record.timestamps.detectedAt ?? record.timestamps.decidedAt ?? 0;
}

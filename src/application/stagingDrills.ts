import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverRecord, LoggedEvent } from '../domain/types.js';
import type { DrillOutcome, DrillReportStore, StoredDrill } from '../ports/DrillReportStore.js';
import type { FaultStore } from '../ports/FaultStore.js';
import { excerpt, MAX_REASON_BYTES } from './commandRules.js';
import type { ExecutorDeps } from './executor.js';
import { restoreSnapshot } from './plan.js';
import { stateName } from './transitions.js';

/**
 * Staging drills through the operator API (`POST /groups/<g>/drills`, `GET /groups/<g>/drills/<id>`,
 * `POST /groups/<g>/drills/<id>/stop`): a time-boxed injected fault on the group's primary region, read by every probe
 * round (`runProbeRound` fails the region, `drill fault injected: <scenario>`), so the real control plane detects an
 * outage and acts on it as configured. Who starts or stops a drill is the IAM identity that signed the request, as
 * for every command; the checks before a drill starts live here, so every client gets the same answer.
 */

/** What a staging drill writes: the fault the probes honour and the drill's record, both in the control plane's table. */
export interface StagingDrillStores {
  readonly faults: FaultStore;
  readonly drills: DrillReportStore;
}

/** The scenarios a staging drill can play: the fault store fails a whole region in the probes' eyes. */
export const STAGING_SCENARIOS = ['primary-region-outage'] as const;

/** A fault longer than this is not a drill any more. */
export const MAX_DRILL_SECONDS = 3_600;
export const DEFAULT_DRILL_SECONDS = 600;
/** Events a drill's progress carries: a drill's failover logs a few dozen. */
export const DRILL_EVENTS_LIMIT = 200;

const IDENTITY_KEYS = ['principalArn', 'principal', 'userArn', 'callerArn', 'caller', 'actor', 'as'];

/** A drill's start, checked. */
export interface DrillStart {
  readonly scenario: (typeof STAGING_SCENARIOS)[number];
  readonly durationSeconds: number;
  readonly allowProduction?: boolean;
  readonly reason: string;
}

const START_FIELDS = ['scenario', 'durationSeconds', 'allowProduction', 'reason'] as const;

/**
 * Checks a drill's start body: every problem, one line each, naming its field. The caller's identity is never in the
 * body; the duration must outlast detection (failureThreshold × probeIntervalSeconds) or nothing is ever detected.
 * Written out by hand rather than with zod: the operator Lambda's bundle carries no schema library (bundles.test.ts).
 *
 * @example
 * parseDrillStart({ scenario: 'primary-region-outage', durationSeconds: 600, reason: 'quarterly drill' }, group);
 */
export function parseDrillStart(body: unknown, group: GroupConfig): { body: DrillStart } | { issues: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: ['body: must be a JSON object such as {"scenario": "primary-region-outage", "durationSeconds": 600, "reason": "..."}'] };
  }
  const fields = body as Record<string, unknown>;
  const issues = Object.keys(fields).map((key) =>
    IDENTITY_KEYS.includes(key)
      ? `${key}: must not be in the body: the caller is the IAM identity that signed the request`
      : (START_FIELDS as readonly string[]).includes(key)
        ? undefined
        : `${excerpt(key, 40)}: not a drill option (${START_FIELDS.join(', ')})`,
  ).filter((issue): issue is string => issue !== undefined);
  const { scenario, durationSeconds = DEFAULT_DRILL_SECONDS, allowProduction, reason } = fields;
  if (scenario === undefined) issues.push('scenario: is required');
  else if (!(STAGING_SCENARIOS as readonly unknown[]).includes(scenario)) {
    issues.push(`scenario: ${JSON.stringify(excerpt(String(scenario), 40))} cannot run against AWS; staging drills play ${STAGING_SCENARIOS.join(', ')} (the local drill, npm start, plays the others)`);
  }
  const detectionSeconds = group.policy.failureThreshold * group.policy.probeIntervalSeconds;
  if (typeof durationSeconds !== 'number' || !Number.isInteger(durationSeconds)) {
    issues.push(`durationSeconds: must be a whole number of seconds (got ${excerpt(JSON.stringify(durationSeconds) ?? String(durationSeconds), 40)})`);
  } else if (durationSeconds <= detectionSeconds || durationSeconds > MAX_DRILL_SECONDS) {
    issues.push(`durationSeconds: ${durationSeconds} must be over ${detectionSeconds} s (failureThreshold × probeIntervalSeconds of ${group.id}, or the outage is never detected) and at most ${MAX_DRILL_SECONDS} s`);
  }
  if (allowProduction !== undefined && typeof allowProduction !== 'boolean') issues.push('allowProduction: must be true or false');
  const trimmed = typeof reason === 'string' ? reason.trim() : undefined;
  if (trimmed === undefined || trimmed === '') issues.push('reason: is required and must not be empty: it is recorded with your identity');
  else if (Buffer.byteLength(trimmed) > MAX_REASON_BYTES) issues.push(`reason: must be at most ${MAX_REASON_BYTES} bytes (UTF-8)`);
  if (issues.length > 0) return { issues };
  return {
    body: {
      scenario: scenario as DrillStart['scenario'],
      durationSeconds: durationSeconds as number,
      reason: trimmed!,
      ...(allowProduction === undefined ? {} : { allowProduction: allowProduction as boolean }),
    },
  };
}

/** Why a drill does not start (or stop) as asked: `refused` (422) it is not allowed as asked, `conflict` (409) not now. */
export interface DrillRefusal {
  readonly refused: 'refused' | 'conflict';
  readonly message: string;
}

/** A drill as `GET /groups/<g>/drills/<id>` answers it: the record, and what has happened since its fault. */
export interface DrillProgress {
  readonly drill: StoredDrill;
  /** The group's state now. */
  readonly state: string;
  /** The drill is over: stopped, its failover finished, or its time box passed (stop it to clear the fault and keep the outcome). */
  readonly ended: boolean;
  /** When the drill's time box ends: the fault's expiry, plus the RTO target once a failover started. */
  readonly boxEndsAt: EpochMs;
  /** The first failover that started after the fault was injected. */
  readonly failover?: FailoverRecord;
  /** The group's events since the drill started, oldest first (at most DRILL_EVENTS_LIMIT). */
  readonly events: readonly LoggedEvent[];
  /** The group's policy: the targets the drill's report judges the failover by. */
  readonly policy: GroupConfig['policy'];
}

/**
 * Starts a drill: refused on a `production` group unless `allowProduction` and the group is in `approval` mode (a
 * person must still approve the failover), and, as a conflict, when the group is not `monitoring` or a fault is already
 * injected on it. Then injects the fault on the current primary region, expiring after `durationSeconds` whether or
 * not anyone comes back for it, and records the drill under `id` (the request's idempotency key): a retried request
 * finds it and starts nothing twice.
 *
 * @example
 * const started = await startStagingDrill(deps, stores, group, { id: key, principalArn, start });
 */
export async function startStagingDrill(
  deps: Pick<ExecutorDeps, 'stateStore' | 'eventLog' | 'clock' | 'logger'>,
  stores: StagingDrillStores,
  group: GroupConfig,
  request: { readonly id: string; readonly principalArn: string; readonly start: DrillStart },
): Promise<{ readonly drill: StoredDrill; readonly replayed: boolean } | DrillRefusal> {
  const { id, principalArn, start } = request;
  const existing = await stores.drills.get(group.id, id);
  if (existing !== undefined) {
    if (existing.principalArn !== principalArn || existing.scenario !== start.scenario || existing.reason !== start.reason) {
      return { refused: 'refused', message: `Idempotency-Key ${id} was already used for another drill (${existing.scenario} by ${excerpt(existing.principalArn)}); use a new key` };
    }
    return { drill: existing, replayed: true };
  }
  if (group.environment === 'production') {
    if (start.allowProduction !== true) {
      return {
        refused: 'refused',
        message: `group ${group.id} is a production group: a drill there fails over real traffic. Pass allowProduction (fcp drill --allow-production) if that is the plan (the group must also be in approval mode)`,
      };
    }
    if (group.mode !== 'approval') {
      return { refused: 'refused', message: `group ${group.id} is a production group in ${group.mode} mode: a production drill needs approval mode, so a person approves the failover it proposes` };
    }
  }
  const now = deps.clock.now();
  const snapshot = restoreSnapshot(await deps.stateStore.load(group.id), group, now);
  const state = stateName(snapshot);
  if (state !== 'monitoring') {
    return {
      refused: 'conflict',
      message: `group ${group.id} is ${state}, not monitoring: a drill now would be mistaken for (or muddle) the real situation; wait until it is monitoring (fcp status ${group.id})`,
    };
  }
  const [active] = await stores.faults.active(group.id, now);
  if (active !== undefined) {
    return {
      refused: 'conflict',
      message: `group ${group.id} already has a drill fault on ${active.region} (${active.scenario} by ${excerpt(active.principalArn)}) until ${new Date(active.expiresAt).toISOString()}; stop that drill first`,
    };
  }
  const [lastEvent] = await deps.eventLog.list(group.id, { limit: 1 });
  const drill: StoredDrill = {
    id,
    groupId: group.id,
    scenario: start.scenario,
    principalArn,
    reason: start.reason,
    region: snapshot.context.primaryRegion,
    startedAt: now,
    faultExpiresAt: now + start.durationSeconds * 1000,
    eventsAfter: lastEvent?.seq ?? 0,
    outcome: 'running',
  };
  // The record first: a fault is never injected without a drill that names who injected it and how to stop it.
  await stores.drills.save(drill);
  await stores.faults.put({ groupId: group.id, region: drill.region, scenario: drill.scenario, principalArn, createdAt: now, expiresAt: drill.faultExpiresAt });
  deps.logger?.info('staging drill started', { principalArn, groupId: group.id, drillId: id, region: drill.region, expiresAt: drill.faultExpiresAt });
  return { drill, replayed: false };
}

/**
 * What a drill has done so far (a read: it changes nothing). A drill is over once its failover finished (completed or
 * aborted) or its time box passed: the fault's expiry when no failover started, plus the group's RTO target when one did.
 *
 * @example
 * const progress = await drillProgress(deps, stores, group, drillId);
 * if (progress?.ended) await stopStagingDrill(deps, stores, group, { id: drillId, principalArn });
 */
export async function drillProgress(
  deps: Pick<ExecutorDeps, 'stateStore' | 'eventLog' | 'clock'>,
  stores: StagingDrillStores,
  group: GroupConfig,
  id: string,
): Promise<DrillProgress | undefined> {
  const drill = await stores.drills.get(group.id, id);
  if (drill === undefined) return undefined;
  const now = deps.clock.now();
  const [record, events, failover] = await Promise.all([
    deps.stateStore.load(group.id),
    deps.eventLog.listAfter(group.id, drill.eventsAfter ?? 0, { limit: DRILL_EVENTS_LIMIT }),
    failoverAfter(deps, drill),
  ]);
  const boxEndsAt = failover === undefined ? drill.faultExpiresAt : drill.faultExpiresAt + group.policy.targets.rtoSeconds * 1000;
  const ended = drill.outcome !== 'running' || (failover !== undefined && failover.outcome !== 'in-progress') || now >= boxEndsAt;
  return {
    drill,
    state: stateName(restoreSnapshot(record, group, now)),
    ended,
    boxEndsAt,
    ...(failover === undefined ? {} : { failover }),
    events: events.filter((event) => event.failoverId === undefined || event.failoverId === failover?.id),
    policy: group.policy,
  };
}

/**
 * Stops a drill: clears its fault at once (it would expire anyway) and records how it ended and who stopped it. A
 * drill already stopped is answered as it is, so stopping twice is harmless.
 *
 * @example
 * const progress = await stopStagingDrill(deps, stores, group, { id: drillId, principalArn });
 * progress?.drill.outcome; // 'completed'
 */
export async function stopStagingDrill(
  deps: Pick<ExecutorDeps, 'stateStore' | 'eventLog' | 'clock' | 'logger'>,
  stores: StagingDrillStores,
  group: GroupConfig,
  request: { readonly id: string; readonly principalArn: string },
): Promise<DrillProgress | undefined> {
  const drill = await stores.drills.get(group.id, request.id);
  if (drill === undefined) return undefined;
  if (drill.outcome === 'running') {
    await stores.faults.clear(group.id, drill.region);
    const failover = await failoverAfter(deps, drill);
    const outcome: DrillOutcome = failover === undefined ? 'no-failover' : failover.outcome === 'completed' ? 'completed' : 'not-completed';
    await stores.drills.save({
      ...drill,
      outcome,
      finishedAt: deps.clock.now(),
      stoppedBy: request.principalArn,
      ...(failover === undefined ? {} : { failoverId: failover.id }),
    });
    deps.logger?.info('staging drill stopped', { principalArn: request.principalArn, groupId: group.id, drillId: drill.id, outcome });
  }
  return drillProgress(deps, stores, group, request.id);
}

/** The first failover that started after the drill's fault was injected. */
async function failoverAfter(deps: Pick<ExecutorDeps, 'eventLog'>, drill: StoredDrill): Promise<FailoverRecord | undefined> {
  const failovers = await deps.eventLog.listFailovers(drill.groupId, { limit: 10 });
  return failovers.filter((record) => startOf(record) >= drill.startedAt).sort((a, b) => startOf(a) - startOf(b))[0];
}

function startOf(record: FailoverRecord): EpochMs {
  return record.timestamps.detectedAt ?? record.timestamps.decidedAt ?? 0;
}

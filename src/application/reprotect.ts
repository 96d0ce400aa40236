import type { GroupConfig } from '../config/schema.js';
import { FatalStepError } from '../domain/errors.js';
import { notificationSubject } from '../domain/notification.js';
import {
  configuredIdentity,
  databaseIdentity,
  describeProtection,
  protectionOf,
  replicaIdentity,
  REPROTECT_GENERATIONS,
  withDatabase,
  withLiveTopology,
  type LiveTopology,
  type ReprotectOperation,
} from '../domain/liveTopology.js';
import type { EpochMs, LoggedEvent, Notification, RegionHealth, Severity } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { OperatorCommand } from '../ports/CommandQueue.js';
import type { Database } from '../ports/Database.js';
import type { GroupRecord } from '../ports/StateStore.js';
import { stateName, type FailoverSnapshot } from './transitions.js';

/**
 * Reprotect: after a failover, create a new cross-region replica of the new primary so that losing it does not lose
 * the group (or, for a self-managed postgres server, point the region's existing replica at the new primary:
 * `Database.follow`, primary_conninfo and a reload). It is its own small operation saved in the group record beside the failover machine, and the executor
 * advances it only while the machine rests (never during a failover). Every step observes before it acts and its
 * progress is saved with compare-and-set before the next one: the new replica's identifier is chosen and saved when
 * the command is accepted, so a run that dies after asking for the replica finds it instead of asking twice.
 */

/** The part of the group record this module owns. */
export interface TopologyState {
  readonly topology?: LiveTopology;
  readonly reprotect?: ReprotectOperation;
  readonly unprotectedSince?: EpochMs;
}

export type EventDraft = Omit<LoggedEvent, 'groupId' | 'seq'>;

/** The next state and what the executor's next save must carry (outbox). */
export interface TopologyEffects {
  readonly state: TopologyState;
  readonly events: readonly EventDraft[];
  readonly notifications: readonly Notification[];
  /** A line for the executor's action list, when a port was called. */
  readonly action?: string;
}

export type ReprotectDecision =
  | { readonly kind: 'accept'; readonly summary: string; readonly effects: TopologyEffects }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** Provider statuses from which a replica being created never becomes ready. */
const CREATION_FAILED = new Set([
  'failed',
  'incompatible-parameters',
  'incompatible-restore',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'storage-full',
  'not-a-member',
]);

export function topologyStateOf(record: GroupRecord | undefined): TopologyState {
  if (record === undefined) return {};
  return {
    ...(record.topology === undefined ? {} : { topology: record.topology }),
    ...(record.reprotect === undefined ? {} : { reprotect: record.reprotect }),
    ...(record.unprotectedSince === undefined ? {} : { unprotectedSince: record.unprotectedSince }),
  };
}

/** `record` carrying `state` in place of its own topology fields (an absent field is removed). */
export function withTopologyState<R extends GroupRecord>(record: R, state: TopologyState): R {
  const { topology: _topology, reprotect: _reprotect, unprotectedSince: _since, ...rest } = record;
  return { ...rest, ...state } as R;
}

export function topologyChanged(record: GroupRecord, state: TopologyState): boolean {
  return JSON.stringify(topologyStateOf(record)) !== JSON.stringify(topologyStateOf(withTopologyState(record, state)));
}

/** The machine is not failing over, stalled, or waiting for approval: topology changes may proceed. */
export function isResting(snapshot: FailoverSnapshot): boolean {
  return !snapshot.matches('failingOver') && !snapshot.matches('stalled') && !snapshot.matches('awaitingApproval');
}

export function reprotectInProgress(operation: ReprotectOperation | undefined): operation is ReprotectOperation {
  return operation !== undefined && (operation.status === 'requested' || operation.status === 'creating');
}

/**
 * Whether `fcp reprotect` may start now. Pure: the operator API uses it to answer at once, the executor again when
 * it takes the command (the state may have moved on). Refused: no region, not a region of the group, the primary
 * itself, or a region that already replicates from the primary. A postgres region is repointed (`method: repoint`). Conflict: a failover or another reprotect is under way.
 *
 * @example
 * const decision = decideReprotect({ group, snapshot, health, command, state: topologyStateOf(record), now });
 * decision.kind; // 'refused' when command.targetRegion is the primary
 */
export function decideReprotect(input: {
  group: GroupConfig;
  snapshot: FailoverSnapshot;
  health: Readonly<Record<string, RegionHealth>>;
  command: OperatorCommand;
  state: TopologyState;
  now: EpochMs;
}): ReprotectDecision {
  const { group, snapshot, health, command, state, now } = input;
  const region = command.targetRegion;
  const primary = snapshot.context.primaryRegion;
  if (region === undefined) return { kind: 'refused', reason: 'name the region to create the new replica in: fcp reprotect <group> --region <region>' };
  if (group.regions[region] === undefined) {
    return { kind: 'refused', reason: `region ${region} is not part of group ${group.id} (regions: ${Object.keys(group.regions).join(', ')})` };
  }
  if (region === primary) return { kind: 'refused', reason: `${region} is the primary of ${group.id}: a replica of the primary goes in another region` };
  if (!isResting(snapshot)) {
    return { kind: 'conflict', reason: `the group is ${stateName(snapshot)}: reprotect once the failover has ended (fcp status ${group.id})` };
  }
  if (reprotectInProgress(state.reprotect)) {
    const current = state.reprotect;
    return {
      kind: 'conflict',
      reason: `reprotect ${current.id} is already creating ${current.identifier} in ${current.region} (${current.status}); follow it with fcp status ${group.id}`,
    };
  }
  const regionHealth = health[region];
  if (regionHealth?.databaseRole === 'replica' && regionHealth.replicationSource === primary) {
    return { kind: 'refused', reason: `${region} already replicates from the primary ${primary}: it protects the group, nothing to do` };
  }
  const generation = (state.topology?.databases[region]?.generation ?? 0) + 1;
  // A self-managed server is repointed in place: same address, no new resource, no IAM-bound generation limit.
  const repoint = group.regions[region]?.database.kind === 'postgres';
  if (!repoint && generation > REPROTECT_GENERATIONS) {
    return {
      kind: 'refused',
      reason: `${region} was reprotected ${REPROTECT_GENERATIONS} times, as many as the deployment grants IAM actions for: set its database in the configuration to ${state.topology?.databases[region]?.identifier ?? 'the current one'} and redeploy, then reprotect again`,
    };
  }
  const identity = repoint ? databaseIdentity(group, region, state.topology) : replicaIdentity(group, region, generation);
  if (identity === undefined) return { kind: 'refused', reason: `region ${region} has no database in group ${group.id}` };
  const operation: ReprotectOperation = {
    id: command.id,
    region,
    identifier: identity.identifier,
    arn: identity.arn,
    generation,
    ...(repoint ? { method: 'repoint' as const } : {}),
    sourceRegion: primary,
    principalArn: command.principalArn,
    reason: command.reason,
    status: 'requested',
    requestedAt: now,
  };
  const summary = repoint
    ? `reprotect ${region}: point its postgres server ${identity.identifier} at the primary ${primary} (primary_conninfo, reload); it protects the group once it streams from it (follow with fcp status ${group.id})`
    : `reprotect ${region}: create ${identity.identifier}, a read replica of the primary ${primary}; it protects the group once it replicates (follow with fcp status ${group.id})`;
  return {
    kind: 'accept',
    summary,
    effects: {
      state: { ...state, reprotect: operation },
      events: [
        {
          at: now,
          type: 'REPROTECT_REQUESTED',
          state: stateName(snapshot),
          actor: command.principalArn,
          message: `${summary}; by ${command.principalArn}: ${command.reason}`,
          detail: { commandId: command.id, region, identifier: identity.identifier, sourceRegion: primary },
        },
      ],
      notifications: [],
    },
  };
}

/**
 * Says once per episode that no region replicates from the primary any more, and once that it is protected again.
 * Only while the machine rests: during a failover the topology is in flux. Unknown protection changes nothing.
 *
 * @example
 * const effects = watchProtection({ group, health, snapshot, state, now }); // after a failover with no replica left
 * effects?.notifications[0]?.type; // 'unprotected'
 */
export function watchProtection(input: {
  group: GroupConfig;
  health: Readonly<Record<string, RegionHealth>>;
  snapshot: FailoverSnapshot;
  state: TopologyState;
  now: EpochMs;
}): TopologyEffects | undefined {
  const { group, health, snapshot, state, now } = input;
  if (!isResting(snapshot)) return undefined;
  const protection = protectionOf(health, snapshot.context.primaryRegion, group.id);
  const text = describeProtection(protection);
  if (protection.kind === 'unprotected' && state.unprotectedSince === undefined) {
    const inProgress = reprotectInProgress(state.reprotect)
      ? `\nReprotect ${state.reprotect.id} is already creating ${state.reprotect.identifier} in ${state.reprotect.region}.`
      : '';
    return {
      state: { ...state, unprotectedSince: now },
      events: [{ at: now, type: 'UNPROTECTED', state: stateName(snapshot), message: text, detail: { primaryRegion: protection.primaryRegion, fixes: protection.fixes } }],
      notifications: [
        notification(group, 'unprotected', 'warning', `unprotected: no replica of ${protection.primaryRegion}`, `${text}${inProgress}`, {
          primaryRegion: protection.primaryRegion,
          fixes: protection.fixes,
          key: `unprotected:${now}`,
        }),
      ],
    };
  }
  if (protection.kind === 'protected' && state.unprotectedSince !== undefined) {
    const { unprotectedSince: _ended, ...rest } = state;
    return {
      state: rest,
      events: [{ at: now, type: 'PROTECTED', state: stateName(snapshot), message: text, detail: { primaryRegion: protection.primaryRegion, regions: protection.regions } }],
      notifications: [],
    };
  }
  return undefined;
}

/**
 * Advances the reprotect in progress by one step, while the machine rests: asks for the replica (`requested` →
 * `creating`), then watches it until it replicates from the primary (`completed`: the region's tracked database
 * becomes the new one). The caller saves the answer with compare-and-set before anything else happens.
 * A retryable error leaves the step to the next run; a fatal one (access denied, not supported) ends it `failed`.
 *
 * @example
 * const effects = await advanceReprotect({ database, clock }, { group, snapshot, state });
 * if (effects) session.absorb(effects); // then save
 */
export async function advanceReprotect(
  ports: { readonly database: Database; readonly clock: Clock },
  input: { group: GroupConfig; snapshot: FailoverSnapshot; state: TopologyState },
): Promise<TopologyEffects | undefined> {
  const { group, snapshot, state } = input;
  const operation = state.reprotect;
  if (!reprotectInProgress(operation) || !isResting(snapshot)) return undefined;
  const { database, clock } = ports;
  const primary = snapshot.context.primaryRegion;
  if (operation.sourceRegion !== primary || operation.region === primary) {
    return failed(
      input,
      operation,
      `the primary moved from ${operation.sourceRegion} to ${primary} before ${operation.identifier} was ready: it follows the old primary. ` +
        `Delete ${operation.identifier} in ${operation.region} and run fcp reprotect ${group.id} --region <region> again`,
      clock.now(),
    );
  }
  const live = withLiveTopology(group, state.topology);
  try {
    if (operation.status === 'requested' && operation.method === 'repoint') {
      if (database.follow === undefined) {
        throw new FatalStepError(`the ${group.regions[operation.region]?.database.kind ?? 'unknown'} database adapter cannot repoint a replica`, {
          groupId: group.id,
          region: operation.region,
        });
      }
      const outcome = await database.follow(live, operation.region, operation.sourceRegion);
      const now = clock.now();
      const message =
        outcome === 'repointed'
          ? `pointed ${operation.identifier} in ${operation.region} at the primary ${primary}: it streams from it`
          : `${operation.identifier} in ${operation.region} already streams from the primary ${primary} (an earlier run repointed it)`;
      const next: ReprotectOperation = { ...operation, status: 'creating', createRequestedAt: now, detail: outcome };
      return {
        state: { ...state, reprotect: next },
        events: [{ at: now, type: 'REPLICA_CREATE_REQUESTED', state: stateName(snapshot), message, detail: { commandId: operation.id, outcome } }],
        notifications: [],
        action: `reprotect ${operation.region}: ${outcome}`,
      };
    }
    if (operation.status === 'requested') {
      if (database.createReplica === undefined) {
        throw new FatalStepError(`the ${group.regions[operation.region]?.database.kind ?? 'unknown'} database adapter cannot create replicas`, {
          groupId: group.id,
          region: operation.region,
        });
      }
      const outcome = await database.createReplica(live, operation.region, {
        identifier: operation.identifier,
        sourceRegion: operation.sourceRegion,
        operationId: operation.id,
      });
      const now = clock.now();
      const message =
        outcome === 'created'
          ? `asked for ${operation.identifier} in ${operation.region}, a read replica of ${primary}`
          : `${operation.identifier} in ${operation.region} already exists (an earlier run asked for it); following it`;
      const next: ReprotectOperation = { ...operation, status: 'creating', createRequestedAt: now, detail: outcome };
      return {
        state: { ...state, reprotect: next },
        events: [{ at: now, type: 'REPLICA_CREATE_REQUESTED', state: stateName(snapshot), message, detail: { commandId: operation.id, outcome } }],
        notifications: [],
        action: `reprotect ${operation.region}: ${outcome}`,
      };
    }
    const replica = await database.describe(withDatabase(live, operation.region, operation), operation.region);
    const now = clock.now();
    if (replica.role === 'replica' && replica.status === 'available' && replica.sourceRegion === primary) {
      return completed(input, operation, now);
    }
    if (CREATION_FAILED.has(replica.status)) {
      return failed(input, operation, `${operation.identifier} in ${operation.region} is ${replica.status}: it will not become a replica; delete it and run fcp reprotect again`, now);
    }
    const detail = `${replica.status} (${replica.role}${replica.sourceRegion === undefined ? '' : ` of ${replica.sourceRegion}`})`;
    if (detail === operation.detail) return undefined;
    return { state: { ...state, reprotect: { ...operation, detail } }, events: [], notifications: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof FatalStepError) return failed(input, operation, message, clock.now());
    const detail = `last attempt failed, retried on the next run: ${message}`.slice(0, 500);
    if (detail === operation.detail) return undefined;
    return { state: { ...state, reprotect: { ...operation, detail } }, events: [], notifications: [] };
  }
}

function completed(input: { group: GroupConfig; snapshot: FailoverSnapshot; state: TopologyState }, operation: ReprotectOperation, now: EpochMs): TopologyEffects {
  const { group, snapshot, state } = input;
  const replaced = withLiveTopology(group, state.topology).regions[operation.region]?.database;
  const old = replaced === undefined ? 'the database it replaced' : replaced.kind === 'aurora-global' ? replaced.clusterArn : configuredIdentity(replaced).identifier;
  const protectedAgain = `${operation.identifier} in ${operation.region} replicates from the primary ${operation.sourceRegion}: the group is protected again.`;
  // A repointed server is the same server: the control plane keeps watching it, nothing is left to delete.
  const text =
    operation.method === 'repoint'
      ? protectedAgain
      : `${protectedAgain} The control plane now watches ${operation.identifier} for ${operation.region} and no longer ${old}: ` +
        `keep ${old} stopped or delete it once you no longer need its data.`;
  const topology: LiveTopology | undefined =
    operation.method === 'repoint'
      ? state.topology
      : {
          databases: {
            ...state.topology?.databases,
            [operation.region]: { identifier: operation.identifier, arn: operation.arn, generation: operation.generation, since: now, commandId: operation.id },
          },
        };
  return {
    state: { ...state, ...(topology === undefined ? {} : { topology }), reprotect: { ...operation, status: 'completed', completedAt: now, detail: 'available' } },
    events: [{ at: now, type: 'REPROTECTED', state: stateName(snapshot), message: text, detail: { commandId: operation.id, region: operation.region, identifier: operation.identifier } }],
    notifications: [
      notification(group, 'reprotected', 'info', `${operation.region} protects ${operation.sourceRegion} again`, text, {
        primaryRegion: operation.sourceRegion,
        region: operation.region,
        identifier: operation.identifier,
        key: `reprotected:${operation.id}`,
      }),
    ],
    action: `reprotect ${operation.region}: completed`,
  };
}

function failed(input: { group: GroupConfig; snapshot: FailoverSnapshot; state: TopologyState }, operation: ReprotectOperation, reason: string, now: EpochMs): TopologyEffects {
  const { group, snapshot, state } = input;
  const text = `reprotect ${operation.id} of ${operation.region} failed: ${reason}`;
  return {
    state: { ...state, reprotect: { ...operation, status: 'failed', completedAt: now, detail: reason.slice(0, 500) } },
    events: [{ at: now, type: 'REPROTECT_FAILED', state: stateName(snapshot), message: text, detail: { commandId: operation.id, region: operation.region } }],
    notifications: [
      notification(group, 'unprotected', 'warning', `reprotect of ${operation.region} failed`, text, {
        primaryRegion: operation.sourceRegion,
        region: operation.region,
        key: `reprotect-failed:${operation.id}`,
      }),
    ],
    action: `reprotect ${operation.region}: failed`,
  };
}

function notification(
  group: GroupConfig,
  type: 'unprotected' | 'reprotected',
  severity: Severity,
  subject: string,
  text: string,
  details: Readonly<Record<string, unknown>> & { key: string },
): Notification {
  const { key, ...rest } = details;
  return {
    groupId: group.id,
    environment: group.environment,
    type,
    severity,
    subject: notificationSubject(group, subject),
    text,
    details: rest,
    dedupeKey: `${group.id}:${key}`,
  };
}

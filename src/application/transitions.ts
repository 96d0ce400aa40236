import type { GroupConfig } from '../config/schema.js';
import { ACKNOWLEDGEMENT_RULE } from '../domain/acknowledgement.js';
import { notificationSubject } from '../domain/notification.js';
import type { FailoverRecord, LoggedEvent, Notification, NotificationType, Severity } from '../domain/types.js';
import { supersededFailover } from '../../state-machines/rules.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { operatorExits } from './commands.js';
import { stateName, type FailoverSnapshot } from './snapshot.js';

export type { FailoverSnapshot };
export { stateName };

/** A log line before it gets its group sequence number. */
export type EventDraft = Omit<LoggedEvent, 'seq' | 'groupId'>;

export interface TransitionEffects {
  readonly events: EventDraft[];
  readonly notifications: Notification[];
  /** The failover record when it changed in this transition. */
  readonly failover?: FailoverRecord;
  /** An in-progress record this transition replaced with another (`failover`), closed as aborted: save it too. */
  readonly closedFailover?: FailoverRecord;
}

const OPERATOR_EVENTS = new Set<FailoverEvent['type']>([
  'FAILOVER_REQUESTED',
  'SWITCHOVER_REQUESTED',
  'APPROVE',
  'REJECT',
  'ABORT',
  'RETRY',
  'PAUSE',
  'RESUME',
  'ACKNOWLEDGE',
]);

const STEP_RESULTS = new Set<FailoverEvent['type']>([
  'FLEET_SLOT_RESERVED',
  'FLEET_BRAKE_ENGAGED',
  'FENCED',
  'DRAINED',
  'LAG_OVER_BUDGET',
  'PROMOTION_STARTED',
  'PROMOTED',
  'TRAFFIC_SWITCHED',
  'DNS_IN_SYNC',
  'VERIFIED',
  'STEP_FAILED',
]);

function actorOf(event: FailoverEvent, failover: FailoverRecord | undefined): string | undefined {
  if ('principalArn' in event) return event.principalArn;
  if (failover === undefined) return undefined;
  return failover.trigger.kind === 'automatic' ? 'automatic' : `${failover.trigger.kind}:${failover.trigger.principalArn}`;
}

function describeEvent(event: FailoverEvent, after: FailoverSnapshot): string {
  const { failover } = after.context;
  const route = failover ? `${failover.from} → ${failover.to}` : '';
  switch (event.type) {
    case 'HEALTH': {
      const { assessment } = event;
      const why = assessment.primaryReasons?.length ? ` (${assessment.primaryReasons.join('; ')})` : '';
      return `primary ${assessment.primaryRegion} is ${assessment.primaryVerdict}${why}` +
        (assessment.candidate ? `; best candidate ${assessment.candidate.region} (lag ${assessment.candidate.replicaLagSeconds} s)` : '; no eligible candidate');
    }
    case 'FAILOVER_REQUESTED':
      return `operator requested failover to ${event.to}${event.allowDataLoss ? ' accepting data loss' : ''}: ${event.reason}`;
    case 'SWITCHOVER_REQUESTED':
      return `operator requested planned switchover to ${event.to}: ${event.reason}`;
    case 'FLEET_SLOT_RESERVED':
      return 'fleet brake checked: slot reserved';
    case 'FLEET_BRAKE_ENGAGED':
      return `fleet brake engaged: ${event.detail}`;
    case 'FENCED':
      return `old primary ${failover?.from ?? ''} fencing: ${event.outcome}`;
    case 'DRAINED':
      return `replica ${failover?.to ?? ''} caught up (lag 0)`;
    case 'LAG_OVER_BUDGET':
      return `promotion refused: ${event.detail}`;
    case 'PROMOTION_STARTED':
      return `promotion of ${failover?.to ?? ''} started (replica lag ${event.replicaLagSeconds === undefined ? 'unknown' : `${event.replicaLagSeconds} s`})`;
    case 'PROMOTED':
      return `${failover?.to ?? ''} is now a writable primary`;
    case 'TRAFFIC_SWITCHED':
      return event.changeId ? `DNS record switched ${route} (change ${event.changeId})` : `DNS record already pointed at ${failover?.to ?? ''}`;
    case 'DNS_IN_SYNC':
      return 'DNS change in sync on all Route 53 servers';
    case 'VERIFIED':
      return `verified: ${failover?.to ?? ''} is writable, serves traffic and passes its health checks`;
    case 'STEP_FAILED':
      return `step ${event.step} failed (${event.retryable ? 'retryable' : 'not retryable'}): ${event.error}`;
    case 'TICK':
      return 'time passed';
    case 'CONFIGURE':
      return 'configuration applied';
    default:
      return `${event.type.toLowerCase()} by ${event.principalArn}: ${event.reason}`;
  }
}

function notification(
  group: GroupConfig,
  type: NotificationType,
  severity: Severity,
  subject: string,
  text: string,
  after: FailoverSnapshot,
  key: string,
): Notification {
  const { context } = after;
  return {
    groupId: group.id,
    environment: group.environment,
    type,
    severity,
    subject: notificationSubject(group, subject),
    text,
    details: {
      state: stateName(after),
      primaryRegion: context.primaryRegion,
      failover: context.failover,
      blocked: context.blocked,
      stalled: context.stalled,
      assessment: context.assessment,
    },
    dedupeKey: key,
  };
}

function notificationsFor(group: GroupConfig, before: FailoverSnapshot, after: FailoverSnapshot): Notification[] {
  const wasIn = (state: string) => before.matches(state as never);
  const isIn = (state: string) => after.matches(state as never);
  const { context } = after;
  const failover = context.failover;
  const key = (suffix: string) => `${group.id}:${failover?.id ?? 'none'}:${suffix}:${context.now}`;
  const route = failover ? `${failover.from} → ${failover.to}` : '';
  const out: Notification[] = [];

  const newFailover = failover !== undefined && before.context.failover?.id !== failover.id;
  if (isIn('failingOver') && failover && (newFailover || (!wasIn('failingOver') && !wasIn('stalled')))) {
    out.push(notification(group, 'failover-started', 'critical', `failover started ${route}`,
      `Failover ${failover.id} started: ${route}.\nTrigger: ${failover.trigger.kind}. Reason: ${failover.reason}.\n` +
      `Planned: ${failover.planned ? 'yes (no data loss)' : 'no'}. Data loss allowed: ${failover.allowDataLoss ? 'yes' : 'no'}.`,
      after, key('started')));
  }
  if (isIn('awaitingApproval') && !wasIn('awaitingApproval') && failover) {
    out.push(notification(group, 'awaiting-approval', 'critical', `approval needed: fail over ${route}`,
      `Primary ${failover.from} is down. The control plane proposes failover ${failover.id} to ${failover.to}.\n` +
      `Approve: fcp approve ${group.id} --reason "..."   Reject: fcp reject ${group.id} --reason "..."`,
      after, key('approval')));
  }
  if (isIn('blocked') && !wasIn('blocked') && context.blocked) {
    out.push(notification(group, 'failover-blocked', 'critical', `failover blocked: ${context.blocked.reason}`,
      `Primary ${context.primaryRegion} is ${context.assessment?.primaryVerdict ?? 'unknown'} and automatic failover is blocked ` +
      `(${context.blocked.reason}): ${context.blocked.detail}.\nForce it with: fcp failover ${group.id} --to <region> --reason "..." [--allow-data-loss]`,
      after, key('blocked')));
  }
  if (isIn('stalled') && !wasIn('stalled') && context.stalled) {
    out.push(notification(group, 'failover-stalled', 'critical', `failover stalled at ${context.stalled.step}`,
      `Failover ${failover?.id ?? ''} (${route}) stalled at step ${context.stalled.step}: ${context.stalled.reason}.\n` +
      operatorExits(group, after).map((exit) => `${exit.command}   (${exit.effect})`).join('\n'),
      after, key('stalled')));
  }
  if (isIn('failedOver') && !wasIn('failedOver') && failover?.outcome === 'completed') {
    const rto = failover.rtoMs === undefined ? 'unknown' : `${(failover.rtoMs / 1000).toFixed(1)} s`;
    out.push(notification(group, 'failover-completed', 'warning', `failover completed ${route} (RTO ${rto})`,
      `Failover ${failover.id} completed: ${failover.to} is the primary and receives traffic.\nRTO: ${rto}. ` +
      `Replica lag at promotion (data-loss window): ${failover.replicaLagAtPromotionSeconds ?? 'unknown'} s.\n` +
      `The rule: ${ACKNOWLEDGEMENT_RULE}.\nAcknowledge: fcp ack ${group.id} --reason "..."`,
      after, key('completed')));
  }
  if (isIn('monitoring') && failover && (failover.outcome === 'aborted' || failover.outcome === 'rejected') &&
      (wasIn('failingOver') || wasIn('stalled') || wasIn('awaitingApproval'))) {
    out.push(notification(group, 'failover-aborted', 'warning', `failover ${failover.outcome} ${route}`,
      `Failover ${failover.id} (${route}) was ${failover.outcome}. ${context.primaryRegion} remains the primary.` +
        (failover.fenceOutcome === 'fenced'
          ? `\n${failover.from} was fenced during the attempt and stays fenced: it takes no writes until you undo the fence by hand (restart it, or restore its parameter group).`
          : ''),
      after, key(failover.outcome)));
  }
  if (isIn('paused') && !wasIn('paused') && context.paused) {
    out.push(notification(group, 'paused', 'info', 'automatic failover paused',
      `Paused by ${context.paused.principalArn}: ${context.paused.reason}. Manual commands still work.`, after, key('paused')));
  }
  if (wasIn('paused') && !isIn('paused')) {
    out.push(notification(group, 'resumed', 'info', 'automatic failover resumed', `State now ${stateName(after)}.`, after, key('resumed')));
  }
  return out;
}

/**
 * What one machine transition means to people: the log lines to append and the notifications to send.
 * Pure; the executor saves them with the state (outbox) and delivers them after the save.
 *
 * @example
 * const { events, notifications } = describeTransition(group, before, after, event);
 */
export function describeTransition(
  group: GroupConfig,
  before: FailoverSnapshot,
  after: FailoverSnapshot,
  event: FailoverEvent,
): TransitionEffects {
  const stateBefore = stateName(before);
  const stateAfter = stateName(after);
  const changed = stateBefore !== stateAfter;
  const events: EventDraft[] = [];
  const failover = after.context.failover;
  if (changed || OPERATOR_EVENTS.has(event.type) || STEP_RESULTS.has(event.type)) {
    events.push({
      at: event.at,
      type: event.type,
      state: stateAfter,
      failoverId: failover?.id,
      actor: actorOf(event, failover),
      message: changed ? `${describeEvent(event, after)} (${stateBefore} → ${stateAfter})` : describeEvent(event, after),
    });
  }
  const failoverChanged = JSON.stringify(before.context.failover) !== JSON.stringify(failover);
  const closedFailover = supersededFailover(before.context.failover, failover, event.at);
  if (closedFailover !== undefined) {
    events.push({
      at: event.at,
      type: 'FAILOVER_SUPERSEDED',
      state: stateAfter,
      failoverId: closedFailover.id,
      actor: actorOf(event, failover),
      message: `failover ${closedFailover.id} (${closedFailover.from} → ${closedFailover.to}) closed as aborted: ${closedFailover.endReason ?? ''}`,
    });
  }
  return {
    events,
    notifications: notificationsFor(group, before, after),
    failover: failoverChanged ? failover : undefined,
    ...(closedFailover === undefined ? {} : { closedFailover }),
  };
}

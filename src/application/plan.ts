import { transition } from 'xstate';
import type { GroupConfig } from '../config/schema.js';
import { assessGroup } from '../domain/assessment.js';
import type {
  Assessment,
  EpochMs,
  FailoverRecord,
  FailoverStep,
  NotificationType,
  RegionHealth,
  RegionName,
} from '../domain/types.js';
import { protectionOf, withLiveTopology, type Protection } from '../domain/liveTopology.js';
import { evaluateGroup } from '../domain/verdicts.js';
import { lagWithinBudget } from '../domain/replicaLag.js';
import type { OperatorCommand } from '../ports/CommandQueue.js';
import type { GroupRecord } from '../ports/StateStore.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { ACKNOWLEDGEMENT_RULE } from '../domain/acknowledgement.js';
import { decideCommand, operatorExits, targetLag, type CommandDecision, type OperatorExit } from './commands.js';
import { decideReprotect, topologyStateOf } from './reprotect.js';
import type { ExecutorDeps } from './executor.js';
import { machineSettingsFor } from './settings.js';
import { describeTransition, stateName, type FailoverSnapshot } from './transitions.js';

/** The failover id a dry run shows: the real one is made when the executor starts the failover. */
export const PLANNED_FAILOVER_ID = '(assigned when it starts)';

import { trafficSwitchWarnings } from '../domain/trafficSwitch.js';
import { restoreSnapshot } from './snapshot.js';
import { groupReports } from './observerReports.js';

export { restoreSnapshot };

/** What the next executor run would see: the saved state, fresh health, and the machine after observing it. */
export interface LookAhead {
  readonly record: GroupRecord | undefined;
  readonly saved: FailoverSnapshot;
  readonly health: Readonly<Record<RegionName, RegionHealth>>;
  readonly assessment: Assessment;
  /** The machine after CONFIGURE and HEALTH, exactly as the executor feeds them; nothing is saved. */
  readonly observed: FailoverSnapshot;
  readonly events: readonly string[];
  readonly notifications: readonly NotificationType[];
}

/**
 * Runs the executor's observation purely: restore, evaluate the latest observer reports, assess, and transition the
 * machine with `transition()` from xstate. Reads the stores; writes nothing, takes no lease, makes no id.
 *
 * @example
 * const ahead = await lookAhead(deps, group);
 * stateName(ahead.observed); // 'failingOver.reserving' when the primary is confirmed down
 */
export async function lookAhead(deps: ExecutorDeps, group: GroupConfig): Promise<LookAhead> {
  const now = deps.clock.now();
  const record = await deps.stateStore.load(group.id);
  const saved = restoreSnapshot(record, group, now);
  const configure: FailoverEvent = { type: 'CONFIGURE', at: now, settings: machineSettingsFor(group) };
  const [configured] = transition(failoverMachine, saved, configure);
  const health = evaluateGroup({
    group,
    previous: record?.health ?? {},
    reports: await groupReports(deps.observations, group),
    observerRegions: deps.config.fleet.observerRegions,
    now,
  });
  const assessment = assessGroup({
    group,
    health,
    primaryRegion: configured.context.primaryRegion,
    now,
    proposedFailoverId: PLANNED_FAILOVER_ID,
  });
  const healthEvent: FailoverEvent = { type: 'HEALTH', at: now, assessment };
  const [observed] = transition(failoverMachine, configured, healthEvent);
  const effects = [
    describeTransition(group, saved, configured, configure),
    describeTransition(group, configured, observed, healthEvent),
  ];
  return {
    record,
    saved,
    health,
    assessment,
    observed,
    events: effects.flatMap((effect) => effect.events.map((event) => event.message)),
    notifications: effects.flatMap((effect) => effect.notifications.map((notification) => notification.type)),
  };
}

export interface PlannedStep {
  readonly step: FailoverStep;
  readonly action: string;
}

/** What one failover will do, step by step, for the people who must approve it. */
export interface FailoverPreview {
  readonly id: string;
  readonly from: RegionName;
  readonly to: RegionName;
  readonly planned: boolean;
  readonly allowDataLoss: boolean;
  readonly expectedDataLoss: DataLoss;
  readonly steps: readonly PlannedStep[];
}

export interface DataLoss {
  /** Replica lag of the target: the writes that may be lost. Zero for a planned switchover; absent when unknown. */
  readonly seconds?: number;
  readonly text: string;
}

/**
 * The data-loss window of failing over to a replica `lagSeconds` behind.
 *
 * @example
 * expectedDataLoss({ planned: false, lagSeconds: 4 }).text; // 'up to 4 s of writes (the replica lag of the target)'
 */
export function expectedDataLoss(input: { planned: boolean; lagSeconds: number | undefined }): DataLoss {
  if (input.planned) return { seconds: 0, text: 'none: writes are fenced and the replica catches up before promotion' };
  if (input.lagSeconds === undefined) return { text: 'unknown: the replica lag of the target is not known' };
  return { seconds: input.lagSeconds, text: `up to ${input.lagSeconds} s of writes (the replica lag of the target)` };
}

/**
 * The steps the executor will perform for `failover`, in order, in words naming the resources.
 *
 * @example
 * failoverSteps(group, { from: 'eu-west-1', to: 'us-east-1', planned: false, automatic: false }).map((s) => s.step);
 * // ['fencing', 'promoting', 'awaitingPromotion', 'switchingTraffic', 'awaitingDnsSync', 'verifying']
 */
export function failoverSteps(
  group: GroupConfig,
  failover: { from: RegionName; to: RegionName; planned: boolean; automatic: boolean },
): PlannedStep[] {
  const { policy, dns } = group;
  const target = group.regions[failover.to];
  const database = target?.database;
  const replica =
    database === undefined
      ? failover.to
      : database.kind === 'rds-instance'
        ? database.instanceId
        : database.kind === 'aurora-global'
          ? `${database.globalClusterId} (${failover.to})`
          : `the postgres server of ${failover.to}`;
  const dnsTarget = target?.dnsTarget.type === 'CNAME' ? target.dnsTarget.value : target?.dnsTarget.aliasDnsName;
  const seconds = policy.stepTimeouts;
  const steps: PlannedStep[] = [];
  if (failover.automatic) {
    steps.push({ step: 'reserving', action: 'reserve a slot under the fleet brake (too many automatic failovers across the fleet stop here)' });
  }
  steps.push({
    step: 'fencing',
    action:
      policy.fencing === 'none'
        ? `no fencing (policy.fencing: none): the old primary ${failover.from} is left as it is`
        : `fence the old primary ${failover.from} (${policy.fencing})${failover.planned ? '; must succeed' : ', best effort: it may be unreachable'}`,
  });
  if (failover.planned && (database?.kind === 'rds-instance' || database?.kind === 'postgres')) {
    steps.push({ step: 'draining', action: `wait until ${replica} has replayed every write (replica lag 0, up to ${seconds.drainingSeconds} s)` });
  }
  steps.push({
    step: 'promoting',
    action: `promote ${replica} in ${failover.to} to a writable primary${failover.planned ? '' : ' unless its lag is over the budget and data loss was not accepted'}`,
  });
  steps.push({ step: 'awaitingPromotion', action: `wait until ${failover.to} accepts writes (up to ${seconds.promotionSeconds} s)` });
  steps.push({ step: 'switchingTraffic', action: `point ${dns.recordName} (${dns.type}) at ${dnsTarget ?? failover.to}` });
  steps.push({ step: 'awaitingDnsSync', action: `wait until the Route 53 change is in sync (up to ${seconds.dnsSyncSeconds} s; clients follow within the ${dns.ttlSeconds} s TTL)` });
  steps.push({ step: 'verifying', action: `check ${failover.to} is writable, receives the record and passes its health checks` });
  return steps;
}

/** A failover record as the operator needs to judge it: route, data-loss window (from a fresh lag only), steps. */
export function previewFailover(
  group: GroupConfig,
  failover: FailoverRecord,
  health: Readonly<Record<RegionName, RegionHealth>>,
  now: EpochMs,
): FailoverPreview {
  const lagSeconds = failover.replicaLagAtPromotionSeconds ?? targetLag(group, health[failover.to], now, health[failover.from]);
  return {
    id: failover.id,
    from: failover.from,
    to: failover.to,
    planned: failover.planned,
    allowDataLoss: failover.allowDataLoss,
    expectedDataLoss: expectedDataLoss({ planned: failover.planned, lagSeconds }),
    steps: failoverSteps(group, { from: failover.from, to: failover.to, planned: failover.planned, automatic: failover.trigger.kind === 'automatic' }),
  };
}

/** What a command would do if it were sent now. */
export interface CommandPreview {
  readonly type: OperatorCommand['type'];
  readonly decision: CommandDecision['kind'];
  /** The executor's summary when accepted; the reason (and what to do) when not. */
  readonly message: string;
  readonly stateAfter?: string;
  readonly failover?: FailoverPreview;
  /** For a failover refused because of replica lag: the window the operator would accept with allowDataLoss. */
  readonly dataLoss?: DataLoss & { readonly accept: string };
}

/** The answer of a dry run. */
export interface GroupPlan {
  readonly groupId: string;
  readonly at: EpochMs;
  readonly primaryRegion: RegionName;
  readonly state: string;
  readonly stateAfter: string;
  /** One sentence: what the control plane would do right now, and why. */
  readonly summary: string;
  readonly assessment: {
    readonly primaryVerdict: Assessment['primaryVerdict'];
    readonly primaryVerdictSince: EpochMs;
    readonly candidate?: Assessment['candidate'];
    readonly ineligible: Assessment['ineligible'];
    readonly noCandidateReason?: Assessment['noCandidateReason'];
  };
  readonly health: Readonly<Record<RegionName, { verdict: RegionHealth['verdict']; replicaLagSeconds?: number; reasons: readonly string[] }>>;
  /** Log lines the next run would write. */
  readonly events: readonly string[];
  readonly notifications: readonly NotificationType[];
  /** The failover that would start, or is in progress. */
  readonly failover?: FailoverPreview;
  readonly command?: CommandPreview;
  /** The commands that would move the group on from where it is now, and what each would do. */
  readonly exits: readonly OperatorExit[];
  /** Which regions replicate from the primary; `unprotected` says how to fix it. */
  readonly protection: Protection;
  /** What the operator should know about the group's setup (e.g. a traffic switch that needs the Route 53 control plane). */
  readonly warnings?: readonly string[];
}

/**
 * Decides `command` against what the executor would see now, without enqueueing it: the same `decideCommand`
 * the executor runs, on the machine after observation.
 *
 * @example
 * const preview = previewCommand(group, ahead, command);
 * preview.decision; // 'refused' when the target's lag is over budget and data loss was not accepted
 */
export function previewCommand(group: GroupConfig, ahead: LookAhead, command: OperatorCommand): CommandPreview {
  if (command.type === 'reprotect') {
    const state = topologyStateOf(ahead.record);
    const reprotect = decideReprotect({ group, snapshot: ahead.observed, health: ahead.health, command, state, now: ahead.assessment.at });
    const message = reprotect.kind === 'accept' ? reprotect.summary : reprotect.reason;
    return { type: command.type, decision: reprotect.kind, message, ...(reprotect.kind === 'accept' ? { stateAfter: stateName(ahead.observed) } : {}) };
  }
  const decision = decideCommand({
    group,
    snapshot: ahead.observed,
    health: ahead.health,
    command,
    failoverId: PLANNED_FAILOVER_ID,
    now: ahead.assessment.at,
  });
  if (decision.kind !== 'accept') {
    return { type: command.type, decision: decision.kind, message: decision.reason, dataLoss: dataLossHint(group, ahead, command) };
  }
  const [after] = transition(failoverMachine, ahead.observed, decision.event);
  const started = (command.type === 'failover' || command.type === 'switchover') && after.context.failover !== undefined;
  return {
    type: command.type,
    decision: 'accept',
    message: decision.summary,
    stateAfter: stateName(after),
    failover: started ? previewFailover(withLiveTopology(group, ahead.record?.topology), after.context.failover!, ahead.health, ahead.assessment.at) : undefined,
  };
}

function dataLossHint(group: GroupConfig, ahead: LookAhead, command: OperatorCommand): CommandPreview['dataLoss'] {
  if (command.type !== 'failover' || command.allowDataLoss === true) return undefined;
  const target = command.targetRegion;
  if (target === undefined || group.regions[target] === undefined || target === ahead.observed.context.primaryRegion) return undefined;
  const lag = targetLag(group, ahead.health[target], ahead.assessment.at, ahead.health[ahead.observed.context.primaryRegion]);
  if (lagWithinBudget(lag, group.policy.maxReplicaLagSeconds)) return undefined;
  return {
    ...expectedDataLoss({ planned: false, lagSeconds: lag }),
    accept: `fcp failover ${group.id} --to ${target} --allow-data-loss --reason "<why losing these writes is acceptable>"`,
  };
}

/**
 * The dry run: what the control plane would do for `group` right now and why, optionally with what `command`
 * would do. Nothing is saved, enqueued or performed.
 *
 * @example
 * const plan = await planGroup(deps, group);
 * plan.summary; // 'would start an automatic failover eu-west-1 → us-east-1: primary eu-west-1 is unhealthy ...'
 */
export async function planGroup(deps: ExecutorDeps, group: GroupConfig, command?: OperatorCommand): Promise<GroupPlan> {
  const ahead = await lookAhead(deps, group);
  const { saved, observed, assessment } = ahead;
  const failover = observed.context.failover;
  const active = failover !== undefined && failover.outcome === 'in-progress';
  return {
    groupId: group.id,
    at: assessment.at,
    primaryRegion: observed.context.primaryRegion,
    state: stateName(saved),
    stateAfter: stateName(observed),
    summary: summarise(group, ahead),
    assessment: {
      primaryVerdict: assessment.primaryVerdict,
      primaryVerdictSince: assessment.primaryVerdictSince,
      candidate: assessment.candidate,
      ineligible: assessment.ineligible,
      noCandidateReason: assessment.noCandidateReason,
    },
    health: Object.fromEntries(
      Object.entries(ahead.health).map(([region, health]) => [
        region,
        { verdict: health.verdict, replicaLagSeconds: health.replicaLagSeconds, reasons: health.reasons },
      ]),
    ),
    events: ahead.events,
    notifications: ahead.notifications,
    failover: active ? previewFailover(withLiveTopology(group, ahead.record?.topology), failover, ahead.health, assessment.at) : undefined,
    command: command === undefined ? undefined : previewCommand(group, ahead, command),
    exits: operatorExits(group, observed, ahead.health, assessment.at),
    protection: protectionOf(ahead.health, observed.context.primaryRegion, group.id),
    warnings: trafficSwitchWarnings(group),
  };
}

function summarise(group: GroupConfig, ahead: LookAhead): string {
  const { saved, observed, assessment } = ahead;
  const { context } = observed;
  const failover = context.failover;
  const route = failover ? `${failover.from} → ${failover.to}` : '';
  const primary = `primary ${assessment.primaryRegion} is ${assessment.primaryVerdict}`;
  const startedNow = !saved.matches('failingOver') && !saved.matches('stalled');
  if (observed.matches('failingOver')) {
    const step = context.step?.name;
    return startedNow
      ? `would start ${failover?.trigger.kind === 'automatic' ? 'an automatic' : 'a'} failover ${route} (${primary}); first step: ${step ?? 'reserving'}`
      : `failover ${failover?.id ?? ''} ${route} is in progress at step ${step ?? 'unknown'}; the executor continues it`;
  }
  if (observed.matches('awaitingApproval')) {
    return `${primary}: ${saved.matches('awaitingApproval') ? 'waiting' : 'would ask'} for an operator's approval to fail over ${route} (fcp approve ${group.id} or fcp reject ${group.id})`;
  }
  if (observed.matches('blocked')) {
    return `${primary} but automatic failover is blocked (${context.blocked?.reason ?? 'unknown'}): ${context.blocked?.detail ?? ''}`;
  }
  if (observed.matches('stalled')) {
    const exits = operatorExits(group, observed, ahead.health, assessment.at).map((exit) => exit.command.replace(/ --reason "\.\.\."$/, ''));
    return `failover ${failover?.id ?? ''} ${route} is stalled at step ${context.stalled?.step ?? 'unknown'}: ${context.stalled?.reason ?? ''}; ways on: ${exits.join(' | ')}`;
  }
  if (observed.matches('failedOver')) {
    return `failed over ${route}; ${ACKNOWLEDGEMENT_RULE} (fcp ack ${group.id})`;
  }
  if (observed.matches('paused')) {
    return `automatic failover is paused by ${context.paused?.principalArn ?? 'an operator'} (${context.paused?.reason ?? ''}); ${primary}`;
  }
  return `nothing to do: ${primary}${assessment.candidate ? `; best candidate ${assessment.candidate.region} (lag ${assessment.candidate.replicaLagSeconds} s)` : ''}`;
}

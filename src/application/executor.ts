import type { GroupConfig } from '../config/schema.js';
import { assessGroup } from '../domain/assessment.js';
import { ControlPlaneCutOffError, LeaseHeldError, StaleStateError } from '../domain/errors.js';
import type { EpochMs, FailoverRecord, FailoverStep, LoggedEvent, Notification, RegionHealth, RegionName, Verdict } from '../domain/types.js';
import { evaluateGroup } from '../domain/verdicts.js';
import { notificationSubject } from '../domain/notification.js';
import type { CommandQueue, StoredCommand } from '../ports/CommandQueue.js';
import { releasesFleetSlot } from '../domain/fleetBrake.js';
import { expectedWriter, splitBrainEpisodes, suspectedWriters, writerEvidence, type SplitBrainAlarm, type SplitBrainEpisodes, type WriterEvidence } from '../domain/splitBrain.js';
import { primaryTakesNoWrites, stalledOutage, type StalledOutage } from '../domain/stall.js';
import { effectBudgetMs, LEASE_TTL_MS, leaseAllowsEffects, SAFETY_MARGIN_MS, STATE_REFRESH_MS } from '../domain/timing.js';
import { isLook, LOOK_INTERVAL_MS, lookScopes, STEP_RETRY_BACKOFF } from '../domain/lookCadence.js';
import type { EffectOptions } from '../ports/EffectOptions.js';
import type { DatabaseState } from '../ports/Database.js';
import type { EventLog } from '../ports/EventLog.js';
import type { Notifier } from '../ports/Notifier.js';
import type { ObservationStore } from '../ports/ObservationStore.js';
import type { CommandOutcome, GroupRecord, Lease, NewGroupRecord, Outbox, StateStore } from '../ports/StateStore.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { MACHINE_VERSION, type FailoverEvent } from '../../state-machines/types.js';
import { storedCommandIssues, excerpt } from './commandRules.js';
import { decideCommand, type CommandDecision } from './commands.js';
import { groupReports, type HeartbeatSource } from './observerReports.js';
import { withLiveTopology } from '../domain/liveTopology.js';
import { advanceReprotect, decideReprotect, reprotectInProgress, topologyChanged, topologyStateOf, watchProtection, withTopologyState, type TopologyEffects, type TopologyState } from './reprotect.js';
import { LookBudget } from './lookBudget.js';
import { decisiveHealth, decisiveSnapshot, sameStored } from './materialChange.js';
import { machineSettingsFor } from './settings.js';
import { performStep, type StepPorts } from './steps.js';
import { nextSnapshot, restoreSnapshot } from './snapshot.js';
import { describeTransition, stateName, type FailoverSnapshot } from './transitions.js';

export interface ExecutorLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface PollingPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export interface ExecutorDeps extends StepPorts {
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly observations: ObservationStore;
  readonly commands: CommandQueue;
  readonly notifier: Notifier;
  readonly logger?: ExecutorLogger;
  /** Makes failover ids; random by default. */
  readonly newId?: () => string;
  readonly leaseTtlMs?: number;
  /**
   * Backoff while a step waits (promotion, DNS sync), from one look's start to the next, and between the retries of a
   * failed step, in clock time. Default: a look every `LOOK_INTERVAL_MS`, retries after `STEP_RETRY_BACKOFF`.
   */
  readonly polling?: PollingPolicy;
  /**
   * The provider API budget the looks of every executor in this process share (see `LookBudget`); without it, each
   * run keeps its own looks within the limits.
   */
  readonly looks?: LookBudget;
  /**
   * Stop this long before the deadline so the last save lands inside the invocation, and end every effect this long
   * before the lease ends. Default `SAFETY_MARGIN_MS`.
   */
  readonly safetyMarginMs?: number;
}

export type GroupResult = 'idle' | 'acted' | 'waiting' | 'lease-held' | 'stale';

/** A region whose verdict this invocation's evaluation changed; `from` is `unknown` for a region never evaluated. */
export interface VerdictChange {
  readonly region: RegionName;
  readonly from: Verdict;
  readonly to: Verdict;
}

export interface GroupOutcome {
  readonly groupId: string;
  readonly result: GroupResult;
  readonly state: string;
  /** Step results and commands fed to the machine in this invocation, in order. */
  readonly actions: readonly string[];
  readonly failover?: FailoverRecord;
  readonly waitingFor?: string;
  readonly message?: string;
  readonly notificationFailures: number;
  /** Verdicts this invocation changed and saved; absent when none changed. */
  readonly verdictChanges?: readonly VerdictChange[];
}

/**
 * How often a waiting step looks again (a promotion, DNS INSYNC, a drain), start to start: every `LOOK_INTERVAL_MS`,
 * or less often when the process's looks share the provider's rate limit with other groups (`LookBudget`). A look that
 * comes late adds its lateness to the RTO. The SDK waiters poll every 30 s by default.
 */
const DEFAULT_LOOKS: PollingPolicy = { initialMs: LOOK_INTERVAL_MS, maxMs: LOOK_INTERVAL_MS, factor: 1 };
const MAX_REMEMBERED_COMMANDS = 100;

/** What becomes of one queued command: a cancel is accepted without moving the machine. */
type Decision =
  | CommandDecision
  | { readonly kind: 'accept'; readonly summary: string; readonly event?: undefined; readonly effects?: TopologyEffects };

/** The step the executor must perform, when the machine is failing over. */
function currentStep(snapshot: FailoverSnapshot): FailoverStep | undefined {
  return snapshot.matches('failingOver') ? snapshot.context.step?.name : undefined;
}

function defaultId(): string {
  return `fo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}


/** A fresh record for a group that has never been reconciled. */
export function initialRecord(group: GroupConfig, now: EpochMs): NewGroupRecord {
  return {
    groupId: group.id,
    machineVersion: MACHINE_VERSION,
    snapshot: null,
    health: {},
    outbox: { events: [], notifications: [] },
    nextEventSeq: 1,
    processedCommandIds: [],
    updatedAt: now,
  };
}

function isEmpty(outbox: Outbox): boolean {
  return (
    outbox.events.length === 0 &&
    outbox.notifications.length === 0 &&
    (outbox.failovers?.length ?? 0) === 0 &&
    (outbox.commandOutcomes?.length ?? 0) === 0
  );
}

/**
 * One executor's hold on one group for one invocation: the last saved record, the machine snapshot in memory,
 * and what the next save must carry. Every change goes machine → outbox → compare-and-set save → delivery.
 */
class GroupSession {
  private snapshot: FailoverSnapshot;
  private health: Record<string, RegionHealth>;
  private splitBrain: SplitBrainEpisodes;
  private splitBrainConfirmed: string[];
  private splitBrainPaused: string[];
  private stalledOutage: StalledOutage | undefined;
  private drafts: Omit<LoggedEvent, 'groupId' | 'seq'>[] = [];
  private notifications: Notification[] = [];
  private failovers = new Map<string, FailoverRecord>();
  private commandOutcomes: CommandOutcome[] = [];
  private processed: string[];
  private topology: TopologyState;
  private deliveredOutbox = false;
  /**
   * True once this session knows the record it loaded is the current one under its lease: the lease was already
   * ours when the record was read, a save under the lease succeeded, or a reload after taking the lease matched.
   * No side effect runs before it is true.
   */
  private confirmed: boolean;
  readonly actions: string[] = [];
  readonly verdictChanges: VerdictChange[] = [];
  notificationFailures = 0;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly group: GroupConfig,
    private record: GroupRecord,
    private readonly owner: string,
    /** Undefined until the session needs the lease: a pass that changes nothing never takes it. */
    private lease: Lease | undefined,
    /** The observers' heartbeats, shared by a pass's groups (one read per shard), or read for this group alone. */
    private readonly heartbeats?: HeartbeatSource,
  ) {
    this.confirmed = lease !== undefined;
    this.snapshot = restoreSnapshot(record, group, deps.clock.now());
    this.health = { ...record.health };
    this.splitBrain = { ...record.splitBrain };
    // A record saved before the field existed: its open episodes were told as two writers already.
    this.splitBrainConfirmed = [...(record.splitBrainConfirmed ?? Object.keys(record.splitBrain ?? {}))];
    this.splitBrainPaused = [...(record.splitBrainPaused ?? [])];
    this.stalledOutage = record.stalledOutage;
    this.processed = [...record.processedCommandIds];
    this.topology = topologyStateOf(record);
  }

  get state(): FailoverSnapshot {
    return this.snapshot;
  }

  apply(event: FailoverEvent): void {
    const before = this.snapshot;
    const after = nextSnapshot(before, event);
    const effects = describeTransition(this.group, before, after, event);
    this.drafts.push(...effects.events);
    this.notifications.push(...effects.notifications);
    if (effects.failover) this.failovers.set(effects.failover.id, effects.failover);
    if (effects.closedFailover) this.failovers.set(effects.closedFailover.id, effects.closedFailover);
    this.snapshot = after;
    this.tellStalledOutage(event.at);
  }

  /** Feeds the latest observer reports and the group's configuration. */
  async observe(): Promise<void> {
    const now = this.deps.clock.now();
    this.apply({ type: 'CONFIGURE', at: now, settings: machineSettingsFor(this.group) });
    await this.readHealth(now);
    const assessment = assessGroup({
      group: this.group,
      health: this.health,
      primaryRegion: this.snapshot.context.primaryRegion,
      now,
      proposedFailoverId: (this.deps.newId ?? defaultId)(),
    });
    this.apply({ type: 'HEALTH', at: now, assessment });
    await this.raiseSplitBrainRisk(now);
    this.absorb(watchProtection({ group: this.group, health: this.health, snapshot: this.snapshot, state: this.topology, now }));
  }

  /**
   * Between the polls of a long wait (a promotion, DNS) inside one invocation: the latest reports, checked for a second
   * writer only, as the next pass would. The machine is not fed: the step in progress decides its own way on.
   */
  async watchWriters(): Promise<void> {
    const now = this.deps.clock.now();
    await this.readHealth(now);
    await this.raiseSplitBrainRisk(now);
  }

  private async readHealth(now: EpochMs): Promise<void> {
    const reports = await groupReports(this.deps.observations, this.group, this.heartbeats);
    const previous = this.health;
    this.health = evaluateGroup({
      group: this.group,
      previous,
      reports,
      observerRegions: this.deps.config.fleet.observerRegions,
      now,
    });
    for (const [region, health] of Object.entries(this.health)) {
      const from = previous[region]?.verdict ?? 'unknown';
      if (from !== health.verdict) this.verdictChanges.push({ region, from, to: health.verdict });
    }
  }

  /** Takes the reprotect module's answer (src/application/reprotect.ts) into the next save. */
  absorb(effects: TopologyEffects | undefined): void {
    if (effects === undefined) return;
    this.topology = effects.state;
    this.drafts.push(...effects.events);
    this.notifications.push(...effects.notifications);
    if (effects.action !== undefined) this.actions.push(effects.action);
  }

  /** One step of a reprotect in progress, while the machine rests. */
  async advanceReprotect(): Promise<void> {
    // Creating a replica is a side effect: it runs only while this executor holds the lease for its worst case.
    if (reprotectInProgress(this.topology.reprotect)) await this.holdLeaseForEffect();
    this.absorb(await advanceReprotect(this.deps, { group: this.group, snapshot: this.snapshot, state: this.topology }));
  }

  /**
   * Two writers is the worst outcome there is: say so loudly (`splitBrainEpisodes`), for any region other than the
   * one that may write whose fresh health reports a writer role. Every suspect is checked with the provider: one it
   * reports fenced, failed, stopped or a replica opens no episode; one it cannot answer for opens an episode whose alarm
   * says it could not be verified not writing; and an open episode whose suspect the provider then answers for as a
   * writable writer is told again, as confirmed.
   */
  private async raiseSplitBrainRisk(now: EpochMs): Promise<void> {
    const { context } = this.snapshot;
    const view = expectedWriter({
      primaryRegion: context.primaryRegion,
      failover: context.failover,
      failingOver: this.snapshot.matches('failingOver') || this.snapshot.matches('stalled'),
      observers: { regions: this.deps.config.fleet.observerRegions, quorum: this.group.policy.observerQuorum },
    });
    const evidence = new Map<string, WriterEvidence>();
    const answeredRoles = new Map<string, string>();
    const answeredStatuses = new Map<string, string>();
    for (const region of suspectedWriters(this.health, view)) {
      const answer = await this.providerAnswer(region);
      evidence.set(region, writerEvidence(answer));
      if (answer !== undefined && answer.role !== 'unknown') answeredRoles.set(region, answer.role);
      if (answer !== undefined) answeredStatuses.set(region, answer.status);
    }
    const result = splitBrainEpisodes({
      health: this.health,
      view,
      open: this.splitBrain,
      confirmed: this.splitBrainConfirmed,
      paused: this.splitBrainPaused,
      now,
      evidence,
    });
    this.splitBrain = result.open;
    this.splitBrainConfirmed = result.confirmed;
    this.splitBrainPaused = result.paused;
    for (const alarm of result.alarms) {
      this.tellSplitBrain(alarm, answeredRoles.get(alarm.region) ?? this.health[alarm.region]?.databaseRole, answeredStatuses.get(alarm.region), view.writer, now);
    }
  }

  /**
   * A stalled failover waits for a person: when its primary stops taking writes during the stall (the interrupted
   * promotion completed and demoted it, or it failed), say so once (`stalledOutage`), with the way out.
   */
  private tellStalledOutage(now: EpochMs): void {
    const { context } = this.snapshot;
    const stalled = this.snapshot.matches('stalled') ? context.stalled : undefined;
    const primary = context.primaryRegion;
    const outage = stalled === undefined ? undefined : primaryTakesNoWrites(this.health[primary], this.group.policy.observerQuorum);
    const { next, tell } = stalledOutage({ stalledAt: stalled?.at, previous: this.stalledOutage, outage, now });
    this.stalledOutage = next;
    if (!tell || stalled === undefined || outage === undefined) return;
    const failover = context.failover;
    const route = failover === undefined ? '' : ` (${failover.from} → ${failover.to})`;
    const text =
      `Failover ${failover?.id ?? ''}${route} has been stalled at step ${stalled.step} since ${new Date(stalled.at).toISOString()} ` +
      `(${stalled.reason}), and the primary ${primary} now takes no writes: ${outage}. Nothing moves until someone acts: ` +
      `retry the step (fcp retry ${this.group.id}), or start a new failover that accepts the data loss ` +
      `(fcp failover ${this.group.id} --to <region> --allow-data-loss).`;
    const detail = { primaryRegion: primary, step: stalled.step, stalledAt: stalled.at, outage };
    this.drafts.push({ at: now, type: 'PRIMARY_TAKES_NO_WRITES', state: stateName(this.snapshot), message: text, detail });
    this.notifications.push({
      groupId: this.group.id,
      environment: this.group.environment,
      type: 'failover-stalled',
      severity: 'critical',
      subject: notificationSubject(this.group, `stalled, and primary ${primary} takes no writes`),
      text,
      details: { ...detail, failoverId: failover?.id, health: this.health[primary] },
      dedupeKey: `${this.group.id}:stalled-outage:${stalled.at}:${now}`,
    });
  }

  private tellSplitBrain(alarm: SplitBrainAlarm, role: string | undefined, status: string | undefined, writer: string, now: EpochMs): void {
    const { region } = alarm;
    const known = role === 'primary' || role === 'standalone';
    const claim = alarm.resumed
      ? `The database in ${region}, which its provider had shown unable to take writes (stopped or restarting), now answers as a ${role ?? 'writer'} in a status that may take them (${status ?? 'unknown'}) while ${writer} is the writer: it may be writing again (its episode opened at ${new Date(alarm.since).toISOString()}).`
      : alarm.escalation
      ? `Confirmed: the database in ${region} now answers as a writable ${role ?? 'writer'} while ${writer} is the writer: two writers (its episode opened at ${new Date(alarm.since).toISOString()}, when it could not be verified or had stopped).`
      : alarm.evidence === 'serving'
        ? `The database in ${region} reports itself ${role ?? 'a writer'} (writable) while ${writer} is the writer: two writers.`
        : known
          ? `The database in ${region} last reported itself ${role} while ${writer} is the writer, and its provider cannot confirm it takes no writes (no answer): it may be a second writer.`
          : `The old primary in ${region} serves again, was never fenced, and its role cannot be read (its provider API does not answer): it may take writes while ${writer} is the writer.`;
    const text =
      `${claim} Writes reaching ${region} will be lost or diverge.\n` +
      `Fence ${region} now (stop it, or apply its read-only parameter group), then check which writes landed where.`;
    const evidence = alarm.evidence === 'serving' ? 'confirmed' : 'unverified';
    const detail = { region, role, writer, evidence, ...(alarm.escalation ? { escalation: true } : {}), ...(alarm.resumed ? { resumed: true, status } : {}) };
    this.drafts.push({ at: now, type: 'SPLIT_BRAIN_RISK', state: stateName(this.snapshot), message: text, detail });
    this.notifications.push({
      groupId: this.group.id,
      environment: this.group.environment,
      type: 'split-brain-risk',
      severity: 'critical',
      subject: notificationSubject(this.group, `${alarm.evidence === 'serving' ? 'two writers' : 'possible second writer'}: ${region} and ${writer}${alarm.escalation ? ' (confirmed)' : alarm.resumed ? ' (no longer stopped)' : ''}`),
      text,
      details: { ...detail, primaryRegion: this.snapshot.context.primaryRegion, health: this.health[region] },
      dedupeKey: `${this.group.id}:split-brain:${region}:${alarm.since}${alarm.escalation ? `:confirmed:${now}` : alarm.resumed ? `:resumed:${now}` : ''}`,
    });
  }

  /** What the provider answers about a suspect; undefined when it does not answer (no proof either way). */
  private async providerAnswer(region: string): Promise<DatabaseState | undefined> {
    try {
      return await this.deps.database.describe(this.group, region);
    } catch {
      return undefined;
    }
  }

  /**
   * Feeds queued operator commands, each exactly once (its id is saved with the state). Cancels go first (a cancel is
   * newer than the command it names). A command that cannot be applied, whatever the reason (malformed in the
   * queue, or an exception while deciding or applying it), is refused and leaves the pending set: it never blocks
   * the commands after it nor the next pass.
   */
  async takeCommands(): Promise<void> {
    const pending = (await this.deps.commands.pending(this.group.id)).filter((command) => !this.processed.includes(command.id));
    const ordered = [...pending.filter((command) => command.type === 'cancel'), ...pending.filter((command) => command.type !== 'cancel')];
    for (const command of ordered) {
      if (this.processed.includes(command.id)) continue;
      const now = this.deps.clock.now();
      let decision: Decision;
      try {
        decision = this.decide(command, ordered, now);
        if (decision.kind === 'accept' && decision.event !== undefined) this.apply(decision.event);
        if (decision.kind === 'accept' && 'effects' in decision) this.absorb(decision.effects);
      } catch (error) {
        decision = { kind: 'refused', reason: `could not be applied: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
      }
      const reason = excerpt(decision.kind === 'accept' ? decision.summary : decision.reason);
      if (decision.kind === 'accept') {
        this.actions.push(`command ${command.type} by ${excerpt(command.principalArn)}`);
      } else {
        this.drafts.push({
          at: now,
          type: 'COMMAND_REFUSED',
          state: stateName(this.snapshot),
          actor: excerpt(command.principalArn),
          message: `${excerpt(command.type)} refused (${decision.kind}): ${reason}`,
          detail: { commandId: command.id, reason: excerpt(command.reason) },
        });
      }
      this.processed.push(command.id);
      this.commandOutcomes.push({ commandId: command.id, status: decision.kind === 'accept' ? 'accepted' : 'refused', outcome: reason, at: now });
    }
  }

  /** Decides one command; a valid cancel also takes its target out of the queue, logged with the caller. */
  private decide(command: StoredCommand, pending: readonly StoredCommand[], now: EpochMs): Decision {
    const issues = storedCommandIssues(command, this.group);
    if (issues.length > 0) return { kind: 'refused', reason: `malformed command, never applied: ${issues.join('; ')}` };
    if (command.type === 'reprotect') {
      return decideReprotect({ group: this.group, snapshot: this.snapshot, health: this.health, command, state: this.topology, now });
    }
    if (command.type !== 'cancel') {
      return decideCommand({ group: this.group, snapshot: this.snapshot, health: this.health, command, failoverId: (this.deps.newId ?? defaultId)(), now });
    }
    const target = pending.find((other) => other.id === command.targetCommandId && other.type !== 'cancel');
    if (target === undefined || this.processed.includes(target.id)) {
      return { kind: 'refused', reason: `command ${command.targetCommandId} is not pending (already taken, cancelled or never queued): nothing to cancel` };
    }
    const summary = `cancelled ${target.type} ${target.id} (queued by ${excerpt(target.principalArn)})`;
    this.drafts.push({
      at: now,
      type: 'COMMAND_CANCELLED',
      state: stateName(this.snapshot),
      actor: command.principalArn,
      message: `${summary}: ${command.reason}`,
      detail: { commandId: target.id, cancelCommandId: command.id, type: target.type, reason: command.reason },
    });
    this.processed.push(target.id);
    this.commandOutcomes.push({ commandId: target.id, status: 'refused', outcome: `cancelled by ${command.principalArn}: ${command.reason}`, at: now });
    return { kind: 'accept', summary };
  }

  /** Anything that decides anything differs from the saved record (`materialChange.ts` says what does not). */
  private hasChanges(): boolean {
    return (
      this.drafts.length > 0 ||
      this.notifications.length > 0 ||
      this.failovers.size > 0 ||
      this.commandOutcomes.length > 0 ||
      !sameStored(decisiveSnapshot(failoverMachine.getPersistedSnapshot(this.snapshot)), decisiveSnapshot(this.record.snapshot)) ||
      !sameStored(decisiveHealth(this.health), decisiveHealth(this.record.health)) ||
      topologyChanged(this.record, this.topology) ||
      !sameStored(this.splitBrain, this.record.splitBrain ?? {}) ||
      !sameStored(this.splitBrainConfirmed, this.record.splitBrainConfirmed ?? Object.keys(this.record.splitBrain ?? {})) ||
      !sameStored(this.splitBrainPaused, this.record.splitBrainPaused ?? []) ||
      !sameStored(this.stalledOutage ?? null, this.record.stalledOutage ?? null)
    );
  }

  /**
   * Saves with compare-and-set, then delivers the outbox. A stale revision or a lost lease throws
   * (`StaleStateError`) before anything is delivered: the loser acts no further.
   */
  async commit(): Promise<void> {
    const now = this.deps.clock.now();
    const refreshDue = now - this.record.updatedAt >= STATE_REFRESH_MS;
    if (!refreshDue && !this.hasChanges() && !(this.deliveredOutbox && !isEmpty(this.record.outbox))) return;
    // The save's own condition checks the revision: no reload is needed to confirm it.
    await this.renewLeaseIfShorterThan(this.ttl / 2, now, false);
    let seq = this.record.nextEventSeq;
    const events: LoggedEvent[] = this.drafts.map((draft) => ({ ...draft, groupId: this.group.id, seq: seq++ }));
    const outbox: Outbox = {
      events,
      notifications: this.notifications,
      failovers: [...this.failovers.values()],
      commandOutcomes: this.commandOutcomes,
    };
    const next: GroupRecord = {
      ...withTopologyState(this.record, this.topology),
      revision: this.record.revision + 1,
      machineVersion: MACHINE_VERSION,
      snapshot: failoverMachine.getPersistedSnapshot(this.snapshot),
      health: this.health,
      splitBrain: this.splitBrain,
      splitBrainConfirmed: this.splitBrainConfirmed,
      splitBrainPaused: this.splitBrainPaused,
      ...(this.stalledOutage === undefined ? {} : { stalledOutage: this.stalledOutage }),
      outbox,
      nextEventSeq: seq,
      processedCommandIds: this.processed.slice(-MAX_REMEMBERED_COMMANDS),
      updatedAt: now,
    };
    this.record = await this.deps.stateStore.save(next, this.record.revision, this.lease!, now);
    this.confirmed = true;
    this.drafts = [];
    this.notifications = [];
    this.failovers.clear();
    this.commandOutcomes = [];
    this.deliveredOutbox = false;
    await this.deliver();
  }

  /**
   * Delivers the saved outbox, under the lease: a stale executor stops before delivering anything, and each
   * notification is abandoned if the lease would end first. Idempotent except notifications, which are at-least-once;
   * failover records never move backwards (the event log keeps the furthest progress).
   */
  async deliver(): Promise<void> {
    const { outbox } = this.record;
    if (isEmpty(outbox)) return;
    await this.holdLeaseForEffect();
    await this.deps.eventLog.append(outbox.events);
    for (const failover of outbox.failovers ?? []) {
      await this.deps.eventLog.saveFailover(failover);
      if (releasesFleetSlot(failover)) await this.deps.fleet.release(failover.id);
    }
    for (const notification of outbox.notifications) {
      try {
        const effect = await this.holdLeaseForEffect();
        await this.deps.notifier.publish(notification, this.group.notifications.topicArn, effect);
      } catch (error) {
        if (error instanceof StaleStateError || error instanceof LeaseHeldError) throw error;
        // A lost message must not stop a failover; the event log still has the line and the log says why.
        this.notificationFailures += 1;
        this.deps.logger?.warn('notification failed', { groupId: this.group.id, type: notification.type, error: String(error) });
      }
    }
    for (const outcome of outbox.commandOutcomes ?? []) {
      await this.deps.commands.complete(this.group.id, outcome.commandId, outcome.status, outcome.outcome, outcome.at);
    }
    this.deliveredOutbox = true;
  }

  /**
   * Makes sure the lease outlives one side effect started now, and answers that effect's deadline and abort signal.
   * Renews first when the lease has less than the effect's budget plus the margin left. A renewal that comes back
   * with another epoch means someone else held the group in between (their actions may contradict ours): stop.
   * A lease taken by someone else throws `LeaseHeldError`. Either way the effect is never started.
   *
   * @example
   * const effect = await session.holdLeaseForEffect();
   * await database.fence(group, region, mode, effect);
   */
  async holdLeaseForEffect(): Promise<EffectOptions> {
    const now = this.deps.clock.now();
    const budget = effectBudgetMs(this.ttl, this.margin);
    await this.renewLeaseIfShorterThan(budget + this.margin, now, true);
    const deadline = Math.min(now + budget, this.lease!.expiresAt - this.margin);
    return { deadline, signal: AbortSignal.timeout(Math.max(0, deadline - now)) };
  }

  private get ttl(): number {
    return this.deps.leaseTtlMs ?? LEASE_TTL_MS;
  }

  private get margin(): number {
    return this.deps.safetyMarginMs ?? SAFETY_MARGIN_MS;
  }

  /**
   * Takes the lease on first need, or renews it. `confirm`: before a side effect, the record this session loaded must
   * be the current one; a session that took the lease after loading reloads once to check (a save checks by itself).
   */
  private async renewLeaseIfShorterThan(remainingMs: number, now: EpochMs, confirm: boolean): Promise<void> {
    const held = this.lease;
    if (held === undefined || held.expiresAt - now < remainingMs) {
      const renewed = await this.deps.stateStore.acquireLease(this.group.id, this.owner, now, this.ttl, held);
      this.lease = renewed;
      if (held !== undefined && renewed.epoch !== held.epoch) {
        throw new StaleStateError(
          `group ${this.group.id}: the lease of ${held.owner} lapsed (epoch ${held.epoch}, now ${renewed.epoch}); another executor may have acted`,
          { groupId: this.group.id },
        );
      }
    }
    if (confirm && !this.confirmed) {
      const current = await this.deps.stateStore.load(this.group.id);
      if (current?.revision !== this.record.revision) {
        throw new StaleStateError(
          `group ${this.group.id}: revision ${this.record.revision} is no longer current (stored revision is ${current?.revision}); another executor acted before this one took the lease`,
          { groupId: this.group.id },
        );
      }
      this.confirmed = true;
    }
  }

  get healthView(): Readonly<Record<string, RegionHealth>> {
    return this.health;
  }

  /** The lease this session holds, if it ever needed one. */
  get currentLease(): Lease | undefined {
    return this.lease;
  }
}

/**
 * Reconciles one group: restores the machine, feeds observations and operator commands, then performs the steps the
 * machine asks for until it rests or the invocation runs out of time. The lease is taken on first need (a save or a
 * side effect): a pass that changes nothing reads the record, the reports and the queue, and writes nothing. A group
 * whose lease another executor holds is left to it. Short waits
 * (promotion, DNS sync) are polled here with backoff instead of waiting for the next scheduled run.
 * A Lambda can die at any line: the state is saved after every step with compare-and-set, and every step observes
 * before it acts, so the next run resumes without repeating or skipping anything.
 *
 * @example
 * const outcome = await reconcileGroup(deps, group, { owner: context.awsRequestId, deadline: Date.now() + 50_000 });
 */
export async function reconcileGroup(
  deps: ExecutorDeps,
  group: GroupConfig,
  options: {
    owner: string;
    deadline: EpochMs;
    /** Where the observers' heartbeats come from: a pass shares one read per shard (`sharedHeartbeats`); by default one read. */
    heartbeats?: HeartbeatSource;
  },
): Promise<GroupOutcome> {
  const { stateStore, clock } = deps;
  const ttl = deps.leaseTtlMs ?? LEASE_TTL_MS;
  const margin = deps.safetyMarginMs ?? SAFETY_MARGIN_MS;
  if (!leaseAllowsEffects(ttl, margin)) {
    throw new Error(`executor: a lease of ${ttl} ms leaves no time for an effect with a ${margin} ms safety margin on each side`);
  }
  const start = clock.now();
  const base = { groupId: group.id, actions: [] as string[], notificationFailures: 0 };
  const record = (await stateStore.load(group.id)) ?? (await stateStore.createIfAbsent(initialRecord(group, start)));
  const stored = record.lease;
  if (stored !== undefined && stored.owner !== options.owner && stored.expiresAt > start) {
    return {
      ...base,
      result: 'lease-held',
      state: 'unknown',
      message: `group ${group.id}: lease held by ${stored.owner} (epoch ${stored.epoch}) until ${stored.expiresAt}`,
    };
  }
  let session: GroupSession | undefined;
  try {
    // A lease this owner took in an earlier pass of the same invocation is still ours (its epoch is in the record).
    session = new GroupSession(deps, group, record, options.owner, stored?.owner === options.owner ? stored : undefined, options.heartbeats);
    await session.deliver();
    await session.observe();
    await session.takeCommands();
    await session.commit();
    // The failover steps reach the databases a reprotect put in place of the configured ones.
    return await runSteps(deps, withLiveTopology(group, record.topology), session, options.deadline);
  } catch (error) {
    if (error instanceof StaleStateError || error instanceof LeaseHeldError) {
      deps.logger?.warn('lost the group to another executor; acting no further', { groupId: group.id, error: error.message });
      // Refused the lease before this session held one: it did nothing, like a group whose lease was held at the start.
      const neverHeld = error instanceof LeaseHeldError && !(error instanceof ControlPlaneCutOffError) && session?.currentLease === undefined;
      return { ...base, result: neverHeld ? 'lease-held' : 'stale', state: session ? stateName(session.state) : 'unknown', message: error.message };
    }
    throw error;
  } finally {
    // Given up only when this session holds it: a pass that never needed the lease has nothing to release.
    const held = session?.currentLease;
    if (held !== undefined && held.owner === options.owner && held.expiresAt > clock.now()) {
      await stateStore.releaseLease(group.id, held).catch((error: unknown) => {
        deps.logger?.warn('could not release the lease; it expires by itself', { groupId: group.id, error: String(error) });
      });
    }
  }
}

async function runSteps(deps: ExecutorDeps, group: GroupConfig, session: GroupSession, deadline: EpochMs): Promise<GroupOutcome> {
  const { clock } = deps;
  const looking = deps.polling ?? DEFAULT_LOOKS;
  const retrying = deps.polling ?? STEP_RETRY_BACKOFF;
  // Without a budget shared by the process, this run's looks still keep within the provider's limits on their own.
  const looks = deps.looks ?? new LookBudget();
  const margin = deps.safetyMarginMs ?? SAFETY_MARGIN_MS;
  let lookDelay = looking.initialMs;
  let retryDelay = retrying.initialMs;
  // When the current step was last attempted in this run: its next look starts `lookDelay` after.
  let lastAttemptAt: EpochMs | undefined;
  let waitingFor: string | undefined;
  let lastStep: FailoverStep | undefined;
  // A long wait inside one invocation (a promotion, DNS) still watches for a second writer once per probe interval, as
  // a new pass would: a suspect that stops and serves again while the executor waits is told again.
  const observeEveryMs = group.policy.probeIntervalSeconds * 1000;
  let observedAt = clock.now();

  while (clock.now() + margin < deadline) {
    const step = currentStep(session.state);
    const failover = session.state.context.failover;
    if (step === undefined || failover === undefined) {
      waitingFor = undefined;
      await session.advanceReprotect();
      break;
    }
    if (step !== lastStep) {
      lookDelay = looking.initialMs;
      retryDelay = retrying.initialMs;
      lastAttemptAt = undefined;
    }
    lastStep = step;
    if (isLook(step, lastAttemptAt !== undefined)) {
      // Looks start `lookDelay` apart, whatever the look itself took (its API round trip, a save), and each waits for
      // a free slot of the APIs it calls. Near the deadline, look once more just before it rather than leave the rest
      // of the invocation unused: the next invocation may be a whole schedule away.
      const latestAt = deadline - margin - 1;
      const earliestAt = Math.min(lastAttemptAt === undefined ? clock.now() : lastAttemptAt + lookDelay, latestAt);
      const slotAt = looks.reserve(lookScopes(group, step, failover.to), earliestAt, latestAt);
      if (slotAt === undefined) break;
      const sleepMs = slotAt - clock.now();
      if (sleepMs > 0) await clock.sleep(sleepMs);
      if (lastAttemptAt !== undefined) lookDelay = Math.min(lookDelay * looking.factor, looking.maxMs);
    }
    lastAttemptAt = clock.now();
    const result = await performStep(deps, {
      group,
      step,
      failover,
      health: session.healthView,
      holdLease: () => session.holdLeaseForEffect(),
    });
    if ('event' in result) {
      session.apply(result.event);
      session.actions.push(result.event.type === 'STEP_FAILED' ? `${step} failed: ${result.event.error}` : result.event.type);
      waitingFor = undefined;
      await session.commit();
      if (result.event.type === 'STEP_FAILED') {
        await clock.sleep(retryDelay);
        retryDelay = Math.min(retryDelay * retrying.factor, retrying.maxMs);
      }
      continue;
    }
    waitingFor = result.waiting;
    if (clock.now() - observedAt >= observeEveryMs) {
      await session.watchWriters();
      observedAt = clock.now();
    }
    // Let the machine see time pass, so a step that waits too long stalls instead of waiting forever.
    session.apply({ type: 'TICK', at: clock.now() });
    await session.commit();
    // A step that is not a look (none waits today) must not spin: it is tried again after the retry delay.
    if (!isLook(step, true) && currentStep(session.state) === step) {
      await clock.sleep(retryDelay);
      retryDelay = Math.min(retryDelay * retrying.factor, retrying.maxMs);
    }
  }
  await session.commit();
  const snapshot = session.state;
  const stillStepping = currentStep(snapshot) !== undefined;
  return {
    groupId: group.id,
    result: stillStepping ? 'waiting' : session.actions.length > 0 ? 'acted' : 'idle',
    state: stateName(snapshot),
    actions: session.actions,
    failover: snapshot.context.failover,
    waitingFor: stillStepping ? waitingFor : undefined,
    notificationFailures: session.notificationFailures,
    ...(session.verdictChanges.length === 0 ? {} : { verdictChanges: session.verdictChanges }),
  };
}

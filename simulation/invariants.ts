import type { ControlPlaneConfig, GroupConfig } from '../src/config/schema.js';
import type { EpochMs, FailoverRecord, LoggedEvent, NotificationType, RegionName } from '../src/domain/types.js';
import type { GroupRecord } from '../src/ports/StateStore.js';
import type { SimTopic } from '../src/adapters/sim/SimTopic.js';
import type { RecordingStateStore } from './world/RecordingStateStore.js';
import type { SimCloud } from './world/SimCloud.js';
import type { RecordingEventLog } from './world/RecordingEventLog.js';
import type { SimTraffic } from './world/SimTraffic.js';
import { dnsValue } from './config.js';
import { formatTime } from './time.js';

/** Every invariant the simulator checks; docs/simulation.md defines each one. */
export const INVARIANTS = [
  'split-brain-alarm',
  'one-promotion',
  'lag-budget',
  'planned-no-loss',
  'no-needless-failover',
  'acknowledgement',
  'event-log',
  'failover-records',
  'dns-follows-primary',
  'liveness',
  'operator-exit',
  'no-unexpected-errors',
] as const;

export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: InvariantName;
  readonly at: EpochMs;
  readonly group?: string;
  readonly message: string;
}

/** How long two writers may coexist before a `split-brain-risk` alarm must have been raised. */
export const SPLIT_BRAIN_GRACE_MS = 2 * 60_000;
/** How long a failover record may stay `in-progress` after the group moved on (its delivery is under way). */
const RECORD_GRACE_MS = 2 * 60_000;
/** Tolerance on the data-loss window at promotion: lag is reported in whole seconds and measured one API call earlier. */
export const LAG_TOLERANCE_SECONDS = 1.5;

const IN_FLIGHT = ['failingOver', 'stalled'];
const NEEDS_A_HUMAN: Readonly<Record<string, NotificationType>> = {
  stalled: 'failover-stalled',
  blocked: 'failover-blocked',
  awaitingApproval: 'awaiting-approval',
  failedOver: 'failover-completed',
  paused: 'paused',
};

/** The saved machine state of a group, read from its record. */
export interface SavedState {
  readonly state: string;
  readonly top: string;
  readonly primaryRegion: RegionName;
  readonly failover?: FailoverRecord;
  readonly awaitingAcknowledgement: boolean;
  readonly blockedReason?: string;
  readonly stalledStep?: string;
}

/** Saved records are frozen and shared (RecordingStateStore): each one is read once. */
const savedStates = new WeakMap<GroupRecord, SavedState>();

export function savedState(record: GroupRecord | undefined, group: GroupConfig): SavedState {
  if (record === undefined) return readSavedState(record, group);
  const known = savedStates.get(record);
  if (known !== undefined) return known;
  const state = readSavedState(record, group);
  savedStates.set(record, state);
  return state;
}

function readSavedState(record: GroupRecord | undefined, group: GroupConfig): SavedState {
  const snapshot = record?.snapshot as { value?: unknown; context?: Record<string, unknown> } | null | undefined;
  const initialPrimary = Object.entries(group.regions).find(([, region]) => region.initialPrimary)![0];
  if (snapshot?.value === undefined || snapshot.context === undefined) {
    return { state: 'monitoring', top: 'monitoring', primaryRegion: initialPrimary, awaitingAcknowledgement: false };
  }
  const context = snapshot.context;
  const state = flatten(snapshot.value);
  return {
    state,
    top: state.split('.')[0]!,
    primaryRegion: context.primaryRegion as RegionName,
    failover: context.failover as FailoverRecord | undefined,
    awaitingAcknowledgement: context.awaitingAcknowledgement === true,
    blockedReason: (context.blocked as { reason?: string } | undefined)?.reason,
    stalledStep: (context.stalled as { step?: string } | undefined)?.step,
  };
}

function flatten(value: unknown): string {
  return typeof value === 'string'
    ? value
    : Object.entries(value as Record<string, unknown>)
        .map(([key, child]) => `${key}.${flatten(child)}`)
        .join(',');
}

export interface CheckedWorld {
  readonly config: ControlPlaneConfig;
  readonly cloud: SimCloud;
  readonly traffic: SimTraffic;
  readonly eventLog: RecordingEventLog;
  readonly notifier: SimTopic;
  readonly stateStore: RecordingStateStore;
  /** Observers whose probes run right now (not in a region that is down, not stale). */
  readonly runningObservers: () => readonly RegionName[];
  /** How often the orchestrator looks at a group: a writer's gap shorter than this is invisible to it. */
  readonly orchestratePassMs: number;
}

interface GroupWatch {
  splitBrainSince?: EpochMs;
  splitBrainVisibleSince?: EpochMs;
  splitBrainReported: boolean;
  /** When each region that accepts writes now most recently began to (gone once it stops). */
  writerSince: Map<RegionName, EpochMs>;
  /** When a region last stopped accepting writes, and since when it had been writing before that. */
  writerEnded: Map<RegionName, { at: EpochMs; since: EpochMs; visibleMs: number; lastAt: EpochMs }>;
  /** The newest `split-brain-risk` notification of the group. */
  lastSplitBrainAlarmAt?: EpochMs;
  lastBadAt: Map<RegionName, EpochMs>;
  /** Since when no running observer can read a region's database role (its API errs or throttles, it is cut off). */
  unreadableSince: Map<RegionName, EpochMs>;
  /** The last time the data plane showed a region failing (down, or a quorum of running observers sees it fail). */
  dataPlaneBadAt: Map<RegionName, EpochMs>;
  seenFailovers: Set<string>;
  awaitingAcknowledgement: boolean;
  acknowledgedSinceCompletion: boolean;
  denseUpTo: number;
  lastAt: EpochMs;
  orphanedSince: Map<string, EpochMs>;
  /** The log size and record sequence the event-log check last saw: with both unchanged it would find nothing new. */
  eventLogCheckedAt?: { delivered: number; nextEventSeq: number; outbox: readonly unknown[] };
  refusedCommands: Set<string>;
  primaryNotWritableSince?: EpochMs;
}

/**
 * Checks the invariants after every event of a simulation. Each check reads the world's truth (SimCloud), the saved
 * group records, the event log and the notifications; a violation is recorded once per invariant and group.
 *
 * @example
 * const checker = new InvariantChecker(world, start);
 * await checker.check(clock.now());
 * checker.violations; // [] when all is well
 */
export class InvariantChecker {
  readonly violations: Violation[] = [];
  private readonly watches = new Map<string, GroupWatch>();
  private promoteCallsSeen = 0;
  private readonly startedPromotions = new Map<string, number>();
  private notificationsSeen = 0;
  private readonly reported = new Set<string>();
  private lastSignature = '';
  private lastCheckAt = 0;

  constructor(
    private readonly world: CheckedWorld,
    start: EpochMs,
    private readonly now: () => EpochMs,
  ) {
    for (const group of world.config.groups) {
      this.watches.set(group.id, {
        splitBrainReported: false,
        writerSince: new Map(),
        writerEnded: new Map(),
        lastBadAt: new Map(Object.keys(group.regions).map((region) => [region, start - 3_600_000])),
        unreadableSince: new Map(),
        dataPlaneBadAt: new Map(),
        seenFailovers: new Set(),
        awaitingAcknowledgement: false,
        acknowledgedSinceCompletion: false,
        denseUpTo: 0,
        lastAt: 0,
        orphanedSince: new Map(),
        refusedCommands: new Set(),
      });
    }
    const trace = world.eventLog.onFailover;
    world.eventLog.onFailover = (previous, next) => {
      trace(previous, next);
      this.recordRegression(previous, next, this.now());
    };
  }

  /** Records a violation (once per invariant, group and message kind). */
  report(invariant: InvariantName, at: EpochMs, message: string, group?: string): void {
    const key = `${invariant}/${group ?? ''}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.violations.push({ invariant, at, message, ...(group === undefined ? {} : { group }) });
  }

  /**
   * Checks every invariant. Skipped when nothing it reads changed since the last check and less than a simulated
   * second passed: the world, the records, the log and the notifications are then what they were.
   */
  async check(now: EpochMs): Promise<void> {
    const signature = this.signature();
    if (signature === this.lastSignature && now - this.lastCheckAt < 1_000) return;
    this.lastSignature = signature;
    this.lastCheckAt = now;
    this.checkPromotions(now);
    const newNotifications = this.notificationsSeen === this.world.notifier.count ? [] : this.world.notifier.messages().slice(this.notificationsSeen);
    this.notificationsSeen += newNotifications.length;
    for (const group of this.world.config.groups) {
      const watch = this.watches.get(group.id)!;
      for (const message of newNotifications) {
        if (message.notification.groupId === group.id && message.notification.type === 'split-brain-risk') watch.lastSplitBrainAlarmAt = now;
      }
      const record = this.world.stateStore.saved(group.id);
      const saved = savedState(record, group);
      this.trackDataPlane(group, watch, now);
      this.checkSplitBrain(group, watch, saved, now);
      // The acknowledgement first: an ack and the failover it re-armed can land in the same save.
      this.checkAcknowledgement(group, watch, saved, now);
      this.checkNewFailover(group, watch, saved, now);
      if (record !== undefined) this.checkEventLog(group, watch, record, now);
      this.checkFailoverRecords(group, watch, saved, now);
      this.checkDns(group, saved, now);
      this.trackPrimaryWritable(group, watch, saved, now);
    }
  }

  /** At the end of the liveness bound, after every fault healed and nobody acted: is every group at rest, and told? */
  async checkLiveness(now: EpochMs): Promise<void> {
    const messages = this.world.notifier.messages();
    for (const group of this.world.config.groups) {
      const watch = this.watches.get(group.id)!;
      const saved = savedState(this.world.stateStore.saved(group.id), group);
      if (IN_FLIGHT.includes(saved.top) && saved.top !== 'stalled') {
        this.report('liveness', now, `still ${saved.state} long after every fault healed: the group never rests`, group.id);
        continue;
      }
      const needed = NEEDS_A_HUMAN[saved.top];
      if (needed !== undefined) {
        const enteredAt = this.enteredAt(group.id, saved.top);
        const told = messages.some((message) => message.notification.groupId === group.id && message.notification.type === needed && message.publishedAt >= enteredAt);
        if (!told) this.report('liveness', now, `rests in ${saved.state}, which needs a person, but no ${needed} notification was sent since ${formatTime(enteredAt)}`, group.id);
      }
      if (watch.primaryNotWritableSince !== undefined) {
        const since = watch.primaryNotWritableSince;
        const told = messages.some(
          (message) =>
            message.notification.groupId === group.id &&
            message.publishedAt >= since - 60_000 &&
            message.notification.severity !== 'info' &&
            (message.notification.type !== 'failover-aborted' || message.notification.text.includes('stays fenced')),
        );
        if (!told) {
          this.report('liveness', now, `rests in ${saved.state} with primary ${saved.primaryRegion} taking no writes since ${formatTime(since)}, and nobody was told`, group.id);
        }
      }
    }
  }

  /** After the operator tried every exit: a group still stuck has a state no command moves on. */
  async checkOperatorExit(now: EpochMs, tried: ReadonlyMap<string, readonly string[]>): Promise<void> {
    for (const group of this.world.config.groups) {
      const saved = savedState(this.world.stateStore.saved(group.id), group);
      if (['stalled', 'failingOver', 'blocked', 'awaitingApproval'].includes(saved.top)) {
        const commands = tried.get(group.id) ?? [];
        this.report('operator-exit', now, `still ${saved.state} after the operator tried ${commands.join(', ') || 'nothing'}: no command moves it on`, group.id);
      }
    }
  }

  private signature(): string {
    const { cloud, eventLog, notifier, stateStore, config } = this.world;
    const revisions = config.groups.map((group) => stateStore.saved(group.id)?.revision ?? 0).join(',');
    let events = 0;
    for (const group of eventLog.events.values()) events += group.size;
    return `${cloud.version}/${cloud.promoteCalls.length}/${events}/${eventLog.failovers.size}/${notifier.count}/${revisions}/${this.world.runningObservers().length}/${this.world.traffic.changes}`;
  }

  private checkPromotions(now: EpochMs): void {
    const calls = this.world.cloud.promoteCalls;
    for (; this.promoteCallsSeen < calls.length; this.promoteCallsSeen += 1) {
      const call = calls[this.promoteCallsSeen]!;
      const group = this.world.config.groups.find((candidate) => candidate.id === call.group)!;
      if (call.region === call.options.fromRegion) {
        this.report('one-promotion', now, `promote was called on ${call.region}, the failover's own old primary (failover ${call.options.failoverId})`, call.group);
      }
      if (call.outcome !== 'started') continue;
      const count = (this.startedPromotions.get(call.options.failoverId) ?? 0) + 1;
      this.startedPromotions.set(call.options.failoverId, count);
      if (count > 1) this.report('one-promotion', now, `failover ${call.options.failoverId} started ${count} promotions (the last of ${call.region})`, call.group);
      const budget = group.policy.maxReplicaLagSeconds;
      if (call.options.planned) {
        if ((call.lossSeconds ?? 0) > 0 || call.orphanOf !== undefined) {
          this.report('planned-no-loss', now, `planned switchover ${call.options.failoverId} promoted ${call.region} missing ${call.orphanOf ? `everything (it replicates from ${call.orphanOf})` : `${call.lossSeconds} s of writes`}`, call.group);
        }
      } else if (!call.options.allowDataLoss) {
        if (call.orphanOf !== undefined) {
          this.report('lag-budget', now, `failover ${call.options.failoverId} promoted ${call.region}, a replica of ${call.orphanOf}, not of the primary ${call.options.fromRegion}: every write since ${call.options.fromRegion} became primary is lost`, call.group);
        } else if (call.lossSeconds !== undefined && call.lossSeconds > budget + LAG_TOLERANCE_SECONDS) {
          this.report('lag-budget', now, `failover ${call.options.failoverId} promoted ${call.region} ${call.lossSeconds.toFixed(1)} s behind ${call.options.fromRegion}, over the ${budget} s budget, without --allow-data-loss`, call.group);
        }
      }
    }
  }

  private trackDataPlane(group: GroupConfig, watch: GroupWatch, now: EpochMs): void {
    const observers = this.world.runningObservers();
    const quorum = group.policy.observerQuorum;
    for (const region of Object.keys(group.regions)) {
      const failing = observers.filter((observer) => this.world.cloud.httpProblem(group.id, region, observer) !== undefined).length;
      if (this.world.cloud.isRegionDown(region) || this.world.cloud.databaseDown(group.id, region) || failing >= quorum) watch.lastBadAt.set(region, now);
      if (this.world.cloud.isRegionDown(region) || failing >= quorum) watch.dataPlaneBadAt.set(region, now);
      if (observers.some((observer) => this.world.cloud.roleReadable(observer, region))) watch.unreadableSince.delete(region);
      else if (!watch.unreadableSince.has(region)) watch.unreadableSince.set(region, now);
    }
  }

  private checkSplitBrain(group: GroupConfig, watch: GroupWatch, saved: SavedState, now: EpochMs): void {
    const writers = this.world.cloud.writers(group.id);
    const observers = this.world.runningObservers();
    const canConfirm = (region: RegionName) =>
      observers.filter((observer) => observer !== region && !this.world.cloud.isPartitioned(observer, region)).length >= group.policy.observerQuorum;
    for (const [region, since] of [...watch.writerSince.entries()]) {
      if (writers.includes(region)) continue;
      watch.writerSince.delete(region);
      watch.writerEnded.set(region, { at: now, since, visibleMs: 0, lastAt: now });
    }
    // How long each paused writer's pause was visible to a quorum of running observers outside its region.
    for (const [region, ended] of watch.writerEnded) {
      if (writers.includes(region)) continue;
      const visibleMs = ended.visibleMs + (canConfirm(region) ? now - ended.lastAt : 0);
      watch.writerEnded.set(region, { ...ended, visibleMs, lastAt: now });
    }
    for (const region of writers) {
      if (watch.writerSince.has(region)) continue;
      // A pause the control plane could not have confirmed is one episode with what came before: it looks once per
      // orchestrate pass, and a region is confirmed down only after its failure threshold of probe rounds (until
      // then it is unknown, and silence is not a fix).
      const ended = watch.writerEnded.get(region);
      const unseenGapMs = this.world.orchestratePassMs + (group.policy.failureThreshold + 1) * group.policy.probeIntervalSeconds * 1000;
      // Nor does a pause a quorum of observers saw for less than that (they were down with the region, or cut off).
      const unseen = ended !== undefined && (now - ended.at < unseenGapMs || ended.visibleMs < unseenGapMs);
      watch.writerSince.set(region, unseen ? ended.since : now);
    }
    if (writers.length < 2) {
      watch.splitBrainSince = undefined;
      watch.splitBrainVisibleSince = undefined;
      watch.splitBrainReported = false;
      return;
    }
    watch.splitBrainSince ??= now;
    // An alarm counts for this episode when it was raised while a writer other than the saved primary was already
    // writing without a break: the control plane may (and should) flag a rogue writer before the second one appears,
    // e.g. an unfenced old primary once the target's promotion has started.
    // The rogue is any writer but the one allowed to write: the saved primary, or, once a failover's promotion has
    // started, its target (the old primary is then the rogue, as the control plane sees it).
    const promoting = saved.failover?.outcome === 'in-progress' && saved.failover.timestamps.promotionStartedAt !== undefined;
    const allowed = new Set([saved.primaryRegion, ...(promoting && saved.failover !== undefined ? [saved.failover.to] : [])]);
    const rogueSince = Math.min(
      ...[...allowed].map((writer) => Math.min(...writers.filter((region) => region !== writer).map((region) => watch.writerSince.get(region) ?? now))),
    );
    if (watch.lastSplitBrainAlarmAt !== undefined && watch.lastSplitBrainAlarmAt >= Math.min(rogueSince, watch.splitBrainSince)) {
      watch.splitBrainReported = true;
    }
    const visible = writers
      .filter((region) => region !== saved.primaryRegion)
      .some((region) => observers.some((observer) => !this.world.cloud.isPartitioned(observer, region)) && this.returnVisible(watch, region, now));
    if (!visible) {
      watch.splitBrainVisibleSince = undefined;
      return;
    }
    watch.splitBrainVisibleSince ??= now;
    if (!watch.splitBrainReported && now - watch.splitBrainVisibleSince > SPLIT_BRAIN_GRACE_MS) {
      this.report(
        'split-brain-alarm',
        now,
        `${writers.join(' and ')} both accept writes since ${formatTime(watch.splitBrainSince)} (saved primary ${saved.primaryRegion}, state ${saved.state}), and no split-brain-risk alarm was raised`,
        group.id,
      );
    }
  }

  /**
   * Whether the control plane could see that `region` writes now. It could, unless the region began its current
   * writing period while no running observer could read its role, and the data plane never showed it pause: then
   * nothing the control plane reads changed when the writes began (same health, same unanswered API), so it can know
   * only once the role can be read again. A writer it saw writing before its role became unreadable stays visible:
   * losing sight of a writer is no excuse (doubt keeps the alarm).
   */
  private returnVisible(watch: GroupWatch, region: RegionName, now: EpochMs): boolean {
    const hiddenSince = watch.unreadableSince.get(region);
    if (hiddenSince === undefined) return true;
    if ((watch.writerSince.get(region) ?? now) < hiddenSince) return true;
    const pause = watch.writerEnded.get(region);
    return pause !== undefined && (watch.dataPlaneBadAt.get(region) ?? -Infinity) >= pause.at;
  }

  private checkNewFailover(group: GroupConfig, watch: GroupWatch, saved: SavedState, now: EpochMs): void {
    const failover = saved.failover;
    if (failover === undefined || watch.seenFailovers.has(failover.id)) return;
    watch.seenFailovers.add(failover.id);
    if (failover.trigger.kind !== 'automatic') return;
    if (watch.awaitingAcknowledgement) {
      this.report('acknowledgement', now, `automatic failover ${failover.id} started while a completed failover awaited acknowledgement`, group.id);
    }
    const window = (group.policy.failureThreshold + 4) * group.policy.probeIntervalSeconds * 1000 + 60_000;
    const lastBad = watch.lastBadAt.get(failover.from) ?? 0;
    if (now - lastBad > window) {
      this.report(
        'no-needless-failover',
        now,
        `automatic failover ${failover.id} ${failover.from} → ${failover.to} (${saved.state}) although the data plane of ${failover.from} showed no fault in the last ${Math.round(window / 1000)} s (no outage, no crash, no health-check failure seen by a quorum): reason "${failover.reason}"`,
        group.id,
      );
    }
  }

  private checkAcknowledgement(group: GroupConfig, watch: GroupWatch, saved: SavedState, now: EpochMs): void {
    if (saved.awaitingAcknowledgement && !watch.awaitingAcknowledgement) watch.acknowledgedSinceCompletion = false;
    if (!saved.awaitingAcknowledgement && watch.awaitingAcknowledgement) watch.acknowledgedSinceCompletion = true;
    watch.awaitingAcknowledgement = saved.awaitingAcknowledgement;
    if (watch.acknowledgedSinceCompletion && saved.top === 'blocked' && saved.blockedReason === 'cooldown') {
      this.report('acknowledgement', now, 'the failover was acknowledged, yet automatic failover is blocked by the cooldown: acknowledgement did not re-arm it', group.id);
    }
  }

  private checkEventLog(group: GroupConfig, watch: GroupWatch, record: GroupRecord, now: EpochMs): void {
    const delivered = this.world.eventLog.events.get(group.id) ?? new Map<number, LoggedEvent>();
    const seen = watch.eventLogCheckedAt;
    if (seen !== undefined && seen.delivered === delivered.size && seen.nextEventSeq === record.nextEventSeq && seen.outbox === record.outbox.events) return;
    watch.eventLogCheckedAt = { delivered: delivered.size, nextEventSeq: record.nextEventSeq, outbox: record.outbox.events };
    for (let seq = watch.denseUpTo + 1; delivered.has(seq); seq += 1) {
      const event = delivered.get(seq)!;
      if (event.at < watch.lastAt) this.report('event-log', now, `event ${seq} (${event.type}) is dated ${event.at}, before event ${seq - 1} (${watch.lastAt})`, group.id);
      if (event.type === 'COMMAND_REFUSED') {
        const commandId = String(event.detail?.commandId);
        if (watch.refusedCommands.has(commandId)) this.report('event-log', now, `command ${commandId} was logged as refused twice`, group.id);
        watch.refusedCommands.add(commandId);
      }
      watch.lastAt = event.at;
      watch.denseUpTo = seq;
    }
    const pending = new Set(record.outbox.events.map((event) => event.seq));
    for (let seq = watch.denseUpTo + 1; seq < record.nextEventSeq; seq += 1) {
      if (!delivered.has(seq) && !pending.has(seq)) {
        this.report('event-log', now, `event ${seq} is missing: the record says ${record.nextEventSeq - 1} events were written, and it is neither in the log nor in the outbox`, group.id);
        break;
      }
    }
    for (const seq of delivered.keys()) {
      if (seq >= record.nextEventSeq) this.report('event-log', now, `event ${seq} is in the log but the record has only ${record.nextEventSeq - 1}`, group.id);
    }
  }

  private checkFailoverRecords(group: GroupConfig, watch: GroupWatch, saved: SavedState, now: EpochMs): void {
    for (const [id, record] of this.world.eventLog.failovers) {
      if (record.groupId !== group.id) continue;
      if (record.outcome !== 'in-progress') {
        watch.orphanedSince.delete(id);
        continue;
      }
      const current = saved.failover?.id === id && (IN_FLIGHT.includes(saved.top) || saved.top === 'awaitingApproval');
      if (current) {
        watch.orphanedSince.delete(id);
        continue;
      }
      const since = watch.orphanedSince.get(id) ?? now;
      watch.orphanedSince.set(id, since);
      if (now - since > RECORD_GRACE_MS) {
        this.report('failover-records', now, `failover record ${id} (${record.from} → ${record.to}) stays in-progress while the group is ${saved.state}${saved.failover ? ` with failover ${saved.failover.id}` : ''}`, group.id);
      }
    }
  }

  /** A record version that moves a failover backwards (completed or aborted, then in-progress again). */
  recordRegression(previous: FailoverRecord | undefined, next: FailoverRecord, now: EpochMs): void {
    if (previous !== undefined && previous.outcome !== 'in-progress' && next.outcome === 'in-progress') {
      this.report('failover-records', now, `failover record ${next.id} went back from ${previous.outcome} to in-progress (a stale delivery overwrote it)`, next.groupId);
    }
  }

  private checkDns(group: GroupConfig, saved: SavedState, now: EpochMs): void {
    if (IN_FLIGHT.includes(saved.top)) return;
    const value = this.world.traffic.zone(group.id).recordValue;
    if (value !== dnsValue(group.id, saved.primaryRegion)) {
      this.report('dns-follows-primary', now, `DNS points at ${value} while the group is ${saved.state} with primary ${saved.primaryRegion}`, group.id);
    }
  }

  private trackPrimaryWritable(group: GroupConfig, watch: GroupWatch, saved: SavedState, now: EpochMs): void {
    if (this.world.cloud.acceptsWritesIn(group.id, saved.primaryRegion)) watch.primaryNotWritableSince = undefined;
    else watch.primaryNotWritableSince ??= now;
  }

  private enteredAt(groupId: string, top: string): EpochMs {
    const events = [...(this.world.eventLog.events.get(groupId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    let enteredAt = 0;
    let previousTop = 'monitoring';
    for (const event of events) {
      const eventTop = event.state.split('.')[0]!;
      if (eventTop === top && previousTop !== top) enteredAt = event.at;
      previousTop = eventTop;
    }
    return enteredAt;
  }
}

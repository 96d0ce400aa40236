import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverOutcome, FailoverRecord, FailoverTimestamps, LoggedEvent, RegionName } from '../domain/types.js';
import { failoverPhases, windowStartKey, type PhaseName, type PhaseTimeoutKey } from '../domain/phases.js';
import { formatDuration, formatSeconds } from './format.js';
import { minimumDetectionMs } from './physics.js';
import { coveredMs, operatorWaits, type OutsideWait } from './overhead.js';

/** What a drill is checked against: the group's `policy.targets`, its RPO budget and its step timeouts. */
export interface ReportTargets {
  readonly rtoSeconds: number;
  readonly detectionSeconds: number;
  /** The RPO budget: the data-loss window (replica lag at promotion) may not exceed it. */
  readonly maxReplicaLagSeconds: number;
  /** The fastest detection the probe schedule allows (see `minimumDetectionMs`); a faster one is not believed. */
  readonly minDetectionMs?: number;
  /** Per-step timeouts (`policy.stepTimeouts`); a step that ran longer than its own is flagged. */
  readonly stepTimeouts?: Readonly<Partial<Record<StepTimeoutKey, number>>>;
}

type StepTimeoutKey = PhaseTimeoutKey;

/** Facts only a simulated world knows: how many writes were really lost (`SimWorld.dataLoss()` fits). */
export interface MeasuredDataLoss {
  readonly lostWrites?: number;
  readonly writesPerSecond?: number;
  readonly primaryAcceptedWrites?: number;
}

export interface DrillReportInput {
  readonly record: FailoverRecord;
  /** The group's events around the failover; shown in order of `seq`. */
  readonly events: readonly LoggedEvent[];
  readonly targets: ReportTargets;
  /** When the drill injected its fault; detection is measured from here. */
  readonly faultInjectedAt?: EpochMs;
  readonly scenario?: string;
  readonly sim?: MeasuredDataLoss;
  /** Time zero of every offset; default: the fault. The local drill passes its own start, as its console does. */
  readonly originAt?: EpochMs;
  /** When the drill ended: a failover still in progress then is drawn up to here. */
  readonly endedAt?: EpochMs;
  /**
   * What the failover waited on outside the control plane, as the simulated world timed it (`SimWorld.outsideWaits()`),
   * and when the operator's commands were queued. Without it the overhead is estimated from the promotion and DNS sync
   * phases, which hide the control plane's polling delays inside them.
   */
  readonly outside?: { readonly waits: readonly OutsideWait[]; readonly operatorCommandsAt: readonly EpochMs[] };
}

/** The step a failover was in when the drill ended, from its start up to the end of the drill. */
export interface InProgressStep {
  readonly name: ReportStepName;
  readonly startedAt: EpochMs;
  readonly startOffsetMs: number;
  readonly durationMs: number;
}

/** The phases of src/domain/phases.ts, then the tail of the window to its end. */
export type ReportStepName = PhaseName | 'completion' | 'abort';

/** One slice of the recovery window; the steps partition [detected, completed] with no gap or overlap. */
export interface ReportStep {
  readonly name: ReportStepName;
  readonly startedAt: EpochMs;
  readonly endedAt: EpochMs;
  /** From the report's origin (the fault, or detection when no fault time is known). */
  readonly startOffsetMs: number;
  readonly durationMs: number;
  readonly timeoutSeconds?: number;
  /** False when the step ran longer than its own timeout. */
  readonly withinTimeout?: boolean;
}

export type CheckName = 'outcome' | 'detection' | 'rto' | 'data-loss window' | 'lost writes';

/** One line of the verdict: an actual figure against its target. */
export interface ReportCheck {
  readonly name: CheckName;
  readonly pass: boolean;
  /** Human-readable figures, e.g. `32.0 s` and `≤ 60 s`. */
  readonly actual: string;
  readonly target: string;
}

export interface ReportEvent extends LoggedEvent {
  /** From the report's origin. */
  readonly offsetMs: number;
}

export interface DrillReport {
  readonly groupId: string;
  readonly failoverId: string;
  readonly scenario?: string;
  readonly trigger: FailoverRecord['trigger']['kind'];
  readonly from: RegionName;
  readonly to: RegionName;
  readonly planned: boolean;
  readonly outcome: FailoverOutcome;
  readonly pass: boolean;
  /** One line: verdict, route, RTO against target, and what failed. */
  readonly headline: string;
  /** Time zero of every offset: the drill's start (local drills), the fault if known, else the recovery window's start. */
  readonly originAt: EpochMs;
  /** The fault's offset from the origin (0 when the origin is the fault). */
  readonly faultOffsetMs: number;
  /** Who approved the failover (approval mode), and who asked for it (operator trigger). */
  readonly approvedBy?: string;
  readonly requestedBy?: string;
  /** The step still running when the drill ended (a failover in progress). */
  readonly inProgress?: InProgressStep;
  readonly faultInjectedAt?: EpochMs;
  /** Start of the recovery window: detection, or the decision for an operator failover. */
  readonly windowStartAt?: EpochMs;
  /** End of the recovery window: completion, or abort, or the last step reached. */
  readonly windowEndAt?: EpochMs;
  readonly detectionMs?: number;
  readonly steps: readonly ReportStep[];
  /** Completed − detected; the steps' durations sum to it. Undefined when the failover did not complete. */
  readonly rtoMs?: number;
  /** Fault → completed: what users lived through. */
  readonly outageMs?: number;
  /**
   * RTO less the time the failover waited on something other than the control plane (see `OverheadBreakdown`): what
   * the control plane itself adds (its API calls, polling delays, lease handovers, retries, CPU, saves). Goal:
   * `CONTROL_PLANE_OVERHEAD_GOAL_MS` at the default time factor (#11).
   */
  readonly controlPlaneOverheadMs?: number;
  /** Where the overhead is: each step's share, and what was subtracted. */
  readonly overhead?: OverheadBreakdown;
  readonly targets: ReportTargets;
  readonly dataLoss: {
    readonly replicaLagAtPromotionSeconds?: number;
    readonly lostWrites?: number;
    readonly writesPerSecond?: number;
    /** The RPO budget in writes: maxReplicaLagSeconds × writesPerSecond. */
    readonly lostWritesBudget?: number;
  };
  readonly checks: readonly ReportCheck[];
  readonly events: readonly ReportEvent[];
}

/**
 * The control plane's share of a completed failover's RTO. `measured`: the RTO less the union of the world's own
 * waits inside the window: a promotion from the promote call the provider accepted to the instance being writable, the
 * target's catch-up from a read-only fence to its last write arriving (a drain), a DNS change from its submission to
 * INSYNC, a provider API refusing every call from the first refusal to its return, a provider API throttling the calls
 * from the first throttled call's start to the start of the next call it accepted (the refused round trips and the
 * standard retry's backoff between them: the provider's rate limit at work), and an operator from the state that waits
 * for one to the command being queued. Polling after the provider finished, lease handovers, retries after other
 * failures, API round trips and the control plane's own CPU all count as overhead. `phases`
 * (no world facts, e.g. the postgres drill): the RTO less the promotion and DNS sync phases, polling delays included.
 */
export interface OverheadBreakdown {
  readonly basis: 'measured' | 'phases';
  readonly totalMs: number;
  /** Simulated milliseconds of the window spent waiting outside the control plane, by kind (overlaps counted once, in this order). */
  readonly waitedMs: Readonly<Partial<Record<OutsideWait['kind'], number>>>;
  /** Each step's overhead: its duration less the outside waits inside it. Sums to `totalMs`. */
  readonly steps: readonly { readonly name: ReportStepName; readonly overheadMs: number }[];
}

/** The control plane's own share of a drill's RTO may not exceed this (#11): printed next to the figure, never a check. */
export const CONTROL_PLANE_OVERHEAD_GOAL_MS = 2_000;

/**
 * The overhead figure in words, next to its goal.
 *
 * @example
 * overheadLine(report); // 'control-plane overhead 1.4 s (goal ≤ 2.0 s): RTO − the provider's promotion and DNS propagation, operator time'
 */
export function overheadLine(report: DrillReport): string | undefined {
  if (report.controlPlaneOverheadMs === undefined) return undefined;
  const within = report.controlPlaneOverheadMs <= CONTROL_PLANE_OVERHEAD_GOAL_MS;
  const less = report.overhead?.basis === 'measured' ? 'the provider\'s promotion and DNS propagation, operator time' : 'promotion − DNS sync';
  return `control-plane overhead ${formatDuration(report.controlPlaneOverheadMs)} (goal ≤ ${formatDuration(CONTROL_PLANE_OVERHEAD_GOAL_MS)}${within ? '' : ', MISSED'}): RTO − ${less}`;
}

/**
 * The targets a drill of `group` is checked against.
 *
 * @example
 * const targets = targetsOf(group); // { rtoSeconds: 300, detectionSeconds: 60, maxReplicaLagSeconds: 30, stepTimeouts: {...} }
 */
export function targetsOf(group: Pick<GroupConfig, 'policy'>): ReportTargets {
  return {
    rtoSeconds: group.policy.targets.rtoSeconds,
    detectionSeconds: group.policy.targets.detectionSeconds,
    maxReplicaLagSeconds: group.policy.maxReplicaLagSeconds,
    minDetectionMs: minimumDetectionMs(group.policy),
    stepTimeouts: group.policy.stepTimeouts,
  };
}

/**
 * Builds the drill report of one failover: the recovery window cut into steps, each figure against its target.
 * Pure: the same input gives the same report.
 *
 * @example
 * const report = buildDrillReport({ record, events, targets: targetsOf(group), faultInjectedAt, sim: world.dataLoss() });
 * report.pass;                                                  // true when every check passes
 * report.steps.reduce((sum, step) => sum + step.durationMs, 0); // === report.rtoMs
 */
export function buildDrillReport(input: DrillReportInput): DrillReport {
  const { record, targets, faultInjectedAt } = input;
  const timestamps = record.timestamps;
  const windowStartAt = timestamps[windowStartKey(timestamps)];
  const finishedAt = record.outcome === 'completed' ? timestamps.completedAt : timestamps.abortedAt;
  const originAt = input.originAt ?? faultInjectedAt ?? windowStartAt ?? finishedAt ?? firstEventAt(input.events) ?? 0;
  const steps = windowStartAt === undefined ? [] : stepsOf(timestamps, windowStartAt, finishedAt, originAt, targets);
  const windowEndAt = steps.length === 0 ? windowStartAt : (steps[steps.length - 1] as ReportStep).endedAt;
  const completedAt = record.outcome === 'completed' ? windowEndAt : undefined;
  const rtoMs = completedAt !== undefined && windowStartAt !== undefined ? completedAt - windowStartAt : undefined;
  const detectionMs =
    faultInjectedAt !== undefined && timestamps.detectedAt !== undefined ? timestamps.detectedAt - faultInjectedAt : undefined;
  const outageMs = faultInjectedAt !== undefined && completedAt !== undefined ? completedAt - faultInjectedAt : undefined;
  const dataLoss = dataLossOf(record, targets, input.sim);
  const checks = checksOf(record.outcome, targets, { detectionMs, rtoMs, ...dataLoss });
  const pass = checks.every((check) => check.pass);
  const approvedBy = input.events.find((event) => event.type === 'APPROVE' && event.failoverId === record.id)?.actor;
  const inProgress = record.outcome === 'in-progress' ? inProgressStep(input.events, windowEndAt, input.endedAt, originAt) : undefined;
  const overhead = rtoMs === undefined ? undefined : overheadOf(steps, input);
  const controlPlaneOverheadMs = overhead?.totalMs;
  const report: Omit<DrillReport, 'headline'> = {
    groupId: record.groupId,
    failoverId: record.id,
    ...(input.scenario === undefined ? {} : { scenario: input.scenario }),
    trigger: record.trigger.kind,
    from: record.from,
    to: record.to,
    planned: record.planned,
    outcome: record.outcome,
    pass,
    originAt,
    faultOffsetMs: (faultInjectedAt ?? originAt) - originAt,
    ...(approvedBy === undefined ? {} : { approvedBy }),
    ...(record.trigger.kind === 'automatic' ? {} : { requestedBy: record.trigger.principalArn }),
    ...(inProgress === undefined ? {} : { inProgress }),
    ...(faultInjectedAt === undefined ? {} : { faultInjectedAt }),
    ...(windowStartAt === undefined ? {} : { windowStartAt }),
    ...(windowEndAt === undefined ? {} : { windowEndAt }),
    ...(detectionMs === undefined ? {} : { detectionMs }),
    steps,
    ...(rtoMs === undefined ? {} : { rtoMs }),
    ...(outageMs === undefined ? {} : { outageMs }),
    ...(controlPlaneOverheadMs === undefined ? {} : { controlPlaneOverheadMs }),
    ...(overhead === undefined ? {} : { overhead }),
    targets,
    dataLoss,
    checks,
    events: [...input.events].sort((a, b) => a.seq - b.seq).map((event) => ({ ...event, offsetMs: event.at - originAt })),
  };
  return { ...report, headline: headlineOf(report) };
}

/** The phase each step of the machine's `failingOver` state works on (the phase its timestamp ends). */
const PHASE_OF_STEP: Readonly<Record<string, ReportStepName>> = {
  awaitingApproval: 'approval',
  fencing: 'fencing',
  draining: 'draining',
  promoting: 'promotion request',
  awaitingPromotion: 'promotion',
  switchingTraffic: 'traffic switch',
  awaitingDnsSync: 'DNS sync',
  verifying: 'verification',
};

/** The step the last event left the failover in, from the last timestamp it recorded to the drill's end. */
function inProgressStep(
  events: readonly LoggedEvent[],
  lastRecordedAt: EpochMs | undefined,
  endedAt: EpochMs | undefined,
  originAt: EpochMs,
): InProgressStep | undefined {
  const last = [...events].sort((a, b) => a.seq - b.seq).at(-1);
  const name = last === undefined ? undefined : PHASE_OF_STEP[last.state.split('.').at(-1) ?? ''];
  if (name === undefined || endedAt === undefined) return undefined;
  const startedAt = lastRecordedAt ?? last?.at ?? endedAt;
  return { name, startedAt, startOffsetMs: startedAt - originAt, durationMs: Math.max(0, endedAt - startedAt) };
}

function stepsOf(
  timestamps: FailoverTimestamps,
  windowStartAt: EpochMs,
  finishedAt: EpochMs | undefined,
  originAt: EpochMs,
  targets: ReportTargets,
): ReportStep[] {
  const steps: ReportStep[] = [];
  let cursor = windowStartAt;
  const add = (name: ReportStepName, at: EpochMs, timeout?: StepTimeoutKey) => {
    // Clamped, so the steps stay a partition even if a timestamp arrived out of order.
    const endedAt = Math.max(cursor, at);
    const durationMs = endedAt - cursor;
    const timeoutSeconds = timeout === undefined ? undefined : targets.stepTimeouts?.[timeout];
    steps.push({
      name,
      startedAt: cursor,
      endedAt,
      startOffsetMs: cursor - originAt,
      durationMs,
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds, withinTimeout: durationMs <= timeoutSeconds * 1000 }),
    });
    cursor = endedAt;
  };
  for (const phase of failoverPhases(timestamps, finishedAt)) add(phase.definition.name, phase.endedAt, phase.definition.timeout);
  if (finishedAt !== undefined && finishedAt > cursor) add(timestamps.completedAt === finishedAt ? 'completion' : 'abort', finishedAt);
  return steps;
}

/** The overhead of a completed failover's steps (`OverheadBreakdown`). */
function overheadOf(steps: readonly ReportStep[], input: DrillReportInput): OverheadBreakdown {
  if (input.outside === undefined) {
    const waited = (step: ReportStep) => (step.name === 'promotion' || step.name === 'DNS sync' ? step.durationMs : 0);
    const byStep = steps.map((step) => ({ name: step.name, overheadMs: step.durationMs - waited(step) }));
    return {
      basis: 'phases',
      totalMs: byStep.reduce((sum, step) => sum + step.overheadMs, 0),
      waitedMs: {},
      steps: byStep,
    };
  }
  const target = input.record.to;
  const waits = [
    ...input.outside.waits.filter((wait) => wait.kind !== 'replication' || wait.region === target),
    ...operatorWaits(input.events, input.outside.operatorCommandsAt),
  ];
  const byStep = steps.map((step) => ({ name: step.name, overheadMs: step.durationMs - coveredMs(step.startedAt, step.endedAt, waits) }));
  const from = steps[0]?.startedAt ?? 0;
  const to = steps.at(-1)?.endedAt ?? from;
  const waitedMs: Partial<Record<OutsideWait['kind'], number>> = {};
  const counted: OutsideWait[] = [];
  for (const kind of ['promotion', 'replication', 'dns-sync', 'aws-unavailable', 'aws-throttled', 'operator'] as const) {
    const before = coveredMs(from, to, counted);
    counted.push(...waits.filter((wait) => wait.kind === kind));
    const added = coveredMs(from, to, counted) - before;
    if (added > 0) waitedMs[kind] = added;
  }
  return { basis: 'measured', totalMs: byStep.reduce((sum, step) => sum + step.overheadMs, 0), waitedMs, steps: byStep };
}

function dataLossOf(record: FailoverRecord, targets: ReportTargets, sim: MeasuredDataLoss | undefined): DrillReport['dataLoss'] {
  const writesPerSecond = sim?.writesPerSecond;
  return {
    ...(record.replicaLagAtPromotionSeconds === undefined ? {} : { replicaLagAtPromotionSeconds: record.replicaLagAtPromotionSeconds }),
    ...(sim?.lostWrites === undefined ? {} : { lostWrites: sim.lostWrites }),
    ...(writesPerSecond === undefined ? {} : { writesPerSecond, lostWritesBudget: Math.floor(targets.maxReplicaLagSeconds * writesPerSecond) }),
  };
}

function checksOf(
  outcome: FailoverOutcome,
  targets: ReportTargets,
  figures: { detectionMs?: number; rtoMs?: number } & DrillReport['dataLoss'],
): ReportCheck[] {
  const checks: ReportCheck[] = [
    { name: 'outcome', pass: outcome === 'completed', actual: outcome, target: 'completed' },
  ];
  if (figures.detectionMs !== undefined) {
    const floor = targets.minDetectionMs;
    const tooFast = floor !== undefined && figures.detectionMs < floor;
    checks.push({
      name: 'detection',
      pass: figures.detectionMs <= targets.detectionSeconds * 1000 && !tooFast,
      actual: tooFast
        ? `${formatDuration(figures.detectionMs)}: faster than the probe schedule allows (failure threshold − 1 probe intervals)`
        : formatDuration(figures.detectionMs),
      target: floor === undefined ? `≤ ${formatDuration(targets.detectionSeconds * 1000)}` : `${formatDuration(floor)} – ${formatDuration(targets.detectionSeconds * 1000)}`,
    });
  }
  checks.push({
    name: 'rto',
    pass: figures.rtoMs !== undefined && figures.rtoMs <= targets.rtoSeconds * 1000,
    actual: figures.rtoMs === undefined ? 'did not complete' : formatDuration(figures.rtoMs),
    target: `≤ ${formatDuration(targets.rtoSeconds * 1000)}`,
  });
  if (figures.replicaLagAtPromotionSeconds !== undefined) {
    checks.push({
      name: 'data-loss window',
      pass: figures.replicaLagAtPromotionSeconds <= targets.maxReplicaLagSeconds,
      actual: `${formatSeconds(figures.replicaLagAtPromotionSeconds)} of replica lag`,
      target: `≤ ${formatSeconds(targets.maxReplicaLagSeconds)}`,
    });
  }
  if (figures.lostWrites !== undefined && figures.lostWritesBudget !== undefined) {
    checks.push({
      name: 'lost writes',
      pass: figures.lostWrites <= figures.lostWritesBudget,
      actual: `${figures.lostWrites} writes`,
      target: `≤ ${figures.lostWritesBudget} (${formatSeconds(targets.maxReplicaLagSeconds)} × ${figures.writesPerSecond}/s)`,
    });
  }
  return checks;
}

function headlineOf(report: Omit<DrillReport, 'headline'>): string {
  const route = `${report.groupId}: ${report.from} → ${report.to}`;
  const rto = report.rtoMs === undefined ? `${report.outcome}` : `recovered in ${formatDuration(report.rtoMs)}`;
  const target = `RTO target ${formatDuration(report.targets.rtoSeconds * 1000)}`;
  const failed = report.checks.filter((check) => !check.pass).map((check) => `${check.name} ${check.actual} (target ${check.target})`);
  return `${report.pass ? 'PASS' : 'FAIL'}  ${route} ${rto} (${target})${failed.length === 0 ? '' : `; failed: ${failed.join('; ')}`}`;
}

function firstEventAt(events: readonly LoggedEvent[]): EpochMs | undefined {
  return events.length === 0 ? undefined : Math.min(...events.map((event) => event.at));
}

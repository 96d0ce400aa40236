import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverOutcome, FailoverRecord, FailoverTimestamps, LoggedEvent, RegionName } from '../domain/types.js';
import { failoverPhases, windowStartKey, type PhaseName, type PhaseTimeoutKey } from '../domain/phases.js';
import { formatDuration, formatOffset, formatSeconds } from './format.js';
export { formatDuration } from './format.js';
import { minimumDetectionMs } from './physics.js';
import { renderTimelineSvg } from './timeline-svg.js';

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
  /** Time zero of every offset: the fault if known, else the start of the recovery window. */
  readonly originAt: EpochMs;
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
 * The targets a drill of `group` is checked against.
 *
 * @example
 * const targets = targetsOf(group); // { rtoSeconds: 300, detectionSeconds: 60, maxReplicaLagSeconds: 30, stepTimeouts: {...} }
 */
export function targetsOf(group: GroupConfig): ReportTargets {
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
  const originAt = faultInjectedAt ?? windowStartAt ?? finishedAt ?? firstEventAt(input.events) ?? 0;
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
    ...(faultInjectedAt === undefined ? {} : { faultInjectedAt }),
    ...(windowStartAt === undefined ? {} : { windowStartAt }),
    ...(windowEndAt === undefined ? {} : { windowEndAt }),
    ...(detectionMs === undefined ? {} : { detectionMs }),
    steps,
    ...(rtoMs === undefined ? {} : { rtoMs }),
    ...(outageMs === undefined ? {} : { outageMs }),
    targets,
    dataLoss,
    checks,
    events: [...input.events].sort((a, b) => a.seq - b.seq).map((event) => ({ ...event, offsetMs: event.at - originAt })),
  };
  return { ...report, headline: headlineOf(report) };
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

/**
 * The report as pretty JSON, for machines and for archiving next to the HTML.
 *
 * @example
 * await writeFile('reports/drill.json', renderJson(report));
 */
export function renderJson(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The report as Markdown: headline, ASCII timeline, checks, steps, data loss, events.
 *
 * @example
 * await writeFile('reports/drill.md', renderMarkdown(report));
 */
export function renderMarkdown(report: DrillReport): string {
  const lines = [
    `# Drill report: ${report.scenario ?? report.failoverId}`,
    '',
    `**${report.headline}**`,
    '',
    `Group \`${report.groupId}\`, failover \`${report.failoverId}\`, trigger ${report.trigger}, ${report.planned ? 'planned switchover' : 'unplanned failover'}.`,
    '',
    '```text',
    renderTimelineText(report).trimEnd(),
    '```',
    '',
    '## Checks',
    '',
    '| check | actual | target | result |',
    '| --- | --- | --- | --- |',
    ...report.checks.map((check) => `| ${check.name} | ${check.actual} | ${check.target} | ${check.pass ? 'pass' : '**FAIL**'} |`),
    '',
    '## Steps',
    '',
    '| step | starts | duration | step timeout |',
    '| --- | --- | --- | --- |',
    ...report.steps.map(
      (step) =>
        `| ${step.name} | ${formatOffset(step.startOffsetMs)} | ${formatDuration(step.durationMs)} | ${
          step.timeoutSeconds === undefined ? '' : `${formatSeconds(step.timeoutSeconds)}${step.withinTimeout === false ? ' **exceeded**' : ''}`
        } |`,
    ),
    ...(report.rtoMs === undefined ? [] : [`| **total (RTO)** | | **${formatDuration(report.rtoMs)}** | |`]),
    '',
    '## Data loss',
    '',
    ...dataLossLines(report).map((line) => `- ${line}`),
    '',
    '## Events',
    '',
    '| time | event | state | message |',
    '| --- | --- | --- | --- |',
    ...report.events.map(
      (event) => `| ${formatOffset(event.offsetMs)} | ${event.type} | ${event.state} | ${event.message.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function dataLossLines(report: DrillReport): string[] {
  const { dataLoss, targets } = report;
  const lines = [
    dataLoss.replicaLagAtPromotionSeconds === undefined
      ? 'Replica lag at promotion: not recorded.'
      : `Replica lag at promotion (the data-loss window): ${formatSeconds(dataLoss.replicaLagAtPromotionSeconds)}, budget ${formatSeconds(targets.maxReplicaLagSeconds)}.`,
  ];
  if (dataLoss.lostWrites !== undefined) {
    lines.push(
      `Writes the old primary accepted that never reached ${report.to}: ${dataLoss.lostWrites}` +
        (dataLoss.lostWritesBudget === undefined ? '.' : ` (budget ${dataLoss.lostWritesBudget} at ${dataLoss.writesPerSecond} writes/s).`),
    );
  }
  return lines;
}

const TEXT_WIDTH = 60;

/**
 * A plain-text timeline for the terminal: one row per step, bars proportional to time from the fault.
 *
 * @example
 * console.log(renderTimelineText(report));
 * // detection      |#####                          |  32.0 s
 * // fencing        |     ##                        |   5.3 s
 */
export function renderTimelineText(report: DrillReport): string {
  const rows: { label: string; startMs: number; durationMs: number; note?: string }[] = [];
  if (report.detectionMs !== undefined) rows.push({ label: 'detection', startMs: 0, durationMs: report.detectionMs });
  for (const step of report.steps) {
    rows.push({
      label: step.name,
      startMs: step.startOffsetMs,
      durationMs: step.durationMs,
      ...(step.withinTimeout === false ? { note: `over ${formatSeconds(step.timeoutSeconds ?? 0)} timeout` } : {}),
    });
  }
  const rtoTargetOffset = (report.windowStartAt ?? report.originAt) - report.originAt + report.targets.rtoSeconds * 1000;
  const spanMs = Math.max(1, rtoTargetOffset, ...rows.map((row) => row.startMs + row.durationMs));
  const column = (ms: number) => Math.min(TEXT_WIDTH - 1, Math.floor((ms / spanMs) * TEXT_WIDTH));
  const labelWidth = Math.max(...rows.map((row) => row.label.length), 'RTO target'.length) + 2;
  const targetColumn = column(rtoTargetOffset);
  const lines = [report.headline, ''];
  for (const row of rows) {
    const cells = Array.from<unknown, string>({ length: TEXT_WIDTH }, (_, index) => (index === targetColumn ? ':' : ' '));
    const first = column(row.startMs);
    const last = row.durationMs === 0 ? first : Math.max(first, column(row.startMs + row.durationMs) - 1);
    for (let index = first; index <= last; index += 1) cells[index] = row.durationMs === 0 ? '+' : '#';
    const duration = formatDuration(row.durationMs).padStart(11);
    lines.push(`${row.label.padEnd(labelWidth)}|${cells.join('')}|${duration}${row.note === undefined ? '' : `  ${row.note}`}`);
  }
  const axis = Array.from({ length: TEXT_WIDTH }, (_, index) => (index === targetColumn ? '^' : '-'));
  lines.push(`${''.padEnd(labelWidth)}+${axis.join('')}+`);
  const end = formatDuration(spanMs);
  lines.push(`${'fault'.padEnd(labelWidth)}0${' '.repeat(Math.max(1, TEXT_WIDTH + 1 - end.length))}${end}`);
  lines.push(`${'RTO target'.padEnd(labelWidth)}${' '.repeat(targetColumn + 1)}^ ${formatDuration(report.targets.rtoSeconds * 1000)} after detection`);
  lines.push('');
  for (const check of report.checks) {
    lines.push(`${check.pass ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(16)} ${check.actual}  (target ${check.target})`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The report as one self-contained HTML page (inline CSS and SVG, no external assets).
 *
 * @example
 * await writeFile('reports/drill.html', renderHtml(report));
 */
export function renderHtml(report: DrillReport): string {
  const verdict = report.pass ? 'pass' : 'fail';
  const checkRows = report.checks
    .map(
      (check) =>
        `<tr class="${check.pass ? 'pass' : 'fail'}"><td>${escapeHtml(check.name)}</td><td>${escapeHtml(check.actual)}</td><td>${escapeHtml(check.target)}</td><td>${check.pass ? '✔ pass' : '✘ FAIL'}</td></tr>`,
    )
    .join('\n');
  const stepRows = report.steps
    .map(
      (step) =>
        `<tr${step.withinTimeout === false ? ' class="fail"' : ''}><td>${escapeHtml(step.name)}</td><td>${formatOffset(step.startOffsetMs)}</td><td>${formatDuration(step.durationMs)}</td><td>${
          step.timeoutSeconds === undefined ? '' : `${formatSeconds(step.timeoutSeconds)}${step.withinTimeout === false ? ' (exceeded)' : ''}`
        }</td></tr>`,
    )
    .join('\n');
  const eventRows = report.events
    .map(
      (event) =>
        `<tr><td>${formatOffset(event.offsetMs)}</td><td>${escapeHtml(event.type)}</td><td>${escapeHtml(event.state)}</td><td>${escapeHtml(event.message)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drill report: ${escapeHtml(report.scenario ?? report.failoverId)} (${verdict.toUpperCase()})</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
header { border-radius: 8px; padding: 16px 20px; color: #fff; }
header.pass { background: #1e7b4f; }
header.fail { background: #b42318; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: 0.9; }
section { background: #fff; border-radius: 8px; margin-top: 16px; padding: 16px 20px; box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
h2 { font-size: 17px; margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
tr.fail td { color: #b42318; font-weight: 600; }
tr.pass td:last-child { color: #1e7b4f; font-weight: 600; }
svg { width: 100%; height: auto; display: block; }
</style>
</head>
<body>
<main>
<header class="${verdict}">
<h1>${escapeHtml(report.headline)}</h1>
<p>Scenario ${escapeHtml(report.scenario ?? '(none)')} · group ${escapeHtml(report.groupId)} · failover ${escapeHtml(report.failoverId)} · trigger ${escapeHtml(report.trigger)} · ${report.planned ? 'planned switchover' : 'unplanned failover'}</p>
</header>
<section>
<h2>Timeline</h2>
${renderTimelineSvg(report)}
</section>
<section>
<h2>Checks</h2>
<table><thead><tr><th>check</th><th>actual</th><th>target</th><th>result</th></tr></thead>
<tbody>
${checkRows}
</tbody></table>
</section>
<section>
<h2>Steps</h2>
<table><thead><tr><th>step</th><th>starts</th><th>duration</th><th>step timeout</th></tr></thead>
<tbody>
${stepRows}
</tbody></table>
</section>
<section>
<h2>Data loss</h2>
${dataLossLines(report)
  .map((line) => `<p>${escapeHtml(line)}</p>`)
  .join('\n')}
</section>
<section>
<h2>Events</h2>
<table><thead><tr><th>time</th><th>event</th><th>state</th><th>message</th></tr></thead>
<tbody>
${eventRows}
</tbody></table>
</section>
</main>
</body>
</html>
`;
}

/** Escapes text for HTML and SVG content and attributes. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

import { formatDuration, formatSeconds } from '../format.js';
import { overheadLine, type DrillReport } from '../report.js';

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
  const rows: { label: string; startMs: number; durationMs: number; note?: string; inProgress?: boolean }[] = [];
  if (report.detectionMs !== undefined) rows.push({ label: 'detection', startMs: report.faultOffsetMs, durationMs: report.detectionMs });
  for (const step of report.steps) {
    rows.push({
      label: step.name,
      startMs: step.startOffsetMs,
      durationMs: step.durationMs,
      ...(step.withinTimeout === false ? { note: `over ${formatSeconds(step.timeoutSeconds ?? 0)} timeout` } : {}),
    });
  }
  const running = report.inProgress;
  if (running !== undefined) {
    rows.push({ label: running.name, startMs: running.startOffsetMs, durationMs: running.durationMs, note: 'in progress when the drill ended', inProgress: true });
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
    for (let index = first; index <= last; index += 1) cells[index] = row.durationMs === 0 ? '+' : row.inProgress === true ? '=' : '#';
    const duration = formatDuration(row.durationMs).padStart(11);
    lines.push(`${row.label.padEnd(labelWidth)}|${cells.join('')}|${duration}${row.note === undefined ? '' : `  ${row.note}`}`);
  }
  const axis = Array.from({ length: TEXT_WIDTH }, (_, index) => (index === targetColumn ? '^' : '-'));
  lines.push(`${''.padEnd(labelWidth)}+${axis.join('')}+`);
  const end = formatDuration(spanMs);
  lines.push(`${(report.faultOffsetMs === 0 && report.faultInjectedAt !== undefined ? 'fault' : 'T+0').padEnd(labelWidth)}0${' '.repeat(Math.max(1, TEXT_WIDTH + 1 - end.length))}${end}`);
  lines.push(`${'RTO target'.padEnd(labelWidth)}${' '.repeat(targetColumn + 1)}^ ${formatDuration(report.targets.rtoSeconds * 1000)} after detection`);
  lines.push('');
  for (const check of report.checks) {
    lines.push(`${check.pass ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(16)} ${check.actual}  (target ${check.target})`);
  }
  const overhead = overheadLine(report);
  if (overhead !== undefined) lines.push(`info  ${overhead}`);
  return `${lines.join('\n')}\n`;
}

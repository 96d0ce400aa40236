import { formatDuration, formatUtcDate } from '../format.js';
import type { DrillReport, ReportStepName } from '../report.js';
import { escapeHtml } from './escapeHtml.js';

const WIDTH = 960;
const PLOT_LEFT = 170;
const PLOT_RIGHT = WIDTH - 120;
const PLOT_WIDTH = PLOT_RIGHT - PLOT_LEFT;
const ROWS_TOP = 96;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 18;
/** Rough width of one character of a 13 px semibold label, to keep labels inside the picture. */
const LABEL_CHAR_WIDTH = 7.6;
const PASS = '#1e7b4f';
const FAIL = '#b42318';

const STEP_COLOURS: Record<ReportStepName, string> = {
  decision: '#64748b',
  approval: '#a16207',
  fencing: '#7c3aed',
  draining: '#0891b2',
  'promotion request': '#60a5fa',
  promotion: '#2563eb',
  'traffic switch': '#0d9488',
  'DNS sync': '#059669',
  verification: '#65a30d',
  completion: '#94a3b8',
  abort: FAIL,
};

/** Tick spacings in seconds; the first that gives at most eight ticks wins. */
const TICK_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200];

/**
 * The drill timeline as an inline SVG: a pass/fail headline, a hatched detection bar from the fault,
 * then one `<rect class="step">` per step whose x and width are proportional to time, each labelled with
 * its name and duration, a bracket spanning the RTO, and a dashed line at the RTO target.
 *
 * @example
 * const svg = renderTimelineSvg(report); // '<svg xmlns="http://www.w3.org/2000/svg" ...'
 */
export function renderTimelineSvg(report: DrillReport): string {
  const rtoTargetOffset = (report.windowStartAt ?? report.originAt) - report.originAt + report.targets.rtoSeconds * 1000;
  const running = report.inProgress;
  const lastOffset = Math.max(
    0,
    ...report.steps.map((step) => step.startOffsetMs + step.durationMs),
    report.faultOffsetMs + (report.detectionMs ?? 0),
    running === undefined ? 0 : running.startOffsetMs + running.durationMs,
  );
  const spanMs = Math.max(1_000, rtoTargetOffset, lastOffset) * 1.02;
  const x = (offsetMs: number) => PLOT_LEFT + (offsetMs / spanMs) * PLOT_WIDTH;
  const rowCount = report.steps.length + (report.detectionMs === undefined ? 0 : 1) + (running === undefined ? 0 : 1);
  const bracketY = ROWS_TOP + rowCount * ROW_HEIGHT + 6;
  const axisY = bracketY + (report.rtoMs === undefined ? 0 : 26);
  const height = axisY + 56;
  const verdictColour = report.pass ? PASS : FAIL;
  const parts: string[] = [];

  parts.push(
    `<text x="16" y="30" font-size="19" font-weight="700" fill="${verdictColour}">${escapeHtml(report.pass ? '✔ PASS' : '✘ FAIL')}</text>`,
    `<text x="110" y="30" font-size="17" font-weight="600" fill="#1f2933">${escapeHtml(summaryOf(report))}</text>`,
    `<text x="16" y="54" font-size="13" fill="#52606d">${escapeHtml(sublineOf(report))}</text>`,
  );

  for (const seconds of ticksFor(spanMs)) {
    const tickX = x(seconds * 1000).toFixed(1);
    parts.push(
      `<line x1="${tickX}" y1="${ROWS_TOP - 6}" x2="${tickX}" y2="${axisY}" stroke="#e4e7eb" stroke-width="1"/>`,
      `<text x="${tickX}" y="${axisY + 18}" font-size="12" fill="#52606d" text-anchor="middle">${tickLabel(seconds)}</text>`,
    );
  }
  parts.push(`<line x1="${PLOT_LEFT}" y1="${axisY}" x2="${PLOT_RIGHT}" y2="${axisY}" stroke="#9aa5b1" stroke-width="1"/>`);
  parts.push(
    `<text x="${PLOT_LEFT}" y="${axisY + 40}" font-size="12" fill="#52606d">time since ${report.faultOffsetMs > 0 ? 'the drill started' : report.faultInjectedAt === undefined ? 'detection' : 'the fault was injected'} (T+0 = ${escapeHtml(formatUtcDate(report.originAt))})</text>`,
  );

  let row = 0;
  const rowY = () => ROWS_TOP + row * ROW_HEIGHT;
  if (report.detectionMs !== undefined) {
    const y = rowY();
    const faultX = x(report.faultOffsetMs);
    const width = Math.max(0, x(report.faultOffsetMs + report.detectionMs) - faultX);
    const detectionPass = report.checks.find((check) => check.name === 'detection')?.pass ?? true;
    parts.push(
      label(y, 'detection', detectionPass ? '#1f2933' : FAIL),
      `<path class="detection" d="M${faultX.toFixed(2)} ${y}h${width.toFixed(2)}v${BAR_HEIGHT}h${(-width).toFixed(2)}z" fill="url(#hatch)" stroke="#d97706" stroke-width="1"/>`,
      durationLabel(faultX, faultX + width, y, report.detectionMs, detectionPass ? '#1f2933' : FAIL),
    );
    row += 1;
  }
  for (const step of report.steps) {
    const y = rowY();
    const barX = x(step.startOffsetMs);
    const width = (step.durationMs / spanMs) * PLOT_WIDTH;
    const over = step.withinTimeout === false;
    parts.push(
      label(y, step.name, over ? FAIL : '#1f2933'),
      `<rect class="step" data-step="${escapeHtml(step.name)}" data-duration-ms="${step.durationMs}" x="${barX.toFixed(2)}" y="${y}" width="${width.toFixed(3)}" height="${BAR_HEIGHT}" rx="2" fill="${STEP_COLOURS[step.name]}"${over ? ` stroke="${FAIL}" stroke-width="2"` : ''}><title>${escapeHtml(`${step.name}: ${formatDuration(step.durationMs)}`)}</title></rect>`,
    );
    if (width < 2) {
      parts.push(`<line x1="${barX.toFixed(2)}" y1="${y - 2}" x2="${barX.toFixed(2)}" y2="${y + BAR_HEIGHT + 2}" stroke="${STEP_COLOURS[step.name]}" stroke-width="2"/>`);
    }
    parts.push(durationLabel(barX, barX + width, y, step.durationMs, over ? FAIL : '#1f2933', over ? ` (over ${step.timeoutSeconds} s)` : ''));
    row += 1;
  }

  if (running !== undefined) {
    const y = rowY();
    const barX = x(running.startOffsetMs);
    const width = (running.durationMs / spanMs) * PLOT_WIDTH;
    const colour = STEP_COLOURS[running.name];
    parts.push(
      label(y, running.name, '#1f2933'),
      `<rect class="step in-progress" data-step="${escapeHtml(running.name)}" data-duration-ms="${running.durationMs}" x="${barX.toFixed(2)}" y="${y}" width="${width.toFixed(3)}" height="${BAR_HEIGHT}" rx="2" fill="${colour}" fill-opacity="0.35" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"><title>${escapeHtml(`${running.name}: in progress for ${formatDuration(running.durationMs)} when the drill ended`)}</title></rect>`,
      durationLabel(barX, barX + width, y, running.durationMs, '#1f2933', ' so far (in progress)'),
    );
    row += 1;
  }

  if (report.rtoMs !== undefined && report.windowStartAt !== undefined) {
    const startX = x(report.windowStartAt - report.originAt);
    const endX = x(report.windowStartAt - report.originAt + report.rtoMs);
    const rtoColour = report.checks.find((check) => check.name === 'rto')?.pass === true ? PASS : FAIL;
    parts.push(
      `<path class="rto" d="M${startX.toFixed(1)} ${bracketY}v8H${endX.toFixed(1)}v-8" fill="none" stroke="${rtoColour}" stroke-width="2"/>`,
      `<text x="${((startX + endX) / 2).toFixed(1)}" y="${bracketY + 22}" font-size="13" font-weight="700" fill="${rtoColour}" text-anchor="middle">RTO ${escapeHtml(formatDuration(report.rtoMs))}</text>`,
    );
  }

  const targetX = x(rtoTargetOffset).toFixed(1);
  parts.push(
    `<line class="rto-target" x1="${targetX}" y1="${ROWS_TOP - 14}" x2="${targetX}" y2="${axisY}" stroke="${FAIL}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    `<text x="${targetX}" y="${ROWS_TOP - 18}" font-size="12" fill="${FAIL}" text-anchor="middle">RTO target ${escapeHtml(formatDuration(report.targets.rtoSeconds * 1000))}</text>`,
  );
  if (report.faultInjectedAt !== undefined) {
    const faultX = x(report.faultOffsetMs).toFixed(1);
    parts.push(
      `<line x1="${faultX}" y1="${ROWS_TOP - 14}" x2="${faultX}" y2="${axisY}" stroke="#d97706" stroke-width="2"/>`,
      `<text x="${faultX}" y="${ROWS_TOP - 18}" font-size="12" fill="#b45309" text-anchor="middle">fault</text>`,
    );
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(report.headline)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<title>${escapeHtml(report.headline)}</title>`,
    '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><path d="M0 0v8" stroke="#f59e0b" stroke-width="4"/></pattern></defs>',
    ...parts,
    '</svg>',
  ].join('\n');
}

function summaryOf(report: DrillReport): string {
  const route = `${report.from} → ${report.to}`;
  if (report.rtoMs === undefined) return `${report.groupId}: ${route} ${report.outcome}`;
  return `${report.groupId}: ${route} recovered in ${formatDuration(report.rtoMs)} (target ${formatDuration(report.targets.rtoSeconds * 1000)})`;
}

function sublineOf(report: DrillReport): string {
  const parts = [report.scenario === undefined ? `failover ${report.failoverId}` : `drill ${report.scenario}`];
  const detection = report.checks.find((check) => check.name === 'detection');
  if (detection !== undefined) parts.push(`detected in ${detection.actual}`);
  if (report.dataLoss.replicaLagAtPromotionSeconds !== undefined) parts.push(`data-loss window ${report.dataLoss.replicaLagAtPromotionSeconds} s`);
  if (report.dataLoss.lostWrites !== undefined) parts.push(`${report.dataLoss.lostWrites} writes lost`);
  const failed = report.checks.filter((check) => !check.pass).map((check) => check.name);
  if (failed.length > 0) parts.push(`failed: ${failed.join(', ')}`);
  return parts.join(' · ');
}

function label(y: number, text: string, colour: string): string {
  return `<text x="${PLOT_LEFT - 12}" y="${y + BAR_HEIGHT - 4}" font-size="14" fill="${colour}" text-anchor="end">${escapeHtml(text)}</text>`;
}

/** Right of the bar; inside it (white) or left of it when the text would run off the picture. */
function durationLabel(startX: number, endX: number, y: number, durationMs: number, colour: string, suffix = ''): string {
  const text = escapeHtml(formatDuration(durationMs) + suffix);
  const textWidth = (formatDuration(durationMs) + suffix).length * LABEL_CHAR_WIDTH;
  const baseline = y + BAR_HEIGHT - 4;
  const attributes = `y="${baseline}" font-size="13" font-weight="600"`;
  if (endX + 6 + textWidth <= WIDTH - 4) return `<text x="${(endX + 6).toFixed(1)}" ${attributes} fill="${colour}">${text}</text>`;
  if (endX - startX >= textWidth + 12) {
    return `<text x="${(endX - 6).toFixed(1)}" ${attributes} fill="#ffffff" text-anchor="end">${text}</text>`;
  }
  return `<text x="${(startX - 6).toFixed(1)}" ${attributes} fill="${colour}" text-anchor="end">${text}</text>`;
}

function ticksFor(spanMs: number): number[] {
  const spanSeconds = spanMs / 1000;
  const step = TICK_SECONDS.find((seconds) => spanSeconds / seconds <= 8) ?? Math.ceil(spanSeconds / 8);
  const ticks: number[] = [];
  for (let seconds = 0; seconds <= spanSeconds; seconds += step) ticks.push(seconds);
  return ticks;
}

function tickLabel(seconds: number): string {
  if (seconds === 0) return '0';
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

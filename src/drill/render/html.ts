import { formatDuration, formatOffset, formatSeconds } from '../format.js';
import type { DrillReport } from '../report.js';
import { dataLossLines } from './dataLoss.js';
import { escapeHtml } from './escapeHtml.js';
import { renderTimelineSvg } from './svg.js';

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

import { extname } from 'node:path';
import type { LoggedEvent } from '../domain/types.js';
import type { ExpectationResult } from './expectations.js';
import { formatDuration } from './format.js';
import { escapeHtml } from './render/escapeHtml.js';
import { renderHtml } from './render/html.js';
import { renderMarkdown } from './render/markdown.js';
import { renderTimelineText } from './render/text.js';
import type { DrillProgress, DrillResult } from './runDrill.js';

/** Room for one event line in a terminal. */
const LINE_WIDTH = 160;

/**
 * One line of live output for a progress event, or undefined for events not worth a line.
 *
 * @example
 * const line = progressLine({ kind: 'action', atMs: 10_000, description: 'fault injected: region-outage eu-west-1' });
 * // 'T+  10.0 s  fault injected: region-outage eu-west-1'
 */
export function progressLine(progress: DrillProgress): string | undefined {
  switch (progress.kind) {
    case 'started': {
      const { scenario } = progress;
      return [
        `drill ${scenario.name}: ${scenario.description}`,
        `group ${progress.groupId}; simulated time runs ×${progress.factor} (and stands still during storage calls)`,
        '',
      ].join('\n');
    }
    case 'action':
      return `${offset(progress.atMs)}  » ${progress.description}`;
    case 'event':
      return clip(`${offset(progress.atMs)}  ${eventLine(progress.event)}`);
    case 'finished':
      return `\n${offset(progress.atMs)}  drill ended in ${progress.state} after ${(progress.realMs / 1000).toFixed(1)} s of real time\n`;
  }
}

function eventLine(event: LoggedEvent): string {
  return `${event.state.padEnd(32)} ${event.type.padEnd(18)} ${event.message}`;
}

function offset(ms: number): string {
  return `T+${(ms / 1000).toFixed(1).padStart(6)} s`;
}

function clip(line: string): string {
  return line.length <= LINE_WIDTH ? line : `${line.slice(0, LINE_WIDTH - 1)}…`;
}

/**
 * The end of a drill for the terminal: the report's text timeline and checks (when a failover happened), then one
 * line per expectation of the scenario, then the verdict.
 *
 * @example
 * console.log(renderSummary(result));
 */
export function renderSummary(result: DrillResult): string {
  const lines: string[] = [];
  if (result.report === undefined) {
    lines.push(`no failover: ${result.endState.state}, primary ${result.endState.primaryRegion}`);
  } else {
    // The text timeline ends with the report's own checks against the group's targets.
    lines.push(renderTimelineText(result.report));
  }
  lines.push('', `scenario ${result.scenario.name}:`);
  for (const expectation of [...result.expectationResults, ...result.physics]) lines.push(`  ${expectationLine(expectation)}`);
  const { starvation } = result.trust;
  lines.push(
    '',
    starvation.measured
      ? `the machine kept the drill waiting ${formatDuration(starvation.cpuWaitMs + starvation.stalledMs)} of ${formatDuration(result.endState.realMs)} (for a CPU ${formatDuration(starvation.cpuWaitMs)}, stalled ${formatDuration(starvation.stalledMs)}, longest stall ${formatDuration(starvation.longestStallMs)}); the clock stood still meanwhile`
      : `the drill stalled ${formatDuration(starvation.stalledMs)} of ${formatDuration(result.endState.realMs)} (longest ${formatDuration(starvation.longestStallMs)}); the clock stood still meanwhile (CPU waits are not measurable on this system)`,
  );
  lines.push('', verdictLine(result));
  for (const reason of result.trust.reasons) lines.push(`  ${reason}`);
  return lines.join('\n');
}

/**
 * The last line of a drill: PASS, FAIL with what did not hold, or NOT TRUSTED (no verdict: the machine was too busy).
 *
 * @example
 * verdictLine(result); // 'PASS  primary-region-outage: every expectation held'
 */
export function verdictLine(result: DrillResult): string {
  const name = result.scenario.name;
  switch (result.outcome) {
    case 'not-trusted':
      return `NOT TRUSTED  ${name}: the machine was too busy; result not trusted (no verdict)`;
    case 'pass':
      return `PASS  ${name}: every expectation held`;
    case 'fail': {
      const failed = [...result.expectationResults, ...result.physics].filter((expectation) => !expectation.pass);
      const timedOut = result.endState.timedOut ? ` (time box of ${formatDuration(result.scenario.timeBoxSeconds * 1000)} reached)` : '';
      return `FAIL  ${name}: ${failed.map((expectation) => expectation.name).join(', ')} did not hold${timedOut}`;
    }
  }
}

function expectationLine(expectation: ExpectationResult): string {
  return `${expectation.pass ? 'ok  ' : 'FAIL'}  ${expectation.name}: ${expectation.actual} (expected ${expectation.expected})`;
}

/**
 * The drill written to a file whose extension picks the format: `.json`, `.md` or `.html`.
 * A drill without a failover (its scenario expects none) still gets its expectations and events.
 *
 * @example
 * await writeFile('drill.html', renderResultFile(result, 'drill.html'));
 */
export function renderResultFile(result: DrillResult, path: string): string {
  const format = extname(path).toLowerCase();
  switch (format) {
    case '.json':
      return `${JSON.stringify(
        {
          scenario: result.scenario.name,
          pass: result.pass,
          expectations: result.expectationResults,
          endState: result.endState,
          report: result.report,
          events: result.report === undefined ? result.events : undefined,
        },
        null,
        2,
      )}\n`;
    case '.md':
      return [
        `# Drill ${result.scenario.name}: ${result.pass ? 'PASS' : 'FAIL'}`,
        '',
        result.scenario.description,
        '',
        '| expectation | result | actual | expected |',
        '| --- | --- | --- | --- |',
        ...result.expectationResults.map((e) => `| ${e.name} | ${e.pass ? 'ok' : 'FAIL'} | ${e.actual} | ${e.expected} |`),
        '',
        result.report === undefined ? eventsMarkdown(result.events) : renderMarkdown(result.report),
      ].join('\n');
    case '.html':
      return result.report === undefined ? noFailoverHtml(result) : withExpectations(renderHtml(result.report), result);
    default:
      throw new RangeError(`--report ${path}: the extension must be .json, .md or .html`);
  }
}

/** Whether `path` names a report format `renderResultFile` writes. */
export function isReportPath(path: string): boolean {
  return ['.json', '.md', '.html'].includes(extname(path).toLowerCase());
}

function eventsMarkdown(events: readonly LoggedEvent[]): string {
  return ['## Events', '', ...events.map((event) => `- \`${event.state}\` ${event.type}: ${event.message}`)].join('\n');
}

function expectationsHtml(result: DrillResult): string {
  const rows = result.expectationResults
    .map((e) => `<tr><td>${escapeHtml(e.name)}</td><td>${e.pass ? 'ok' : 'FAIL'}</td><td>${escapeHtml(e.actual)}</td><td>${escapeHtml(e.expected)}</td></tr>`)
    .join('');
  return `<section class="expectations"><h2>Scenario ${escapeHtml(result.scenario.name)}: ${result.pass ? 'PASS' : 'FAIL'}</h2><p>${escapeHtml(result.scenario.description)}</p><table><tr><th>expectation</th><th>result</th><th>actual</th><th>expected</th></tr>${rows}</table></section>`;
}

function withExpectations(html: string, result: DrillResult): string {
  return html.replace('</body>', `${expectationsHtml(result)}</body>`);
}

function noFailoverHtml(result: DrillResult): string {
  const events = result.events.map((event) => `<li><code>${escapeHtml(event.state)}</code> ${escapeHtml(event.type)}: ${escapeHtml(event.message)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drill ${escapeHtml(result.scenario.name)}</title></head><body>${expectationsHtml(result)}<h2>Events</h2><ul>${events}</ul></body></html>\n`;
}

import { extname } from 'node:path';
import type { LoggedEvent } from '../domain/types.js';
import type { ExpectationResult } from './expectations.js';
import { formatDuration, formatUtc, formatUtcDate } from './format.js';
import { htmlDocument, paragraphs, renderHtml, table, type HtmlSection } from './render/html.js';
import { renderMarkdown } from './render/markdown.js';
import { renderTimelineText } from './render/text.js';
import type { DrillProgress } from './progress.js';
import type { DrillResult } from './result.js';

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
        `group ${progress.groupId}; simulated time runs ×${progress.factor} (and stands still during storage calls, probes and CPU waits)`,
        `T+0 = ${formatUtcDate(progress.at)} (simulated)`,
        '',
      ].join('\n');
    }
    case 'action':
      return `${offset(progress.atMs)}  ${formatUtc(progress.at)}  » ${progress.description}`;
    case 'event':
      return clip(`${offset(progress.atMs)}  ${formatUtc(progress.at)}  ${eventLine(progress.event)}`);
    case 'finished':
      return `\n${offset(progress.atMs)}  ${formatUtc(progress.at)}  drill ended in ${progress.state} after ${(progress.realMs / 1000).toFixed(1)} s of real time\n`;
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
  if (starvation !== undefined) {
    lines.push(
      '',
      starvation.measured
        ? `the machine kept the drill waiting ${formatDuration(starvation.cpuWaitMs + starvation.stalledMs)} of ${formatDuration(result.endState.realMs)} (for a CPU ${formatDuration(starvation.cpuWaitMs)}, stalled ${formatDuration(starvation.stalledMs)}, longest stall ${formatDuration(starvation.longestStallMs)}); the clock stood still meanwhile`
        : `the drill stalled ${formatDuration(starvation.stalledMs)} of ${formatDuration(result.endState.realMs)} (longest ${formatDuration(starvation.longestStallMs)}); the clock stood still meanwhile (CPU waits are not measurable on this system)`,
    );
  }
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
 * A drill without a failover (its scenario expects none) still gets its expectations, its verdict history (why nothing
 * happened) and its events.
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
          outcome: result.outcome,
          pass: result.pass,
          trust: result.trust,
          startedAt: result.startedAt,
          expectations: result.expectationResults,
          physics: result.physics,
          endState: result.endState,
          report: result.report,
          verdicts: result.verdicts,
          events: result.report === undefined ? result.events : undefined,
        },
        null,
        2,
      )}\n`;
    case '.md':
      return [
        `# Drill ${result.scenario.name}: ${verdictWord(result)}`,
        '',
        result.scenario.description,
        '',
        `T+0 = ${formatUtcDate(result.startedAt)}.`,
        '',
        '| expectation | result | actual | expected |',
        '| --- | --- | --- | --- |',
        ...checksOf(result).map((e) => `| ${e.name} | ${e.pass ? 'ok' : 'FAIL'} | ${e.actual} | ${e.expected} |`),
        '',
        ...trustLines(result).map((line) => `- ${line}`),
        '',
        ...(result.report === undefined
          ? [
              '## Verdict history',
              '',
              '| time | UTC | region | verdict | failing observers | reasons |',
              '| --- | --- | --- | --- | --- | --- |',
              ...verdictRows(result).map((cells) => `| ${cells.join(' | ')} |`),
              '',
              eventsMarkdown(result),
            ]
          : [renderMarkdown(result.report)]),
      ].join('\n');
    case '.html': {
      const sections: HtmlSection[] = [
        {
          title: `Scenario ${result.scenario.name}: ${verdictWord(result)}`,
          className: 'expectations',
          content: {
            html: `${paragraphs([result.scenario.description, ...trustLines(result)]).html}\n${
              table(
                ['expectation', 'result', 'actual', 'expected'],
                checksOf(result).map((e) => ({ cells: [e.name, e.pass ? 'ok' : 'FAIL', e.actual, e.expected], className: e.pass ? 'pass' : 'fail' })),
              ).html
            }`,
          },
        },
        { title: 'Verdict history', content: table(['time', 'UTC', 'region', 'verdict', 'failing observers', 'reasons'], verdictRows(result).map((cells) => ({ cells }))) },
      ];
      const verdict = result.outcome;
      if (result.report !== undefined) return renderHtml(result.report, { sections, verdict });
      return htmlDocument({
        title: `Drill ${result.scenario.name} (${verdictWord(result)})`,
        verdict,
        heading: verdictLine(result),
        facts: [
          `No failover: ${result.endState.state}, primary ${result.endState.primaryRegion}`,
          `T+0 = ${formatUtcDate(result.startedAt)}`,
        ],
        sections: [
          ...sections,
          {
            title: 'Events',
            content: table(
              ['time', 'UTC', 'event', 'state', 'actor', 'message'],
              result.events.map((event) => ({ cells: [offset(event.at - result.startedAt), formatUtc(event.at), event.type, event.state, event.actor ?? '', event.message] })),
            ),
          },
        ],
      });
    }
    default:
      throw new RangeError(`--report ${path}: the extension must be .json, .md or .html`);
  }
}

/** Whether `path` names a report format `renderResultFile` writes. */
export function isReportPath(path: string): boolean {
  return ['.json', '.md', '.html'].includes(extname(path).toLowerCase());
}

function verdictWord(result: DrillResult): string {
  return result.outcome === 'not-trusted' ? 'NOT TRUSTED' : result.outcome.toUpperCase();
}

function checksOf(result: DrillResult): ExpectationResult[] {
  return [...result.expectationResults, ...result.physics];
}

function trustLines(result: DrillResult): string[] {
  const { starvation } = result.trust;
  return [
    ...(starvation === undefined
      ? []
      : [`The machine kept the drill waiting ${formatDuration(starvation.cpuWaitMs + starvation.stalledMs)} of ${formatDuration(result.endState.realMs)} of real time (the clock stood still meanwhile).`]),
    ...(result.trust.trusted ? [] : ['The machine was too busy; result not trusted:', ...result.trust.reasons]),
  ];
}

/** The verdict history as table cells: time, UTC, region, verdict, failing observers, reasons. */
function verdictRows(result: DrillResult): string[][] {
  return result.verdicts.map((change) => [
    offset(change.at - result.startedAt).replace(/\s+/g, ' '),
    formatUtc(change.at),
    change.region,
    change.verdict,
    change.failingObservers.length === 0 ? 'none' : change.failingObservers.join(', '),
    change.reasons.join('; '),
  ]);
}

function eventsMarkdown(result: DrillResult): string {
  return [
    '## Events',
    '',
    ...result.events.map((event) => `- ${offset(event.at - result.startedAt)} ${formatUtc(event.at)} \`${event.state}\` ${event.type}: ${event.message}`),
  ].join('\n');
}

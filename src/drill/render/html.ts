import { formatDuration, formatOffset, formatSeconds, formatUtc, formatUtcDate } from '../format.js';
import { overheadLine, type DrillReport } from '../report.js';
import { dataLossLines } from './dataLoss.js';
import { escapeHtml } from './escapeHtml.js';
import { renderTimelineSvg } from './svg.js';

/** Markup already escaped (or built by this module): a page's parts are never spliced into a finished string. */
export interface Markup {
  readonly html: string;
}

/** One white card of the page: a heading and its content. */
export interface HtmlSection {
  readonly title: string;
  readonly content: Markup;
  readonly className?: string;
}

/** A whole page: the coloured header (verdict, heading, facts in plain text) and its sections, in order. */
export interface HtmlPage {
  readonly title: string;
  readonly verdict: 'pass' | 'fail' | 'not-trusted';
  readonly heading: string;
  readonly facts: readonly string[];
  readonly sections: readonly HtmlSection[];
}

/** Plain text as markup. */
export function text(value: string): Markup {
  return { html: escapeHtml(value) };
}

/** Paragraphs of plain text. */
export function paragraphs(lines: readonly string[]): Markup {
  return { html: lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n') };
}

/**
 * A table of plain-text cells; a row may carry a class (`pass`, `fail`).
 *
 * @example
 * table(['check', 'result'], [{ cells: ['rto', 'pass'], className: 'pass' }]);
 */
export function table(headers: readonly string[], rows: readonly { readonly cells: readonly string[]; readonly className?: string }[]): Markup {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows
    .map((row) => `<tr${row.className === undefined ? '' : ` class="${escapeHtml(row.className)}"`}>${row.cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return { html: `<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>` };
}

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
header { border-radius: 8px; padding: 16px 20px; color: #fff; }
header.pass { background: #1e7b4f; }
header.fail { background: #b42318; }
header.not-trusted { background: #7c6f12; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: 0.9; }
section { background: #fff; border-radius: 8px; margin-top: 16px; padding: 16px 20px; box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
h2 { font-size: 17px; margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
tr.fail td { color: #b42318; font-weight: 600; }
tr.pass td:last-child { color: #1e7b4f; font-weight: 600; }
svg { width: 100%; height: auto; display: block; }
`;

/**
 * A self-contained HTML document (inline CSS, no external assets) from its parts.
 *
 * @example
 * await writeFile('drill.html', htmlDocument({ title: 'Drill', verdict: 'pass', heading: 'PASS', facts: [], sections: [] }));
 */
export function htmlDocument(page: HtmlPage): string {
  const sections = page.sections.map(
    (section) => `<section${section.className === undefined ? '' : ` class="${escapeHtml(section.className)}"`}>
<h2>${escapeHtml(section.title)}</h2>
${section.content.html}
</section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header class="${page.verdict}">
<h1>${escapeHtml(page.heading)}</h1>
${page.facts.map((fact) => `<p>${escapeHtml(fact)}</p>`).join('\n')}
</header>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

/** The report's header lines: what ran, who approved or asked, when T+0 is. */
export function reportFacts(report: DrillReport): string[] {
  return [
    `Scenario ${report.scenario ?? '(none)'} · group ${report.groupId} · failover ${report.failoverId} · trigger ${report.trigger} · ${report.planned ? 'planned switchover' : 'unplanned failover'}`,
    ...(report.requestedBy === undefined ? [] : [`Requested by ${report.requestedBy}`]),
    ...(report.approvedBy === undefined ? [] : [`Approved by ${report.approvedBy}`]),
    `T+0 = ${formatUtcDate(report.originAt)}`,
  ];
}

/** The report's cards: timeline, checks, steps, data loss, events. */
export function reportSections(report: DrillReport): HtmlSection[] {
  const steps = report.steps.map((step) => ({
    cells: [
      step.name,
      formatOffset(step.startOffsetMs),
      formatUtc(step.startedAt),
      formatDuration(step.durationMs),
      step.timeoutSeconds === undefined ? '' : `${formatSeconds(step.timeoutSeconds)}${step.withinTimeout === false ? ' (exceeded)' : ''}`,
    ],
    ...(step.withinTimeout === false ? { className: 'fail' } : {}),
  }));
  const running = report.inProgress;
  if (running !== undefined) {
    steps.push({
      cells: [running.name, formatOffset(running.startOffsetMs), formatUtc(running.startedAt), `${formatDuration(running.durationMs)} so far`, 'in progress when the drill ended'],
    });
  }
  return [
    { title: 'Timeline', content: { html: renderTimelineSvg(report) } },
    {
      title: 'Checks',
      content: table(
        ['check', 'actual', 'target', 'result'],
        report.checks.map((check) => ({ cells: [check.name, check.actual, check.target, check.pass ? '✔ pass' : '✘ FAIL'], className: check.pass ? 'pass' : 'fail' })),
      ),
    },
    {
      title: 'Steps',
      content: { html: [table(['step', 'starts', 'UTC', 'duration', 'step timeout'], steps).html, paragraphs([overheadLine(report) ?? '']).html].join('\n') },
    },
    { title: 'Data loss', content: paragraphs(dataLossLines(report)) },
    {
      title: 'Events',
      content: table(
        ['time', 'UTC', 'event', 'state', 'actor', 'message'],
        report.events.map((event) => ({ cells: [formatOffset(event.offsetMs), formatUtc(event.at), event.type, event.state, event.actor ?? '', event.message] })),
      ),
    },
  ];
}

/**
 * The report as one self-contained HTML page (inline CSS and SVG, no external assets); `more` adds cards after the
 * report's own, inside the same page and style (the local drill adds its scenario's expectations).
 *
 * @example
 * await writeFile('reports/drill.html', renderHtml(report));
 */
export function renderHtml(report: DrillReport, more: { readonly sections?: readonly HtmlSection[]; readonly verdict?: HtmlPage['verdict'] } = {}): string {
  const verdict = more.verdict ?? (report.pass ? 'pass' : 'fail');
  return htmlDocument({
    title: `Drill report: ${report.scenario ?? report.failoverId} (${verdict.toUpperCase()})`,
    verdict,
    heading: report.headline,
    facts: reportFacts(report),
    sections: [...reportSections(report), ...(more.sections ?? [])],
  });
}

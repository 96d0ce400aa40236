import { formatDuration, formatOffset, formatSeconds, formatUtc, formatUtcDate } from '../format.js';
import { overheadLine, type DrillReport } from '../report.js';
import { dataLossLines } from './dataLoss.js';
import { renderTimelineText } from './text.js';

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
    ...(report.requestedBy === undefined ? [] : ['', `Requested by \`${report.requestedBy}\`.`]),
    ...(report.approvedBy === undefined ? [] : ['', `Approved by \`${report.approvedBy}\`.`]),
    '',
    `T+0 = ${formatUtcDate(report.originAt)}.`,
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
    '| step | starts | UTC | duration | step timeout |',
    '| --- | --- | --- | --- | --- |',
    ...report.steps.map(
      (step) =>
        `| ${step.name} | ${formatOffset(step.startOffsetMs)} | ${formatUtc(step.startedAt)} | ${formatDuration(step.durationMs)} | ${
          step.timeoutSeconds === undefined ? '' : `${formatSeconds(step.timeoutSeconds)}${step.withinTimeout === false ? ' **exceeded**' : ''}`
        } |`,
    ),
    ...(report.inProgress === undefined
      ? []
      : [
          `| ${report.inProgress.name} | ${formatOffset(report.inProgress.startOffsetMs)} | ${formatUtc(report.inProgress.startedAt)} | ${formatDuration(report.inProgress.durationMs)} so far | in progress when the drill ended |`,
        ]),
    ...(report.rtoMs === undefined ? [] : [`| **total (RTO)** | | | **${formatDuration(report.rtoMs)}** | |`]),
    '',
    ...(overheadLine(report) === undefined ? [] : [`${overheadLine(report) ?? ''}.`, '']),
    '## Data loss',
    '',
    ...dataLossLines(report).map((line) => `- ${line}`),
    '',
    '## Events',
    '',
    '| time | UTC | event | state | actor | message |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.events.map(
      (event) =>
        `| ${formatOffset(event.offsetMs)} | ${formatUtc(event.at)} | ${event.type} | ${event.state} | ${event.actor ?? ''} | ${event.message.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

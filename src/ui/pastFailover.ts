import { operatorPaths } from '../application/operatorRoutes.js';
import type { OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { FailoverHistoryEntry, GroupStatus } from '../application/status.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import { escapeHtml } from '../drill/render/escapeHtml.js';
import { renderTimelineSvg } from '../drill/render/svg.js';
import { renderTimelineText } from '../drill/render/text.js';
import { buildDrillReport, targetsOf } from '../drill/report.js';

/** The most failovers one history request answers (the operator API's bound). */
const HISTORY_LIMIT = 200;

/**
 * A past failover as the drill report shows it: the step timeline (SVG, and as text for screen readers), judged
 * against the group's targets. Needs the configuration for the targets; the events are the newest the status holds.
 *
 * @example
 * const answer = await pastFailoverReport(transport, 'orders', 'fo-123', config);
 * if ('html' in answer) page.innerHTML = answer.html;
 */
export async function pastFailoverReport(
  transport: OperatorTransport,
  groupId: string,
  failoverId: string,
  config: ControlPlaneConfig | undefined,
): Promise<{ html: string } | { status: number; error: { code: string; message: string } }> {
  const group = config?.groups.find((candidate) => candidate.id === groupId);
  if (group === undefined) {
    return {
      status: 409,
      error: {
        code: 'no-targets',
        message: `the targets of group ${groupId} are not known to this dashboard: start it with --config <file> naming the group's configuration`,
      },
    };
  }
  const [history, status] = await Promise.all([
    transport.send({ method: 'GET', path: operatorPaths.history(groupId), query: { limit: String(HISTORY_LIMIT) } }),
    transport.send({ method: 'GET', path: operatorPaths.group(groupId) }),
  ]);
  if (history.status !== 200) return { status: history.status, error: errorOf(history.body) };
  const record = (history.body as { failovers: FailoverHistoryEntry[] }).failovers.find((entry) => entry.id === failoverId);
  if (record === undefined) return { status: 404, error: { code: 'not-found', message: `group ${groupId} has no failover ${failoverId} in its last ${HISTORY_LIMIT}` } };
  const events = status.status === 200 ? (status.body as GroupStatus).lastEvents.filter((event) => event.failoverId === failoverId) : [];
  const report = buildDrillReport({ record, events, targets: targetsOf(group) });
  return {
    html: [
      `<figure class="timeline" aria-labelledby="timeline-caption-${escapeHtml(failoverId)}">`,
      renderTimelineSvg(report),
      `<figcaption id="timeline-caption-${escapeHtml(failoverId)}">${escapeHtml(report.headline)}</figcaption>`,
      `<details><summary>The timeline as text</summary><pre>${escapeHtml(renderTimelineText(report))}</pre></details>`,
      '</figure>',
    ].join('\n'),
  };
}

function errorOf(body: unknown): { code: string; message: string } {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return { code: error?.code ?? 'error', message: error?.message ?? JSON.stringify(body) };
}

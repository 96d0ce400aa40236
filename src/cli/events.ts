import { operatorPaths } from '../application/operatorRoutes.js';
import type { OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { EventsPage } from '../application/operatorApi.js';
import type { LoggedEvent } from '../domain/types.js';
import { exitCodeFor, renderApiError, table, time, EXIT } from './render.js';

/** What `followEvents` writes to and waits with: the part of the CLI's io it needs. */
export interface EventsIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** Events per request: a follower that fell behind reads on at once, page after page, without waiting. */
export const EVENTS_PAGE = 100;

/**
 * `fcp events <group> [--follow] [--json]`: the group's newest events, oldest first, then (with `follow`) each event
 * as it is logged, until interrupted. `json` prints one JSON document per event (JSON Lines). Following reads
 * `GET /groups/<group>/events?after=<last sequence number seen>`: only the events logged since, each once, however
 * many were logged between two reads.
 *
 * @example
 * process.exitCode = await followEvents(io, transport, 'orders', { json: false, follow: true, intervalMs: 1_000 });
 */
export async function followEvents(
  io: EventsIo,
  transport: OperatorTransport,
  groupId: string,
  options: { readonly json: boolean; readonly follow: boolean; readonly intervalMs: number },
): Promise<number> {
  let after: number | undefined;
  for (;;) {
    const reply = await transport.send({
      method: 'GET',
      path: operatorPaths.events(groupId),
      query: { limit: String(EVENTS_PAGE), ...(after === undefined ? {} : { after: String(after) }) },
    });
    if (reply.status !== 200) {
      io.stderr(renderApiError(reply.status, reply.body));
      return exitCodeFor(reply.status);
    }
    const page = reply.body as EventsPage;
    if (page.events.length > 0) io.stdout(options.json ? page.events.map((event) => JSON.stringify(event)).join('\n') : renderEventLines(page.events));
    else if (after === undefined && !options.json) io.stderr(`${groupId}: no events logged yet`);
    after = page.next;
    if (!options.follow || interrupted(io)) return EXIT.ok;
    // A full page means more are waiting: read on at once.
    if (page.more) continue;
    await io.sleep(options.intervalMs);
    if (interrupted(io)) return EXIT.ok;
  }
}

/**
 * Events one per line: time, sequence number, type, who, what.
 *
 * @example
 * renderEventLines(events); // '2026-11-21 03:00:05Z  #12  FAILOVER_REQUESTED  arn:aws:iam::...:user/alice  operator requested ...'
 */
export function renderEventLines(events: readonly LoggedEvent[]): string {
  return table(events.map((event) => [time(event.at), `#${event.seq}`, event.type, event.actor ?? '-', event.message]));
}

function interrupted(io: EventsIo): boolean {
  return io.signal?.aborted === true;
}

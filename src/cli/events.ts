import { operatorPaths } from '../application/operatorRoutes.js';
import type { OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { GroupStatus } from '../application/status.js';
import type { LoggedEvent } from '../domain/types.js';
import { exitCodeFor, renderApiError, table, time, EXIT } from './render.js';

/** What `followEvents` writes to and waits with: the part of the CLI's io it needs. */
export interface EventsIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * `fcp events <group> [--follow] [--json]`: the group's newest events, oldest first, then (with `follow`) each event
 * as it is logged, until interrupted. `json` prints one JSON document per event (JSON Lines). The events come from
 * the group's status (its newest events): when more were logged between two reads than it holds, the gap is said
 * on stderr with their sequence numbers, never skipped silently.
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
  let lastSeq: number | undefined;
  for (;;) {
    const reply = await transport.send({ method: 'GET', path: operatorPaths.group(groupId) });
    if (reply.status !== 200) {
      io.stderr(renderApiError(reply.status, reply.body));
      return exitCodeFor(reply.status);
    }
    const events = [...(reply.body as GroupStatus).lastEvents].sort((a, b) => a.seq - b.seq).filter((event) => lastSeq === undefined || event.seq > lastSeq);
    const first = events[0];
    if (lastSeq !== undefined && first !== undefined && first.seq > lastSeq + 1) {
      io.stderr(`events #${lastSeq + 1} to #${first.seq - 1} were logged between two reads and are not shown (fcp status --json lists the newest)`);
    }
    if (events.length > 0) io.stdout(options.json ? events.map((event) => JSON.stringify(event)).join('\n') : renderEventLines(events));
    else if (lastSeq === undefined && !options.json) io.stderr(`${groupId}: no events logged yet`);
    lastSeq = events.at(-1)?.seq ?? lastSeq ?? 0;
    if (!options.follow || interrupted(io)) return EXIT.ok;
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

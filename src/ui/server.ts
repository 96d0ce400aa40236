import { operatorPaths } from '../application/operatorRoutes.js';
import type { OperatorCommandType } from '../ports/CommandQueue.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OperatorReply, OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import { dashboardPage } from './page.js';
import { pastFailoverReport } from './pastFailover.js';

export interface DashboardOptions {
  /** How the dashboard reaches the operator API: signed with the operator's credentials, or the local drill's. */
  readonly transport: OperatorTransport;
  /** 0 picks a free port. The server listens on 127.0.0.1 only. */
  readonly port: number;
  /** The groups' targets (RTO, detection, RPO budget) a past failover's timeline is judged against, when known. */
  readonly config?: ControlPlaneConfig;
  /** How often the live view asks the operator API for news. */
  readonly pollMs?: number;
  readonly newIdempotencyKey?: () => string;
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The header every /api call must carry: a page of another site cannot send it without a CORS preflight we refuse. */
export const DASHBOARD_HEADER = 'x-fcp-dashboard';
const MAX_BODY_BYTES = 16_384;
const GROUP_COMMANDS = new Set(['approve', 'reject', 'abort', 'retry', 'acknowledge', 'pause', 'resume', 'failover', 'switchover']);

/**
 * Serves the live dashboard on 127.0.0.1: the page, a Server-Sent Events stream of every group's status and pending
 * commands, dry-run plans, and the commands themselves. It holds no authority of its own: every call goes through
 * `transport` (SigV4-signed with the operator's credentials, so IAM decides), and a command is sent only with the
 * group's name typed as confirmation.
 *
 * @example
 * const server = await serveDashboard({ transport: connect(connection), port: 0 });
 * console.log(`open ${server.url}`);
 */
export async function serveDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const streams = new Set<ServerResponse>();
  const feed = new StatusFeed(options.transport, options.pollMs ?? 1_000, (text) => {
    for (const stream of streams) stream.write(text);
  });
  let origin = '';
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) json(response, 502, { error: { code: 'operator-api', message: error instanceof Error ? error.message : String(error) } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a page that points its own name at 127.0.0.1 sends its own Host.
    if (request.headers.host !== new URL(origin).host) return json(response, 403, { error: { code: 'forbidden', message: `Host must be ${new URL(origin).host}` } });
    const url = new URL(request.url ?? '/', origin);
    if (request.method === 'GET' && url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', dashboardPage());
    if (!url.pathname.startsWith('/api/')) return json(response, 404, { error: { code: 'not-found', message: `no page ${url.pathname}` } });
    const parts = url.pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
    const [, resource, group, action, id, tail] = parts;
    // EventSource cannot send headers; the stream changes nothing, and another site's page cannot read it (no CORS).
    if (request.method === 'GET' && resource === 'stream' && parts.length === 2) return stream(response);
    if (request.headers[DASHBOARD_HEADER] !== '1') {
      return json(response, 403, { error: { code: 'forbidden', message: `API calls need the ${DASHBOARD_HEADER} header (sent by the dashboard page)` } });
    }
    if (resource !== 'groups' || group === undefined) return json(response, 404, { error: { code: 'not-found', message: `no route ${url.pathname}` } });
    if (request.method === 'GET' && action === 'plan' && parts.length === 4) {
      return relay(response, await options.transport.send({ method: 'GET', path: operatorPaths.plan(group), query: Object.fromEntries(url.searchParams) }));
    }
    if (request.method === 'GET' && action === 'history' && parts.length === 4) {
      return relay(response, await options.transport.send({ method: 'GET', path: operatorPaths.history(group), query: { limit: '20' } }));
    }
    if (request.method === 'GET' && action === 'failovers' && id !== undefined && tail === 'report' && parts.length === 6) {
      const report = await pastFailoverReport(options.transport, group, id, options.config);
      return 'html' in report ? send(response, 200, 'text/html; charset=utf-8', report.html) : json(response, report.status, { error: report.error });
    }
    if (request.method === 'POST' && action === 'commands' && parts.length === 4) return command(request, response, group);
    return json(response, 404, { error: { code: 'not-found', message: `no route ${request.method} ${url.pathname}` } });
  }

  function stream(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    streams.add(response);
    response.on('close', () => {
      streams.delete(response);
      if (streams.size === 0) feed.stop();
    });
    const latest = feed.latest();
    if (latest !== undefined) response.write(latest);
    feed.start();
  }

  async function command(request: IncomingMessage, response: ServerResponse, group: string): Promise<void> {
    const body = await readJson(request);
    if ('error' in body) return json(response, 400, { error: { code: 'bad-request', message: body.error, issues: [body.error] } });
    const { confirm, ...fields } = body.value as Record<string, unknown>;
    const issues = [
      ...(GROUP_COMMANDS.has(String(fields.type)) ? [] : [`type: must be one of ${[...GROUP_COMMANDS].join(', ')}`]),
      ...(confirm === group ? [] : [`confirm: type the group name (${group}) to confirm; nothing was sent`]),
    ];
    if (issues.length > 0) return json(response, 400, { error: { code: 'bad-request', message: 'the command was not sent', issues } });
    const reply = await options.transport.send({
      method: 'POST',
      path: operatorPaths.command(group, fields.type as OperatorCommandType, fields.allowDataLoss === true),
      body: fields,
      idempotencyKey: (options.newIdempotencyKey ?? randomUUID)(),
    });
    feed.poke();
    return relay(response, reply);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the dashboard server has no TCP address');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        feed.stop();
        for (const open of streams) open.end();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * One poller shared by every open page: each round reads all groups' status and each group's pending commands, and
 * pushes an SSE message only when something changed. It runs while a page is open.
 */
class StatusFeed {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: string | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly transport: OperatorTransport,
    private readonly pollMs: number,
    private readonly publish: (text: string) => void,
  ) {}

  latest(): string | undefined {
    return this.last;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.poke();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Reads now (after a command), then on the usual interval. */
  poke(): void {
    if (!this.running || this.inFlight !== undefined) return;
    clearTimeout(this.timer);
    this.inFlight = this.round().finally(() => {
      this.inFlight = undefined;
      if (this.running) this.timer = setTimeout(() => this.poke(), this.pollMs);
    });
  }

  private async round(): Promise<void> {
    let message: unknown;
    try {
      const all = await this.transport.send({ method: 'GET', path: operatorPaths.allGroups() });
      if (all.status !== 200) {
        message = { error: all.body, status: all.status };
      } else {
        const groups = (all.body as { groups: { groupId: string }[] }).groups;
        const pending = await Promise.all(
          groups.map(async (group) => (await this.transport.send({ method: 'GET', path: operatorPaths.pending(group.groupId) })).body),
        );
        message = { groups, pending };
      }
    } catch (error) {
      message = { error: { error: { code: 'unreachable', message: error instanceof Error ? error.message : String(error) } } };
    }
    const text = `event: status\ndata: ${JSON.stringify(message)}\n\n`;
    if (text === this.last) return;
    this.last = text;
    this.publish(text);
  }
}

async function readJson(request: IncomingMessage): Promise<{ value: unknown } | { error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) return { error: `body: is larger than ${MAX_BODY_BYTES} bytes` };
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'body: must be a JSON object' };
    return { value };
  } catch (error) {
    return { error: `body: is not JSON (${(error as Error).message})` };
  }
}

function relay(response: ServerResponse, reply: OperatorReply): void {
  json(response, reply.status, reply.body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json', JSON.stringify(body ?? null));
}

function send(response: ServerResponse, status: number, type: string, text: string): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The page is self-contained: no script, style or image from anywhere else, and no framing.
    'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  });
  response.end(text);
}

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../../ports/Clock.js';

/**
 * How a region's health endpoints answer. Delays are REAL milliseconds, because the real HTTP prober
 * measures them against its real `timeoutMs`; the flapping period is simulated time, like probe intervals.
 */
export type HealthBehaviour =
  | { readonly kind: 'healthy' }
  /** Answers this status (503 by default) with body `unavailable`. */
  | { readonly kind: 'status'; readonly status?: number }
  /** Never answers; the prober's timeout ends the request. */
  | { readonly kind: 'hang' }
  /** Nothing listens on the port: connect fails with ECONNREFUSED. */
  | { readonly kind: 'refused' }
  /** Answers healthy after `delayMs` real milliseconds. */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Alternates 503 and healthy, starting with 503: per request, or per `intervalMs` of simulated time. */
  | { readonly kind: 'flapping'; readonly per: 'request' }
  | { readonly kind: 'flapping'; readonly per: 'interval'; readonly intervalMs: number }
  /** Answers 200 with a body that lacks what the endpoint expects. */
  | { readonly kind: 'wrong-body'; readonly body?: string };

/** What a healthy answer on `path` looks like (from the endpoint's config). */
export interface HealthyAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * One region's health endpoints: a real node:http server on 127.0.0.1 whose answers switch at runtime.
 * `refused` closes the listener and drops open connections; the next behaviour listens again on the same port,
 * so URLs handed out earlier stay valid.
 *
 * @example
 * const server = await HealthServer.start({ clock, answers: new Map([['/health', { status: 200, body: 'ok' }]]) });
 * await server.setBehaviour({ kind: 'status', status: 503 });
 * await fetch(server.urlFor('/health')); // 503
 * await server.close();
 */
export class HealthServer {
  private behaviour: HealthBehaviour = { kind: 'healthy' };
  private requests = 0;
  private flappingSince = 0;
  private listening = true;
  private readonly sockets = new Set<Socket>();
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly clock: Clock,
    private readonly answers: ReadonlyMap<string, HealthyAnswer>,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: { clock: Clock; answers: ReadonlyMap<string, HealthyAnswer> }): Promise<HealthServer> {
    let handler: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;
    const server = createServer((request, response) => handler(request, response));
    await listen(server, 0);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('health server did not get a TCP port');
    const health = new HealthServer(server, address.port, options.clock, options.answers);
    handler = (request, response) => health.answer(request, response);
    return health;
  }

  /** The base URL, `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  urlFor(path: string): string {
    return `${this.origin}${path}`;
  }

  get current(): HealthBehaviour {
    return this.behaviour;
  }

  /** Requests answered or held since the server started. */
  get requestCount(): number {
    return this.requests;
  }

  async setBehaviour(behaviour: HealthBehaviour): Promise<void> {
    this.behaviour = behaviour;
    this.requests = 0;
    this.flappingSince = this.clock.now();
    if (behaviour.kind === 'refused') await this.stopListening();
    else if (!this.listening) {
      await listen(this.server, this.port);
      this.listening = true;
    }
  }

  async close(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    await this.stopListening();
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    this.requests += 1;
    const healthy = this.answers.get(new URL(request.url ?? '/', this.origin).pathname) ?? { status: 200, body: 'ok' };
    const behaviour = this.behaviour;
    switch (behaviour.kind) {
      case 'healthy':
        return send(response, healthy.status, healthy.body);
      case 'status':
        return send(response, behaviour.status ?? 503, 'unavailable');
      case 'hang':
        return;
      case 'refused':
        // A request accepted just before the listener closed: drop it like a dead host would.
        request.socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          send(response, healthy.status, healthy.body);
        }, behaviour.delayMs);
        this.delayed.add(timer);
        return;
      }
      case 'flapping': {
        const phase =
          behaviour.per === 'request'
            ? this.requests - 1
            : Math.floor((this.clock.now() - this.flappingSince) / behaviour.intervalMs);
        return phase % 2 === 0 ? send(response, 503, 'unavailable') : send(response, healthy.status, healthy.body);
      }
      case 'wrong-body':
        return send(response, 200, behaviour.body ?? 'maintenance');
    }
  }

  private async stopListening(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await closed;
  }
}

/** Closes every connection after its answer: no client keeps a pooled socket, so `refused` is always ECONNREFUSED. */
function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

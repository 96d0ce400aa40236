import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HealthEndpoint } from '../../config/schema.js';
import type { HttpProbeResult } from '../../domain/types.js';
import type { Prober } from '../../ports/Prober.js';

export interface HttpProberOptions {
  /** Probes in flight at once, over every `probe` call of this prober (a whole round shares it). */
  readonly concurrency?: number;
  /** Bytes of body read for a `bodyContains` check; the rest is discarded unread. */
  readonly maxBodyBytes?: number;
}

/**
 * Probes in flight at once over a whole round. Enough that the endpoints hanging in one round (say 10 % of 300) all
 * time out together, costing the round one timeout instead of one per wave of slots, with room left for the healthy
 * ones to pass through; few enough that a round does not open hundreds of connections in one tick of a busy event
 * loop (on a loaded two-core machine, 300 requests started at once time out healthy endpoints: the prober's own
 * callbacks wait behind each other). A probe's timeout starts when its request starts, never while it waits for a slot.
 */
export const DEFAULT_PROBE_CONCURRENCY = 64;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Socket errors of a kept-alive connection the server closed while it sat idle: the request is sent again once. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

class ProbeTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Probes HTTP health endpoints with Node's `http`/`https` clients over kept-alive connections (one agent per scheme,
 * never queuing: it allows as many sockets per host as the prober has slots). Every failure (refused, DNS, timeout,
 * wrong status, wrong body) is a result with `ok: false` and a readable `error`, so one bad endpoint never ends a
 * probe round. Redirects are not followed: a health endpoint that redirects (to a login page, say) answers its 3xx
 * status, which then fails the status check instead of passing on the page it redirected to.
 */
export class HttpProber implements Prober {
  readonly #concurrency: number;
  readonly #maxBodyBytes: number;
  readonly #agents: { readonly http: HttpAgent; readonly https: HttpsAgent };
  /** The share of its timeout each endpoint's last probe used (1 or more: it timed out); the highest go first. */
  readonly #lastShareOfTimeout = new Map<string, number>();
  #waiting: { readonly priority: number; readonly start: () => void }[] = [];
  #inFlight = 0;
  #drainScheduled = false;

  constructor(options: HttpProberOptions = {}) {
    this.#concurrency = options.concurrency ?? DEFAULT_PROBE_CONCURRENCY;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const agentOptions = { keepAlive: true, maxSockets: this.#concurrency, maxFreeSockets: this.#concurrency, scheduling: 'lifo' as const };
    this.#agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  }

  /**
   * Probes all endpoints, at most `concurrency` at a time with every other call in flight; results are in the order
   * of `endpoints`. Slots go first to the endpoints that used most of their timeout last time (a hanging one starts
   * its timeout at the start of the round, not after the healthy ones), whatever order the calls of a round came in.
   *
   * @example
   * const results = await new HttpProber({ concurrency: 4 }).probe([{ url: 'https://eu.example.com/health', timeoutMs: 2000, expectedStatus: 200 }]);
   * results[0]; // { url: 'https://eu.example.com/health', ok: true, status: 200, latencyMs: 41 }
   */
  async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
    return Promise.all(
      endpoints.map(async (endpoint) => {
        await this.#slot(this.#lastShareOfTimeout.get(endpoint.url) ?? 0);
        try {
          const result = await this.#probeOne(endpoint);
          this.#lastShareOfTimeout.set(endpoint.url, result.latencyMs / endpoint.timeoutMs);
          return result;
        } finally {
          this.#inFlight -= 1;
          this.#drain();
        }
      }),
    );
  }

  /** Closes the kept-alive connections (a prober that is done; a Lambda's lives as long as its environment). */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /** Waits for a free slot; the calls made in one tick are all queued before any slot is given out. */
  #slot(priority: number): Promise<void> {
    return new Promise((start) => {
      this.#waiting.push({ priority, start });
      if (this.#drainScheduled) return;
      this.#drainScheduled = true;
      setImmediate(() => {
        this.#drainScheduled = false;
        this.#drain();
      });
    });
  }

  #drain(): void {
    if (this.#waiting.length === 0 || this.#inFlight >= this.#concurrency) return;
    this.#waiting.sort((a, b) => b.priority - a.priority);
    while (this.#inFlight < this.#concurrency && this.#waiting.length > 0) {
      this.#inFlight += 1;
      this.#waiting.shift()!.start();
    }
  }

  /** One probe: its clock starts here, with its slot; the timeout covers connecting, the headers and the body read. */
  async #probeOne(endpoint: HealthEndpoint): Promise<HttpProbeResult> {
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    const deadline = AbortSignal.timeout(endpoint.timeoutMs);
    try {
      const { status, body } = await this.#exchange(endpoint, deadline, true);
      if (status !== endpoint.expectedStatus) return failed(endpoint, elapsed(), `status ${status} (expected ${endpoint.expectedStatus})`, status);
      if (endpoint.bodyContains !== undefined && !body.includes(endpoint.bodyContains)) {
        return failed(endpoint, elapsed(), `body does not contain ${JSON.stringify(endpoint.bodyContains)}`, status);
      }
      return { url: endpoint.url, ok: true, status, latencyMs: elapsed() };
    } catch (error) {
      return failed(endpoint, elapsed(), describeFetchFailure(error, endpoint.timeoutMs));
    }
  }

  /**
   * GET with the deadline: the status and up to `maxBodyBytes` of body (read only for a `bodyContains` check). A body
   * read to its end leaves the connection for the next probe; one cut short closes it. A kept-alive connection that
   * turns out closed before any answer is retried once on a new one, inside the same deadline.
   */
  #exchange(endpoint: HealthEndpoint, deadline: AbortSignal, mayRetry: boolean): Promise<{ status: number; body: string }> {
    const url = new URL(endpoint.url);
    const secure = url.protocol === 'https:';
    const options: RequestOptions = {
      method: 'GET',
      agent: secure ? this.#agents.https : this.#agents.http,
      headers: { 'user-agent': 'failover-control-plane-prober', 'cache-control': 'no-cache' },
    };
    const wantsBody = endpoint.bodyContains !== undefined;
    return new Promise((resolve, reject) => {
      if (deadline.aborted) return reject(new ProbeTimeoutError('timeout'));
      let answered = false;
      let done = false;
      const finish = (outcome: () => void): void => {
        if (done) return;
        done = true;
        deadline.removeEventListener('abort', onDeadline);
        outcome();
      };
      const fail = (error: Error): void =>
        finish(() => {
          request.destroy();
          const code = (error as { code?: unknown }).code;
          const staleConnection = !answered && request.reusedSocket && typeof code === 'string' && STALE_CONNECTION_CODES.has(code);
          if (mayRetry && staleConnection && !deadline.aborted) this.#exchange(endpoint, deadline, false).then(resolve, reject);
          else reject(error);
        });
      // Timers run before the event loop polls its sockets: when this process was starved past the deadline, an
      // answer already waiting in its socket would lose to the timer. So the timeout is decided after one poll.
      const onDeadline = (): void => {
        setImmediate(() => fail(new ProbeTimeoutError('timeout')));
      };
      const request: ClientRequest = (secure ? httpsRequest : httpRequest)(url, options, (response: IncomingMessage) => {
        answered = true;
        const status = response.statusCode ?? 0;
        if (!wantsBody || status !== endpoint.expectedStatus) {
          // The status decides: answer now; the body drains in the background so the connection can be reused,
          // and one still coming at the deadline closes it.
          finish(() => resolve({ status, body: '' }));
          const cutDrain = (): void => void request.destroy();
          deadline.addEventListener('abort', cutDrain, { once: true });
          response.on('end', () => deadline.removeEventListener('abort', cutDrain));
          response.on('error', cutDrain);
          response.resume();
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        const body = (): string => Buffer.concat(chunks).toString('utf8');
        response.on('data', (chunk: Buffer) => {
          const room = this.#maxBodyBytes - total;
          chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
          total += Math.min(chunk.byteLength, room);
          if (total >= this.#maxBodyBytes) {
            finish(() => {
              request.destroy();
              resolve({ status, body: body() });
            });
          }
        });
        response.on('end', () => finish(() => resolve({ status, body: body() })));
        response.on('error', fail);
      });
      deadline.addEventListener('abort', onDeadline, { once: true });
      request.on('error', fail);
      request.end();
    });
  }
}

function failed(endpoint: HealthEndpoint, latencyMs: number, error: string, status?: number): HttpProbeResult {
  return status === undefined
    ? { url: endpoint.url, ok: false, latencyMs, error }
    : { url: endpoint.url, ok: false, status, latencyMs, error };
}

const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * A short reason for a failed request: `timeout after 2000 ms`, `connection refused`, `DNS lookup failed`...
 * Node's `http` reports the system error itself (its `code`); `fetch` (undici) as `TypeError: fetch failed` with the
 * system error as `cause`.
 *
 * @example
 * describeFetchFailure(new DOMException('aborted', 'TimeoutError'), 2000); // 'timeout after 2000 ms'
 */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error || error instanceof DOMException) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
    const ownCode = (error as { code?: unknown }).code;
    const cause = typeof ownCode === 'string' ? error : (error as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    if (typeof code === 'string') {
      const known = NETWORK_ERRORS[code];
      if (known !== undefined) return known;
      return `request failed: ${code}${cause instanceof Error ? ` (${cause.message})` : ''}`;
    }
    if (cause instanceof Error) return `request failed: ${cause.message}`;
    return `request failed: ${error.message}`;
  }
  return `request failed: ${String(error)}`;
}

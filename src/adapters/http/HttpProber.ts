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
 * loop. A probe's timeout starts when its request starts, never while it waits for a slot.
 */
export const DEFAULT_PROBE_CONCURRENCY = 64;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Probes HTTP health endpoints with Node's global `fetch`. Every failure (refused, DNS, timeout, wrong status,
 * wrong body) is a result with `ok: false` and a readable `error`, so one bad endpoint never ends a probe round.
 * Redirects are not followed: a health endpoint that redirects (to a login page, say) answers its 3xx status,
 * which then fails the status check instead of passing on the page it redirected to.
 */
export class HttpProber implements Prober {
  readonly #concurrency: number;
  readonly #maxBodyBytes: number;
  /** The share of its timeout each endpoint's last probe used (1 or more: it timed out); the highest go first. */
  readonly #lastShareOfTimeout = new Map<string, number>();
  #waiting: { readonly priority: number; readonly start: () => void }[] = [];
  #inFlight = 0;
  #drainScheduled = false;

  constructor(options: HttpProberOptions = {}) {
    this.#concurrency = options.concurrency ?? DEFAULT_PROBE_CONCURRENCY;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
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

  async #probeOne(endpoint: HealthEndpoint): Promise<HttpProbeResult> {
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    try {
      const response = await fetch(endpoint.url, {
        signal: AbortSignal.timeout(endpoint.timeoutMs),
        redirect: 'manual',
        headers: { 'user-agent': 'failover-control-plane-prober', 'cache-control': 'no-cache' },
      });
      const status = response.status;
      if (status !== endpoint.expectedStatus) {
        await response.body?.cancel();
        return failed(endpoint, elapsed(), `status ${status} (expected ${endpoint.expectedStatus})`, status);
      }
      if (endpoint.bodyContains === undefined) {
        await response.body?.cancel();
        return { url: endpoint.url, ok: true, status, latencyMs: elapsed() };
      }
      const body = await readBounded(response, this.#maxBodyBytes);
      if (!body.includes(endpoint.bodyContains)) {
        return failed(endpoint, elapsed(), `body does not contain ${JSON.stringify(endpoint.bodyContains)}`, status);
      }
      return { url: endpoint.url, ok: true, status, latencyMs: elapsed() };
    } catch (error) {
      return failed(endpoint, elapsed(), describeFetchFailure(error, endpoint.timeoutMs));
    }
  }
}

function failed(endpoint: HealthEndpoint, latencyMs: number, error: string, status?: number): HttpProbeResult {
  return status === undefined
    ? { url: endpoint.url, ok: false, latencyMs, error }
    : { url: endpoint.url, ok: false, status, latencyMs, error };
}

/** Reads at most `maxBytes` of the body as UTF-8 and cancels the rest, so a huge or endless body cannot hold a probe. */
async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - total;
      const chunk = value.byteLength > room ? value.subarray(0, room) : value;
      chunks.push(chunk);
      total += chunk.byteLength;
    }
  } finally {
    await reader.cancel();
  }
  return Buffer.concat(chunks).toString('utf8');
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
 * A short reason for a failed `fetch`: `timeout after 2000 ms`, `connection refused`, `DNS lookup failed`...
 * Undici reports socket errors as `TypeError: fetch failed` with the system error as `cause`.
 *
 * @example
 * describeFetchFailure(new DOMException('aborted', 'TimeoutError'), 2000); // 'timeout after 2000 ms'
 */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error || error instanceof DOMException) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
    const cause = (error as { cause?: unknown }).cause;
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

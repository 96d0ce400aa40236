import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthEndpointSchema } from '../../../src/config/schema.js';
import type { HealthEndpoint } from '../../../src/config/schema.js';
import { HttpProber, describeFetchFailure } from '../../../src/adapters/http/HttpProber.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Endpoints that should answer get a generous timeout, so a loaded two-core machine cannot turn them into timeouts. */
function endpoint(input: { url: string; timeoutMs?: number; expectedStatus?: number; bodyContains?: string }): HealthEndpoint {
  return HealthEndpointSchema.parse({ timeoutMs: 10_000, ...input });
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('HttpProber', () => {
  it('reports a healthy endpoint with its status and latency', async () => {
    // Prepare
    const base = await serve((_request, response) => response.end('ok'));
    const prober = new HttpProber();

    // Act
    const [result] = await prober.probe([endpoint({ url: `${base}/health` })]);

    // Assess
    expect(result).toMatchObject({ url: `${base}/health`, ok: true, status: 200 });
    expect(result?.error).toBeUndefined();
    expect(result?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails an endpoint that answers 503 and names the expected status', async () => {
    // Prepare
    const base = await serve((_request, response) => {
      response.statusCode = 503;
      response.end('down');
    });

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base })]);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 503, error: 'status 503 (expected 200)' });
  });

  it('accepts a non-200 status when the endpoint expects it', async () => {
    // Prepare
    const base = await serve((_request, response) => {
      response.statusCode = 204;
      response.end();
    });

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base, expectedStatus: 204 })]);

    // Assess
    expect(result).toMatchObject({ ok: true, status: 204 });
  });

  it('fails a probe whose response is slower than its timeout', async () => {
    // Prepare: the server never answers; the connection is closed in afterEach.
    const base = await serve(() => undefined);

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base, timeoutMs: 100 })]);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'timeout after 100 ms' });
    expect(result?.status).toBeUndefined();
  });

  it('fails a probe whose body stalls past the timeout after the headers arrived', async () => {
    // Prepare
    const base = await serve((_request, response) => {
      response.writeHead(200);
      response.write('partial');
    });

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base, timeoutMs: 100, bodyContains: 'ok' })]);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'timeout after 100 ms' });
  });

  it('fails a probe of a closed port as connection refused', async () => {
    // Prepare
    const base = await closedPort();

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base })]);

    // Assess
    expect(result).toMatchObject({ url: base, ok: false, error: 'connection refused' });
  });

  it('fails a probe whose body lacks the expected text', async () => {
    // Prepare
    const base = await serve((_request, response) => response.end('{"status":"degraded"}'));

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base, bodyContains: 'ok' })]);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 200, error: 'body does not contain "ok"' });
  });

  it('passes a probe whose body contains the expected text', async () => {
    // Prepare
    const base = await serve((_request, response) => response.end('{"status":"ok"}'));

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: base, bodyContains: '"status":"ok"' })]);

    // Assess
    expect(result).toMatchObject({ ok: true, status: 200 });
  });

  it('looks for the expected text only within the bounded prefix of a large body', async () => {
    // Prepare: the marker sits after 2 KiB of padding; the prober reads 1 KiB.
    const base = await serve((_request, response) => response.end(`${'x'.repeat(2048)}ok`));
    const prober = new HttpProber({ maxBodyBytes: 1024 });

    // Act
    const [result] = await prober.probe([endpoint({ url: base, bodyContains: 'ok' })]);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'body does not contain "ok"' });
  });

  it('does not follow a redirect and fails on its status', async () => {
    // Prepare
    const base = await serve((request, response) => {
      if (request.url === '/login') {
        response.end('ok');
        return;
      }
      response.writeHead(302, { location: '/login' });
      response.end();
    });

    // Act
    const [result] = await new HttpProber().probe([endpoint({ url: `${base}/health` })]);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 302, error: 'status 302 (expected 200)' });
  });

  it('never runs more probes at once than its concurrency limit', async () => {
    // Prepare: the server holds requests until two are in flight (or the last one is alone), then waits a moment
    // longer before answering, so a prober that exceeded the limit would be seen with three or more in flight.
    // A correct prober can never show more than two, whatever the timing.
    const limit = 2;
    const total = 7;
    let inFlight = 0;
    let maxInFlight = 0;
    let served = 0;
    const held: ServerResponse[] = [];
    const releaseIfReady = () => {
      if (held.length >= limit || served + held.length === total) {
        setTimeout(() => {
          for (const response of held.splice(0)) {
            inFlight -= 1;
            served += 1;
            response.end('ok');
          }
        }, 30);
      }
    };
    const base = await serve((_request, response) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      held.push(response);
      releaseIfReady();
    });
    const endpoints = Array.from({ length: total }, (_, index) => endpoint({ url: `${base}/probe/${index}` }));

    // Act
    const results = await new HttpProber({ concurrency: limit }).probe(endpoints);

    // Assess
    expect(maxInFlight).toBe(limit);
    expect(results.map((result) => result.ok)).toEqual(Array.from({ length: total }, () => true));
    expect(results.map((result) => result.url)).toEqual(endpoints.map((probe) => probe.url));
  });

  it('gives the first free slots of a round to the endpoints that were slowest last time, so a hanging one starts its timeout first', async () => {
    // Prepare: one slot; the last endpoint hangs past its timeout in the first round, the others use a small share of theirs.
    const seen: string[] = [];
    const base = await serve((request, response) => {
      seen.push(request.url ?? '');
      if (request.url === '/hang') return;
      response.end('ok');
    });
    const endpoints = ['/a', '/b', '/hang'].map((path) => endpoint({ url: `${base}${path}`, timeoutMs: path === '/hang' ? 300 : 10_000 }));
    const prober = new HttpProber({ concurrency: 1 });
    await Promise.all(endpoints.map((probe) => prober.probe([probe])));
    seen.length = 0;

    // Act: the next round, its calls made in the same order
    const results = await Promise.all(endpoints.map((probe) => prober.probe([probe])));

    // Assess
    expect(seen).toEqual(['/hang', '/a', '/b']);
    expect(results.map(([result]) => result?.ok)).toEqual([true, true, false]);
  });

  it('does not count the wait for a free slot against a healthy endpoint, so it is not timed out', async () => {
    // Prepare: one slot; the first endpoint holds it for 1.5 s, longer than the second one's whole 1 s timeout.
    const answeredAt = new Map<string, number>();
    const base = await serve((request, response) => {
      const delayMs = request.url === '/slow' ? 1_500 : 0;
      setTimeout(() => {
        answeredAt.set(request.url ?? '', performance.now());
        response.end('ok');
      }, delayMs);
    });
    const prober = new HttpProber({ concurrency: 1 });
    const startedAt = performance.now();

    // Act
    const [slow, healthy] = await prober.probe([endpoint({ url: `${base}/slow` }), endpoint({ url: `${base}/healthy`, timeoutMs: 1_000 })]);

    // Assess: the healthy one waited for the slot past its timeout, then passed on its own request's time
    expect(slow).toMatchObject({ ok: true });
    expect(answeredAt.get('/healthy')! - startedAt).toBeGreaterThan(1_000);
    expect(healthy).toMatchObject({ ok: true, status: 200 });
    expect(healthy!.latencyMs).toBeLessThan(1_000);
    prober.close();
  });

  it('does not time out an answer that arrived while the prober itself was starved past the deadline', async () => {
    // Prepare: the server runs in its own thread, tells the test when a request arrives and answers 20 ms later; the
    // test then blocks the prober's event loop for 600 ms, past the probe's 200 ms timeout, as a loaded machine can.
    const worker = new Worker(
      `const { createServer } = require('node:http');
       const { parentPort } = require('node:worker_threads');
       const server = createServer((request, response) => {
         parentPort.postMessage('request');
         setTimeout(() => response.end('ok'), 20);
       });
       server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
      { eval: true },
    );
    try {
      const port = await new Promise<number>((resolve) => worker.once('message', resolve));
      worker.on('message', () => {
        const until = performance.now() + 600;
        while (performance.now() < until);
      });
      const prober = new HttpProber();

      // Act
      const [result] = await prober.probe([endpoint({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 200 })]);

      // Assess: the answer was in the socket when the timer fired; the request did not take 200 ms, the wait did
      expect(result).toMatchObject({ ok: true, status: 200 });
      expect(result!.latencyMs).toBeGreaterThanOrEqual(600);
      prober.close();
    } finally {
      await worker.terminate();
    }
  });

  it('keeps the connection alive from one probe to the next', async () => {
    // Prepare
    let connections = 0;
    const base = await serve((_request, response) => response.end('ok'));
    servers.at(-1)!.on('connection', () => (connections += 1));
    const prober = new HttpProber();

    // Act
    const first = await prober.probe([endpoint({ url: `${base}/a` })]);
    const second = await prober.probe([endpoint({ url: `${base}/b`, bodyContains: 'ok' })]);

    // Assess
    expect([...first, ...second].map((result) => result.ok)).toEqual([true, true]);
    expect(connections).toBe(1);
    prober.close();
  });

  it('sends the request again on a new connection when the kept-alive one was closed by the server', async () => {
    // Prepare: the server drops the second request on any connection without answering, as a server that closed an
    // idle connection looks to a client that reuses it.
    let connections = 0;
    const requestsOn = new WeakMap<object, number>();
    const base = await serve((request, response) => {
      const count = (requestsOn.get(request.socket) ?? 0) + 1;
      requestsOn.set(request.socket, count);
      if (count > 1) return request.socket.destroy();
      response.end('ok');
    });
    servers.at(-1)!.on('connection', () => (connections += 1));
    const prober = new HttpProber();
    await prober.probe([endpoint({ url: `${base}/a` })]);

    // Act
    const [result] = await prober.probe([endpoint({ url: `${base}/b` })]);

    // Assess
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(connections).toBe(2);
    prober.close();
  });

  it('returns one result per endpoint when some fail, without throwing', async () => {
    // Prepare
    const healthy = await serve((_request, response) => response.end('ok'));
    const refused = await closedPort();

    // Act
    const results = await new HttpProber().probe([endpoint({ url: healthy }), endpoint({ url: refused })]);

    // Assess
    expect(results.map((result) => result.ok)).toEqual([true, false]);
  });
});

describe('describeFetchFailure', () => {
  it('names a DNS failure', () => {
    // Prepare
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });

    // Act
    const reason = describeFetchFailure(error, 2000);

    // Assess
    expect(reason).toBe('DNS lookup failed');
  });

  it('names an abort by AbortSignal.timeout as a timeout with its budget', () => {
    // Prepare
    const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');

    // Act
    const reason = describeFetchFailure(error, 2000);

    // Assess
    expect(reason).toBe('timeout after 2000 ms');
  });

  it('keeps the code and message of an unfamiliar socket error', () => {
    // Prepare
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
    });

    // Act
    const reason = describeFetchFailure(error, 2000);

    // Assess
    expect(reason).toBe('request failed: CERT_HAS_EXPIRED (certificate has expired)');
  });
});

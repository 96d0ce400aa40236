import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { runCli } from '../../src/cli/program.js';
import { serveDashboard } from '../../src/ui/server.js';
import { inMemoryWorld, probeRound } from '../application/harness.js';
import { InProcessTransport, terminal } from '../cli/support.js';

async function healthyTransport() {
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
  return { world, transport: new InProcessTransport(world.deps) };
}

/** A raw HTTP request, so the test can send the Host header a browser on another site would. */
function raw(url: string, options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${url}${options.path}`, { method: options.method, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    sent.on('error', reject);
    sent.end(options.body);
  });
}

describe('the dashboard server', () => {
  it('refuses a command from a page of another site or another host name, sending nothing', async () => {
    // Prepare
    const { world, transport } = await healthyTransport();
    const server = await serveDashboard({ transport, port: 0 });
    const body = JSON.stringify({ type: 'pause', reason: 'csrf', confirm: 'orders' });
    const host = new URL(server.url).host;

    try {
      // Act
      const noHeader = await raw(server.url, { method: 'POST', path: '/api/groups/orders/commands', headers: { host, 'content-type': 'text/plain' }, body });
      const rebound = await raw(server.url, {
        method: 'POST',
        path: '/api/groups/orders/commands',
        headers: { host: `evil.example:${new URL(server.url).port}`, 'x-fcp-dashboard': '1' },
        body,
      });

      // Assess
      expect([noHeader.status, rebound.status]).toEqual([403, 403]);
      expect(noHeader.text).toContain('API calls need the x-fcp-dashboard header');
      expect(rebound.text).toContain(`Host must be ${host}`);
      expect(transport.posts()).toEqual([]);
      expect(await world.deps.commands.pending('orders')).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('sends a confirmed command as the operator API answers it, with a new idempotency key each time', async () => {
    // Prepare
    const { transport } = await healthyTransport();
    const server = await serveDashboard({ transport, port: 0 });
    const host = new URL(server.url).host;

    try {
      // Act
      const sent = await raw(server.url, {
        method: 'POST',
        path: '/api/groups/orders/commands',
        headers: { host, 'x-fcp-dashboard': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'pause', reason: 'maintenance', confirm: 'orders' }),
      });

      // Assess
      expect(sent.status).toBe(200);
      expect(JSON.parse(sent.text)).toMatchObject({ state: 'paused', replayed: false, command: { type: 'pause', reason: 'maintenance' } });
      expect(transport.posts()).toHaveLength(1);
      expect(transport.posts()[0]).toMatchObject({ body: { type: 'pause', reason: 'maintenance' }, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    } finally {
      await server.close();
    }
  });
});

describe('fcp ui', () => {
  it('serves the dashboard until interrupted and says where', async () => {
    // Prepare
    const { transport } = await healthyTransport();
    const interrupt = new AbortController();
    const term = terminal(transport, { signal: interrupt.signal });

    // Act
    const running = runCli(['ui', '--port', '0', '--config', 'config/drill.yaml'], term.io);
    for (let wait = 0; wait < 100 && !term.out().includes('dashboard at'); wait += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(term.out())?.[1];
    const page = await fetch(`${url}/`);
    const html = await page.text();
    interrupt.abort();
    const code = await running;

    // Assess
    expect(code).toBe(0);
    expect(page.status).toBe(200);
    expect(html).toContain('<title>fcp dashboard</title>');
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });

  it('exits 2 naming --port when it is not a port', async () => {
    // Prepare
    const term = terminal(undefined);

    // Act
    const code = await runCli(['ui', '--port', '70000'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain("option '--port <n>' argument '70000' is invalid. must be a TCP port, 0 to 65535");
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthServer } from '../../../src/adapters/sim/HealthServer.js';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';

interface Answer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** A plain fetch with a timeout, the way a prober would see the endpoint. */
async function get(url: string, timeoutMs = 5_000): Promise<Answer> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (error as Error).name };
  }
}

describe('HealthServer', () => {
  let clock: ManualClock;
  let server: HealthServer;
  let url: string;

  beforeEach(async () => {
    clock = new ManualClock(0);
    server = await HealthServer.start({ clock, answers: new Map([['/health', { status: 200, body: 'ok' }]]) });
    url = server.urlFor('/health');
  });

  afterEach(async () => {
    await server.close();
  });

  it('answers 200 ok when healthy', async () => {
    // Act
    const answer = await get(url);

    // Assess
    expect(answer).toEqual({ status: 200, body: 'ok' });
  });

  it('answers 503 when told to', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'status', status: 503 });

    // Act
    const answer = await get(url);

    // Assess
    expect(answer.status).toBe(503);
  });

  it('hangs past the client timeout', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'hang' });

    // Act
    const answer = await get(url, 100);

    // Assess
    expect(answer.error).toBe('TimeoutError');
  });

  it('refuses connections, then listens again on the same port', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'refused' });

    // Act
    const refused = await get(url);
    await server.setBehaviour({ kind: 'healthy' });
    const back = await get(url);

    // Assess
    expect(refused.error).toBe('ECONNREFUSED');
    expect(back).toEqual({ status: 200, body: 'ok' });
  });

  it('answers slowly but within the timeout', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'slow', delayMs: 60 });
    const started = performance.now();

    // Act
    const answer = await get(url, 2_000);

    // Assess
    expect(answer).toEqual({ status: 200, body: 'ok' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('flaps per request, failing first', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'flapping', per: 'request' });

    // Act
    const statuses = [];
    for (let request = 0; request < 4; request += 1) statuses.push((await get(url)).status);

    // Assess
    expect(statuses).toEqual([503, 200, 503, 200]);
  });

  it('flaps per interval of simulated time', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'flapping', per: 'interval', intervalMs: 10_000 });

    // Act
    const first = await get(url);
    const sameRound = await get(url);
    await clock.advance(10_000);
    const nextRound = await get(url);

    // Assess
    expect([first.status, sameRound.status, nextRound.status]).toEqual([503, 503, 200]);
  });

  it('answers 200 with the wrong body', async () => {
    // Prepare
    await server.setBehaviour({ kind: 'wrong-body' });

    // Act
    const answer = await get(url);

    // Assess
    expect(answer).toEqual({ status: 200, body: 'maintenance' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { HttpProber } from '../../src/adapters/http/HttpProber.js';
import { HealthServer, type HealthBehaviour } from '../../src/adapters/sim/HealthServer.js';
import type { HealthEndpoint } from '../../src/config/schema.js';
import type { HttpProbeResult } from '../../src/domain/types.js';
import { DrillClock } from '../../src/drill/DrillClock.js';
import { DrillProber } from '../../src/drill/DrillProber.js';
import type { Prober } from '../../src/ports/Prober.js';

/** How long the real request takes in the test of a prompt server. */
const REAL_REQUEST_MS = 300;

const servers: HealthServer[] = [];
const clocks: DrillClock[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  clocks.splice(0).forEach((clock) => clock.stop());
});

async function setUp(behaviour: HealthBehaviour, factor = 1_000, meterCpuWait = false) {
  // The kernel's CPU-wait meter is off unless a test asks for it, so simulated timeouts are exact.
  const clock = new DrillClock({ factor, start: 0, ...(meterCpuWait ? {} : { cpuWait: () => 0 }) });
  clocks.push(clock);
  const server = await HealthServer.start({ clock, answers: new Map([['/health', { status: 200, body: 'ok' }]]) });
  servers.push(server);
  await server.setBehaviour(behaviour);
  const endpoint: HealthEndpoint = { url: server.urlFor('/health'), timeoutMs: 1_000, expectedStatus: 200 };
  const world = { behaviourAt: (url: string) => (url.startsWith(`${server.origin}/`) ? { region: 'eu-west-1', behaviour: server.current } : undefined) };
  return { clock, server, endpoint, world };
}

describe('DrillProber', () => {
  it('answers a prompt server with no simulated time passing, however long the real request takes', async () => {
    // Prepare: the real request takes 300 ms (a prober that waits that long before asking), which at ×1000 would be
    // 5 simulated minutes if it counted.
    const { clock, endpoint, world } = await setUp({ kind: 'status', status: 503 }, 1_000, true);
    const http = new HttpProber();
    const slowHttp: Prober = {
      probe: async (endpoints) => {
        await new Promise((resolve) => setTimeout(resolve, REAL_REQUEST_MS));
        return http.probe(endpoints);
      },
    };
    const prober = new DrillProber(slowHttp, clock, world);
    const before = clock.now();

    // Act
    const [result] = await prober.probe([endpoint]);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 503, error: 'status 503 (expected 200)' });
    // Only the real milliseconds outside the request move the clock (×1000): a small fraction of the request's 300 ms.
    expect(clock.now() - before).toBeLessThan((REAL_REQUEST_MS / 10) * 1_000);
    expect(prober.starved).toEqual([]);
  });

  it('times a hanging server out after the endpoint timeout in simulated time, not in real time', async () => {
    // Prepare
    const { clock, endpoint, world } = await setUp({ kind: 'hang' });
    const prober = new DrillProber(new HttpProber(), clock, world);
    const before = clock.now();
    const realStart = performance.now();

    // Act
    const [result] = await prober.probe([endpoint]);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'timeout after 1000 ms', latencyMs: 1_000 });
    expect(clock.now() - before).toBeGreaterThanOrEqual(1_000);
    // 1 s of simulated time at ×1000 is about a real millisecond, far below the endpoint's 1,000.
    expect(performance.now() - realStart).toBeLessThan(1_000);
  });

  it('lets a slow server answer after its delay in simulated time when the delay is below the timeout', async () => {
    // Prepare
    const { clock, endpoint, world } = await setUp({ kind: 'slow', delayMs: 400 });
    const prober = new DrillProber(new HttpProber(), clock, world);
    const before = clock.now();

    // Act
    const [result] = await prober.probe([endpoint]);

    // Assess
    expect(result).toMatchObject({ ok: true, status: 200, latencyMs: 400 });
    expect(clock.now() - before).toBeGreaterThanOrEqual(400);
  });

  it('answers a failure and names the probe as starved when a prompt answer takes longer than the real-time bound', async () => {
    // Prepare
    const { clock, endpoint, world } = await setUp({ kind: 'healthy' });
    const late = {
      probe: async (endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        return endpoints.map((each) => ({ url: each.url, ok: true, status: 200, latencyMs: 60 }));
      },
    };
    const prober = new DrillProber(late, clock, world, 30);

    // Act
    const [result] = await prober.probe([endpoint]);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'no answer in 30 ms of real time: the machine was too busy' });
    expect(prober.starved).toHaveLength(1);
    expect(prober.starved[0]).toMatchObject({ url: endpoint.url });
    expect(prober.starved[0]?.realMs).toBeGreaterThanOrEqual(30);
  });
});

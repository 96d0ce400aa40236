import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpProber } from '../../../src/adapters/http/HttpProber.js';
import type { HealthBehaviour } from '../../../src/adapters/sim/HealthServer.js';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';
import { SimWorld } from '../../../src/adapters/sim/SimWorld.js';
import type { HealthEndpoint } from '../../../src/config/schema.js';
import { threeRegionGroup } from './group.js';

describe('SimWorld health endpoints through the real HTTP prober', () => {
  let world: SimWorld;
  let endpoints: readonly HealthEndpoint[];
  const prober = new HttpProber();

  beforeAll(async () => {
    world = await SimWorld.create(threeRegionGroup(), { clock: new ManualClock(0), timings: { apiLatencyMs: 0 } });
    endpoints = world.group.regions['eu-west-1']?.healthEndpoints ?? [];
  });

  afterAll(async () => {
    await world.close();
  });

  const cases: [string, HealthBehaviour, RegExp][] = [
    ['503', { kind: 'status', status: 503 }, /^status 503 \(expected 200\)$/],
    ['a hang past the timeout', { kind: 'hang' }, /timeout|timed out/i],
    ['a refused connection', { kind: 'refused' }, /refused/i],
    ['a wrong body', { kind: 'wrong-body' }, /^body does not contain "ok"$/],
  ];

  for (const [name, behaviour, error] of cases) {
    it(`fails the probe on ${name}`, async () => {
      // Prepare
      const fault = await world.inject({ kind: 'http', region: 'eu-west-1', behaviour });

      // Act
      // A short timeout only where the timeout is the point; elsewhere a loaded machine must not turn answers into timeouts.
      const [result] = await prober.probe(endpoints.map((endpoint) => ({ ...endpoint, timeoutMs: behaviour.kind === 'hang' ? 200 : 5_000 })));
      await fault.clear();

      // Assess
      expect(result?.ok).toBe(false);
      expect(result?.error).toMatch(error);
    });
  }

  it('passes a slow probe that answers within the timeout', async () => {
    // Prepare
    const fault = await world.inject({ kind: 'http', region: 'eu-west-1', behaviour: { kind: 'slow', delayMs: 80 } });

    // Act
    const [result] = await prober.probe(endpoints);
    await fault.clear();

    // Assess
    expect(result?.ok).toBe(true);
    expect(result?.latencyMs).toBeGreaterThanOrEqual(75);
  });

  it('alternates failing and passing probes when flapping per request', async () => {
    // Prepare
    const fault = await world.inject({ kind: 'http', region: 'eu-west-1', behaviour: { kind: 'flapping', per: 'request' } });

    // Act
    const results = [];
    for (let round = 0; round < 4; round += 1) results.push((await prober.probe(endpoints))[0]?.ok);
    await fault.clear();

    // Assess
    expect(results).toEqual([false, true, false, true]);
  });

  it('passes every probe once the faults are cleared', async () => {
    // Act
    const results = await prober.probe(world.regions.flatMap((region) => world.group.regions[region]?.healthEndpoints ?? []));

    // Assess
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
  });
});

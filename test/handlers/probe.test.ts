import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProbeHandler } from '../../handlers/probe.js';
import { loadConfig } from '../../src/config/load.js';
import type { ProbeRuntime } from '../../src/composition/lambda.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { TestClock } from '../doubles/TestClock.js';
import { captureOutput, lambdaContext, valuesOf } from './support.js';

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);

async function probeWorld() {
  const config = await loadConfig('test/handlers/fixtures/orders.yaml');
  const clock = new TestClock(T0);
  const prober = new ScriptedProber();
  const observations = new InMemoryObservationStore();
  const runtime: ProbeRuntime = {
    observerRegion: 'us-east-1',
    deps: {
      config,
      clock,
      prober,
      observations,
      faults: new InMemoryFaultStore(),
      database: new InMemoryDatabase(clock, { 'eu-west-1': { role: 'primary' }, 'us-east-1': { role: 'replica', replicaLagSeconds: 1 } }),
    },
  };
  const telemetry = { logger: new Logger({ serviceName: 'failover-control-plane' }), metrics: new Metrics({ namespace: 'FailoverControlPlane', serviceName: 'failover-control-plane' }) };
  return { runtime, clock, prober, observations, telemetry };
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.restore();
});

describe('the probe handler', () => {
  it('probes every interval until the invocation is nearly over and reports each region', async () => {
    // Prepare
    const { runtime, prober, observations, telemetry } = await probeWorld();
    prober.failing.add('http://orders.eu-west-1.test/health');
    const handler = createProbeHandler({ load: async () => runtime, ...telemetry });

    // Act
    const summary = await handler({}, lambdaContext(60_000));

    // Assess
    // Rounds start every 10 s and need 2 s (1 s endpoint timeout + 1 s margin) before the 55 s deadline: 0, 10 ... 50.
    expect(summary.rounds).toBe(6);
    expect(summary.finishedAt).toBeLessThanOrEqual(T0 + 55_000);
    expect(await observations.get('orders', 'eu-west-1', 'us-east-1')).toMatchObject({ ok: false, consecutiveFailures: 6 });
    expect(await observations.get('orders', 'us-east-1', 'us-east-1')).toMatchObject({ ok: true, consecutiveSuccesses: 6 });
    const metrics = output.metrics();
    // Fleet-wide totals, one metric each: 6 rounds × eu-west-1 failed, 6 × us-east-1 passed; the slowest endpoint
    // waited out its 1 s timeout. Per-region detail is in the log line below, not in a metric per observer × region.
    expect(valuesOf(metrics, 'ProbeFailed', { service: 'failover-control-plane' })).toEqual([6]);
    expect(valuesOf(metrics, 'ProbeSucceeded', { service: 'failover-control-plane' })).toEqual([6]);
    expect(valuesOf(metrics, 'ProbeUnknown', { service: 'failover-control-plane' })).toEqual([0]);
    expect(valuesOf(metrics, 'ProbeLatencyMax', { service: 'failover-control-plane' })).toEqual([1_000]);
    expect(metrics.flatMap((record) => Object.keys(record.dimensions))).toEqual(metrics.map(() => 'service'));
    expect(valuesOf(metrics, 'ProbeRounds', { service: 'failover-control-plane' })).toEqual([6]);
    expect(valuesOf(metrics, 'ProbeRoundDuration')).toHaveLength(6);
    expect(metrics.every((record) => record.namespace === 'FailoverControlPlane')).toBe(true);
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ message: 'probe rounds finished', rounds: 6, failing: [{ groupId: 'orders', region: 'eu-west-1', ok: 0, failed: 6 }] }),
    );
  });

  it("keeps each region's median and maximum HTTP latency in its summary and publishes only the slowest", async () => {
    // Prepare
    const { runtime, prober, telemetry } = await probeWorld();
    const latenciesMs = [20, 80, 10, 300, 40, 30];
    const probe = prober.probe.bind(prober);
    prober.probe = async (endpoints) =>
      (await probe(endpoints)).map((result) =>
        result.url === 'http://orders.us-east-1.test/health' ? { ...result, latencyMs: latenciesMs.shift() ?? 0 } : result,
      );
    const handler = createProbeHandler({ load: async () => runtime, ...telemetry });

    // Act
    const summary = await handler({}, lambdaContext(60_000));

    // Assess
    expect(summary.regions.find((region) => region.region === 'us-east-1')?.latencyMs).toEqual({ count: 6, p50: 30, max: 300 });
    expect(valuesOf(output.metrics(), 'ProbeLatencyMax', { service: 'failover-control-plane' })).toEqual([300]);
    expect(valuesOf(output.metrics(), 'ProbeLatency')).toEqual([]);
  });

  it('builds its dependencies once per container and reuses them', async () => {
    // Prepare
    const { runtime, telemetry } = await probeWorld();
    const load = vi.fn(async () => runtime);
    const handler = createProbeHandler({ load, ...telemetry });

    // Act
    await handler({}, lambdaContext(20_000));
    await handler({}, lambdaContext(20_000));

    // Assess
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('fails an invocation whose dependencies cannot be built and tries again at the next one', async () => {
    // Prepare
    const { runtime, telemetry } = await probeWorld();
    const load = vi.fn<() => Promise<ProbeRuntime>>().mockRejectedValueOnce(new Error('TABLE_NAME: is required')).mockResolvedValue(runtime);
    const handler = createProbeHandler({ load, ...telemetry });

    // Act
    const first = handler({}, lambdaContext(20_000));
    await expect(first).rejects.toThrow('TABLE_NAME: is required');
    const second = await handler({}, lambdaContext(20_000));

    // Assess
    expect(load).toHaveBeenCalledTimes(2);
    expect(second.rounds).toBeGreaterThan(0);
    expect(output.logs()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'probe invocation failed' }));
  });

  it('does not start a round that could not finish before the deadline', async () => {
    // Prepare
    const { runtime, prober, telemetry } = await probeWorld();
    const handler = createProbeHandler({ load: async () => runtime, ...telemetry });

    // Act: 5 s margin + 2 s round budget leaves nothing of 6 s.
    const summary = await handler({}, lambdaContext(6_000));

    // Assess
    expect(summary.rounds).toBe(0);
    expect(prober.calls.probe).toBe(0);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOrchestrateHandler } from '../../handlers/orchestrate.js';
import type { ExecutorDeps } from '../../src/application/executor.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import { loadConfig } from '../../src/config/load.js';
import { FatalStepError } from '../../src/domain/errors.js';
import { shardLeaseKey } from '../../src/domain/shards.js';
import { InMemoryCommandQueue } from '../doubles/InMemoryCommandQueue.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { InMemoryEventLog } from '../doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';
import { InMemoryTraffic } from '../doubles/InMemoryTraffic.js';
import { RecordingNotifier } from '../doubles/RecordingNotifier.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { TestClock } from '../doubles/TestClock.js';
import { captureOutput, lambdaContext, valuesOf } from './support.js';

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
const PRIMARY_HEALTH = 'http://orders.eu-west-1.test/health';

async function executorWorld() {
  const config = await loadConfig('test/handlers/fixtures/orders.yaml');
  const clock = new TestClock(T0);
  const prober = new ScriptedProber();
  const database = new InMemoryDatabase(clock, { 'eu-west-1': { role: 'primary' }, 'us-east-1': { role: 'replica', replicaLagSeconds: 0 } });
  const deps = {
    config,
    clock,
    prober,
    database,
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    traffic: new InMemoryTraffic(clock, 'eu-west-1'),
    notifier: new RecordingNotifier(),
  } satisfies ExecutorDeps;
  const telemetry = {
    logger: new Logger({ serviceName: 'failover-control-plane' }),
    metrics: new Metrics({ namespace: 'FailoverControlPlane', serviceName: 'failover-control-plane' }),
  };
  return { deps, telemetry };
}

/** Every observer probes `rounds` times, one interval apart, through the real probe use case. */
async function probeFromEveryObserver(deps: Awaited<ReturnType<typeof executorWorld>>['deps'], rounds: number): Promise<void> {
  const probeDeps = { ...deps, faults: new InMemoryFaultStore() };
  for (let round = 0; round < rounds; round += 1) {
    if (round > 0) deps.clock.advance(10_000);
    for (const observerRegion of deps.config.fleet.observerRegions) await runProbeRound(probeDeps, { observerRegion });
  }
}

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.restore();
});

describe('the orchestrate handler', () => {
  it('runs passes through the minute, often enough to keep detection within its bound, until the invocation is nearly over', async () => {
    // Prepare
    const { deps, telemetry } = await executorWorld();
    await probeFromEveryObserver(deps, 1);
    const handler = createOrchestrateHandler({ load: async () => deps, ...telemetry });

    // Act
    const result = await handler({}, lambdaContext(60_000));

    // Assess
    // 10 s probes, 3 rounds, 2 s timeouts: a pass every 7.5 s (shardPassIntervalMs), at 0, 7.5 ... 52.5 s; one at
    // 60 s would not fit before the 57 s deadline.
    expect(result.passes).toBe(8);
    expect(result.outcomes).toEqual([expect.objectContaining({ groupId: 'orders', result: 'idle', state: 'monitoring' })]);
    const metrics = output.metrics();
    expect(valuesOf(metrics, 'FailoverStalled', { service: 'failover-control-plane' })).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(valuesOf(metrics, 'OrchestratorPasses')).toEqual([8]);
  });

  it('acts only on the groups of the shard its schedule names, under that shard\'s lease', async () => {
    // Prepare: orders in the default shard, a copy of it in shard east.
    const { deps, telemetry } = await executorWorld();
    const east = { ...deps.config.groups[0]!, id: 'orders-east', shard: 'east' };
    const config = { ...deps.config, groups: [...deps.config.groups, east] };
    const sharded = { ...deps, config };
    await probeFromEveryObserver(sharded, 1);
    const handler = createOrchestrateHandler({ load: async () => sharded, ...telemetry });

    // Act
    const result = await handler({ shard: 'east' }, lambdaContext(60_000));

    // Assess
    expect(result.outcomes).toEqual([expect.objectContaining({ groupId: 'orders-east', result: 'idle' })]);
    expect(await deps.stateStore.load('orders')).toBeUndefined();
    // Given up at the end: the next invocation of the shard takes it at once, in a new epoch.
    const next = await deps.stateStore.acquireLease(shardLeaseKey('east'), 'next-invocation', deps.clock.now(), 30_000);
    expect(next.epoch).toBe(2);
  });

  it('refuses an event whose shard is not a shard name, loading nothing', async () => {
    // Prepare
    const { deps, telemetry } = await executorWorld();
    const load = vi.fn(async () => deps);
    const handler = createOrchestrateHandler({ load, ...telemetry });

    // Act
    const run = handler({ shard: 'East Coast' } as never, lambdaContext(60_000));

    // Assess
    await expect(run).rejects.toThrow(/orchestrate event is malformed/);
    expect(load).not.toHaveBeenCalled();
    expect(deps.stateStore.calls.load).toBe(0);
  });

  it('carries a confirmed outage through a failover and publishes its RTO and phase durations once', async () => {
    // Prepare
    const { deps, telemetry } = await executorWorld();
    deps.prober.failing.add(PRIMARY_HEALTH);
    await probeFromEveryObserver(deps, 3);
    const handler = createOrchestrateHandler({ load: async () => deps, ...telemetry });

    // Act
    const result = await handler({}, lambdaContext(60_000));

    // Assess
    const [outcome] = result.outcomes;
    expect(outcome).toMatchObject({ groupId: 'orders', state: 'failedOver', failover: { outcome: 'completed', to: 'us-east-1' } });
    const rtoMs = outcome !== undefined && 'failover' in outcome ? outcome.failover?.rtoMs : undefined;
    expect(rtoMs).toBeGreaterThan(0);
    const metrics = output.metrics();
    expect(valuesOf(metrics, 'FailoverCompleted', { group: 'orders' })).toEqual([1]);
    expect(valuesOf(metrics, 'FailoverRto', { group: 'orders' })).toEqual([rtoMs]);
    const [promotionMs] = valuesOf(metrics, 'FailoverPhaseDuration', { group: 'orders', phase: 'promotion' });
    expect(promotionMs).toBeGreaterThanOrEqual(20_000);
    expect(deps.traffic.calls.pointTo).toBe(1);
    expect(output.logs()).toContainEqual(expect.objectContaining({ message: 'failover completed', groupId: 'orders' }));
  });

  it('counts and logs each verdict change: every region when first judged, then the primary going unhealthy', async () => {
    // Prepare: one pass per invocation, with reports still fresh.
    const { deps, telemetry } = await executorWorld();
    await probeFromEveryObserver(deps, 1);
    const handler = createOrchestrateHandler({ load: async () => deps, ...telemetry, passIntervalMs: 30_000 });
    await handler({}, lambdaContext(10_000));
    deps.prober.failing.add(PRIMARY_HEALTH);
    deps.clock.advance(10_000);
    await probeFromEveryObserver(deps, 3);

    // Act
    await handler({}, lambdaContext(10_000));

    // Assess
    const metrics = output.metrics();
    const primary = { service: 'failover-control-plane', group: 'orders', region: 'eu-west-1' };
    expect(valuesOf(metrics, 'VerdictChange', { ...primary, to: 'healthy' })).toEqual([1]);
    expect(valuesOf(metrics, 'VerdictChange', { ...primary, to: 'unhealthy' })).toEqual([1]);
    expect(valuesOf(metrics, 'VerdictChange', { group: 'orders', region: 'us-east-1', to: 'healthy' })).toEqual([1]);
    const changes = output.logs().filter((line) => line.message === 'verdict changed');
    expect(changes.map(({ level, groupId, region, from, to }) => ({ level, groupId, region, from, to }))).toEqual([
      { level: 'INFO', groupId: 'orders', region: 'eu-west-1', from: 'unknown', to: 'healthy' },
      { level: 'INFO', groupId: 'orders', region: 'us-east-1', from: 'unknown', to: 'healthy' },
      { level: 'INFO', groupId: 'orders', region: 'eu-west-1', from: 'healthy', to: 'unhealthy' },
    ]);
  });

  it('reports a stalled failover to the FailoverStalled metric', async () => {
    // Prepare
    const { deps, telemetry } = await executorWorld();
    deps.prober.failing.add(PRIMARY_HEALTH);
    await probeFromEveryObserver(deps, 3);
    vi.spyOn(deps.database, 'promote').mockRejectedValue(
      new FatalStepError('rds:PromoteReadReplica denied on orders-use1', { groupId: 'orders', region: 'us-east-1' }),
    );
    const handler = createOrchestrateHandler({ load: async () => deps, ...telemetry });

    // Act
    const result = await handler({}, lambdaContext(60_000));

    // Assess
    expect(result.outcomes).toEqual([expect.objectContaining({ groupId: 'orders', state: 'stalled' })]);
    expect(valuesOf(output.metrics(), 'FailoverStalled').at(-1)).toBe(1);
  });

  it('fails the invocation when a group ends in an unexpected error, after publishing its metrics', async () => {
    // Prepare
    const { deps, telemetry } = await executorWorld();
    vi.spyOn(deps.stateStore, 'createIfAbsent').mockRejectedValue(new Error('table is gone'));
    const handler = createOrchestrateHandler({ load: async () => deps, ...telemetry, passIntervalMs: 30_000 });

    // Act
    const invocation = handler({}, lambdaContext(60_000));

    // Assess
    await expect(invocation).rejects.toThrow('1 group(s) failed: orders: Error: table is gone');
    expect(valuesOf(output.metrics(), 'GroupErrors')).toEqual([1, 1]);
    expect(output.logs()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'group failed', groupId: 'orders', error: 'Error: table is gone' }));
  });
});

import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { groupStatus } from '../../src/application/status.js';
import { inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

describe('groupStatus: what the dashboard shows beside each verdict', () => {
  it('gives each observer result with when it observed, the lag with when it was measured, and the control plane clock', async () => {
    // Prepare: a healthy round, then a round in which only ap-southeast-2 sees the primary fail, 5 s later.
    const { deps, group, clock } = inMemoryWorld();
    await probeRound(deps, group);
    await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: clock.now() + 60_000 });
    const healthyAt = clock.now();
    clock.advance(5_000);
    await probeRound(deps, group, { down: [PRIMARY], observers: ['ap-southeast-2'] });

    // Act
    const status = await groupStatus(deps, group);

    // Assess
    const primary = status.regions.find((region) => region.region === PRIMARY)!;
    const replica = status.regions.find((region) => region.region === REPLICA)!;
    expect(status.at).toBe(clock.now());
    expect(primary.observers).toEqual([
      { observer: 'ap-southeast-2', result: 'failing', observedAt: clock.now(), consecutiveFailures: 1, reasons: expect.arrayContaining([expect.stringContaining('connection refused')]) },
      { observer: 'eu-west-1', result: 'passing', observedAt: healthyAt, consecutiveFailures: 0, reasons: [] },
      { observer: 'us-east-1', result: 'passing', observedAt: healthyAt, consecutiveFailures: 0, reasons: [] },
    ]);
    expect(replica.replicaLagMeasuredAt).toBe(healthyAt);
  });
});

import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import type { ControlPlaneConfig } from '../../src/config/schema.js';
import { ValidationError } from '../../src/domain/errors.js';
import { DrillRefusedError } from '../../src/drill/errors.js';
import type { DrillReport } from '../../src/drill/report.js';
import { awaitStagingDrill, startStagingDrill, type StagingDrillDeps } from '../../src/drill/stagingDrill.js';
import { InMemoryDrillReportStore } from '../doubles/InMemoryDrillReportStore.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { drillConfig, inMemoryWorld, PRIMARY, REPLICA } from '../application/harness.js';

const PRINCIPAL = 'arn:aws:iam::123456789012:user/drill-lead';
const request = { groupId: 'orders', scenario: 'primary-region-outage', principalArn: PRINCIPAL, durationSeconds: 600 };

function stagingWorld(config?: ControlPlaneConfig) {
  const world = inMemoryWorld(config);
  const faults = new InMemoryFaultStore();
  const reports = new InMemoryDrillReportStore<DrillReport>();
  const deps: StagingDrillDeps = {
    config: world.deps.config,
    stateStore: world.deps.stateStore,
    eventLog: world.deps.eventLog,
    faults,
    reports,
    clock: world.clock,
    newId: () => 'drill-1',
  };
  return { ...world, faults, reports, staging: deps };
}

/** Probe rounds from every observer, then one executor run, `rounds` times, one probe interval apart. */
async function operate(world: ReturnType<typeof stagingWorld>, rounds: number): Promise<string> {
  const { deps, group, clock, faults } = world;
  let state = 'monitoring';
  for (let round = 0; round < rounds && state !== 'failedOver'; round += 1) {
    clock.advance(group.policy.probeIntervalSeconds * 1000);
    for (const observerRegion of deps.config.fleet.observerRegions) {
      await runProbeRound({ ...deps, faults }, { observerRegion });
    }
    state = (await reconcileGroup(deps, group, { owner: `executor-${round}`, deadline: clock.now() + 60_000 })).state;
  }
  return state;
}

describe('startStagingDrill', () => {
  it('refuses a production group without --allow-production, and writes no fault', async () => {
    // Prepare
    const world = stagingWorld(drillConfig((config) => (config.groups[0]!.environment = 'production')));

    // Act
    const refusal = await startStagingDrill(world.staging, request).catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(DrillRefusedError);
    expect((refusal as Error).message).toMatch(/production group.*--allow-production/);
    expect(world.faults.calls.put).toBe(0);
  });

  it('refuses a production group in automatic mode even with --allow-production', async () => {
    // Prepare
    const world = stagingWorld(drillConfig((config) => (config.groups[0]!.environment = 'production')));

    // Act
    const refusal = await startStagingDrill(world.staging, { ...request, allowProduction: true }).catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(DrillRefusedError);
    expect((refusal as Error).message).toMatch(/automatic mode: a production drill needs approval mode/);
    expect(world.faults.calls.put).toBe(0);
  });

  it('drills a production group in approval mode with --allow-production', async () => {
    // Prepare
    const world = stagingWorld(
      drillConfig((config) => {
        config.groups[0]!.environment = 'production';
        config.groups[0]!.mode = 'approval';
      }),
    );

    // Act
    const drill = await startStagingDrill(world.staging, { ...request, allowProduction: true });

    // Assess
    expect(await world.faults.active('orders', world.clock.now())).toEqual([
      { groupId: 'orders', region: PRIMARY, scenario: 'primary-region-outage', principalArn: PRINCIPAL, createdAt: drill.startedAt, expiresAt: drill.startedAt + 600_000 },
    ]);
  });

  it('refuses a scenario the fault store cannot play, and a fault too short to be detected', async () => {
    // Prepare
    const world = stagingWorld();

    // Act
    const unknown = await startStagingDrill(world.staging, { ...request, scenario: 'dns-throttled' }).catch((error: unknown) => error);
    const tooShort = await startStagingDrill(world.staging, { ...request, durationSeconds: 10 }).catch((error: unknown) => error);

    // Assess
    expect(unknown).toBeInstanceOf(DrillRefusedError);
    expect((unknown as Error).message).toMatch(/dns-throttled cannot run against AWS/);
    expect(tooShort).toBeInstanceOf(ValidationError);
    expect((tooShort as ValidationError).issues[0]).toMatch(/must be over 15 s/);
    expect(world.faults.calls.put).toBe(0);
  });
});

describe('awaitStagingDrill', () => {
  it('reports and stores the failover the injected fault caused, then clears the fault', async () => {
    // Prepare
    const world = stagingWorld();
    await operate(world, 3);
    const drill = await startStagingDrill(world.staging, request);
    const state = await operate(world, 30);

    // Act
    const stored = await awaitStagingDrill(world.staging, drill);

    // Assess
    expect(state).toBe('failedOver');
    expect(stored.outcome).toBe('completed');
    expect(stored.report?.from).toBe(PRIMARY);
    expect(stored.report?.to).toBe(REPLICA);
    expect(stored.report?.faultInjectedAt).toBe(drill.startedAt);
    expect(stored.report?.events.some((event) => event.message.includes('drill fault injected: primary-region-outage'))).toBe(true);
    expect(await world.reports.list('orders')).toEqual([stored]);
    expect(await world.faults.active('orders', world.clock.now())).toEqual([]);
  });

  it('ends at the time box with no failover when nothing acts on the fault, and stores that', async () => {
    // Prepare
    const world = stagingWorld();
    const drill = await startStagingDrill(world.staging, { ...request, durationSeconds: 60 });

    // Act
    const stored = await awaitStagingDrill(world.staging, drill);

    // Assess
    expect(stored.outcome).toBe('no-failover');
    expect(stored.report).toBeUndefined();
    expect(stored.finishedAt).toBeGreaterThanOrEqual(drill.expiresAt);
    expect(world.faults.calls.clear).toBe(1);
    expect((await world.reports.list('orders')).map((saved) => saved.outcome)).toEqual(['no-failover']);
  });
});

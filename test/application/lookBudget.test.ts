import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/sim/ManualClock.js';
import type { ExecutorDeps } from '../../src/application/executor.js';
import { LookBudget } from '../../src/application/lookBudget.js';
import { orchestrateUntil } from '../../src/application/orchestrate.js';
import { LOOK_SHARE, PROVIDER_RATE_LIMITS } from '../../src/domain/lookCadence.js';
import type { Database } from '../../src/ports/Database.js';
import type { Traffic } from '../../src/ports/Traffic.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { InMemoryTraffic } from '../doubles/InMemoryTraffic.js';
import { drillConfig, FAR_REPLICA, inMemoryWorld, PRIMARY, probeRound, REPLICA, T0 } from './harness.js';

const GROUPS = 12;

/** The most of `times` that fall in any half-open window of one second. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    let end = start;
    while (end < sorted.length && sorted[end]! < sorted[start]! + 1_000) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

/**
 * `GROUPS` groups with their own databases and records on one clock that only moves when told, all failing over from
 * eu-west-1 to us-east-1 at once (a regional outage); every look the executor makes is timed: a describe of a target
 * whose promotion is in progress, a GetChange.
 */
async function regionalOutage() {
  const config = drillConfig((draft) => {
    const template = draft.groups[0]!;
    // The fleet brake would stop all but the first few: here the point is many groups in flight at once.
    draft.fleet = { ...draft.fleet, fleetBrake: { ...draft.fleet.fleetBrake, maxAutomaticFailovers: GROUPS } };
    draft.groups = Array.from({ length: GROUPS }, (_, index) => ({
      ...structuredClone(template),
      id: `group-${index}`,
      dns: { ...template.dns, recordName: `group-${index}.drill.internal` },
    }));
  });
  const clock = new ManualClock(T0);
  const world = inMemoryWorld(config);
  const databases = new Map<string, InMemoryDatabase>();
  const records = new Map<string, InMemoryTraffic>();
  for (const group of config.groups) {
    databases.set(
      group.id,
      new InMemoryDatabase(clock, { [PRIMARY]: { role: 'primary' }, [REPLICA]: { role: 'replica', replicaLagSeconds: 2 }, [FAR_REPLICA]: { role: 'replica', replicaLagSeconds: 5 } }),
    );
    records.set(group.id, new InMemoryTraffic(clock, PRIMARY));
  }
  const promotionLooksAt: number[] = [];
  const dnsLooksAt: number[] = [];
  const database: Database = {
    describe: async (group, region) => {
      const db = databases.get(group.id)!;
      if (region === REPLICA && db.region(REPLICA).promotionStartedAt !== undefined) promotionLooksAt.push(clock.now());
      return db.describe(group, region);
    },
    fence: (group, region, mode, effect) => databases.get(group.id)!.fence(group, region, mode, effect),
    promote: (group, region, options, effect) => databases.get(group.id)!.promote(group, region, options, effect),
  };
  // A change id names its group, as Route 53's name the change it made.
  const traffic: Traffic = {
    currentRegion: (group) => records.get(group.id)!.currentRegion(group),
    pointTo: async (group, region, comment, effect) => {
      const result = await records.get(group.id)!.pointTo(group, region, comment, effect);
      return result.changeId === undefined ? result : { ...result, changeId: `${group.id}/${result.changeId}` };
    },
    changeStatus: async (changeId) => {
      dnsLooksAt.push(clock.now());
      const [groupId, id] = changeId.split('/') as [string, string];
      return records.get(groupId)!.changeStatus(id);
    },
  };
  const { polling: _testPolling, ...defaults } = world.deps;
  const deps: ExecutorDeps = { ...defaults, clock, database, traffic };
  // Every observer sees eu-west-1 down in every group, round after round.
  for (let round = 0; round < config.groups[0]!.policy.failureThreshold; round += 1) {
    await clock.advance(config.groups[0]!.policy.probeIntervalSeconds * 1_000);
    for (const group of config.groups) await probeRound({ ...deps, clock, database: databases.get(group.id)! }, group, { down: [PRIMARY] });
  }
  return { deps, clock, promotionLooksAt, dnsLooksAt };
}

/** Runs one orchestrate invocation to its end, moving the clock a second at a time. */
async function orchestrateToTheEnd(deps: ExecutorDeps, clock: ManualClock) {
  let done = false;
  const run = orchestrateUntil(deps, { owner: 'lambda-1', deadline: clock.now() + 5 * 60_000, intervalMs: 10_000, minPassMs: 2_000 }).finally(() => {
    done = true;
  });
  while (!done) await clock.advance(1_000);
  return run;
}

describe('the look budget of one process', () => {
  it('keeps the completion looks of many groups failing over at once within each API budget, and every group still completes', async () => {
    // Prepare
    const { deps, clock, promotionLooksAt, dnsLooksAt } = await regionalOutage();

    // Act
    const { outcomes } = await orchestrateToTheEnd({ ...deps, looks: new LookBudget() }, clock);

    // Assess: at most 6 DescribeDBInstances and 2.5 GetChange a second (half of RDS's 12 and Route 53's 5)
    expect(outcomes.map((outcome) => ('state' in outcome ? outcome.state : outcome.message))).toEqual(Array(GROUPS).fill('failedOver'));
    expect(promotionLooksAt.length).toBeGreaterThan(GROUPS);
    expect(dnsLooksAt.length).toBeGreaterThan(GROUPS);
    expect(busiestSecond(promotionLooksAt)).toBeLessThanOrEqual(PROVIDER_RATE_LIMITS.rds * LOOK_SHARE);
    expect(busiestSecond(dnsLooksAt)).toBeLessThanOrEqual(Math.ceil(PROVIDER_RATE_LIMITS.route53 * LOOK_SHARE));
  });

  it('lets each group look on its own only within the budget when the process shares none', async () => {
    // Prepare
    const { deps, clock, promotionLooksAt } = await regionalOutage();

    // Act: every run has its own budget: each group looks every 250 ms, twelve at once
    await orchestrateToTheEnd(deps, clock);

    // Assess: why the process shares one: twelve groups alone would send 48 a second
    expect(busiestSecond(promotionLooksAt)).toBeGreaterThan(PROVIDER_RATE_LIMITS.rds);
  });
});

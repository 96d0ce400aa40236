import { describe, expect, it } from 'vitest';
import { performStep, type StepInput } from '../../src/application/steps.js';
import type { FailoverRecord, RegionHealth } from '../../src/domain/types.js';
import { drillConfig, inMemoryWorld, PRIMARY, REPLICA, T0 } from './harness.js';

/** An automatic failover from the primary to the replica, decided at T0. */
function failover(overrides: Partial<FailoverRecord> = {}): FailoverRecord {
  return {
    id: 'fo-1',
    groupId: 'orders',
    trigger: { kind: 'automatic' },
    reason: 'primary down',
    from: PRIMARY,
    to: REPLICA,
    planned: false,
    allowDataLoss: false,
    outcome: 'in-progress',
    timestamps: { detectedAt: T0, decidedAt: T0 },
    ...overrides,
  };
}

/** A world whose replica lags `lagSeconds` (undefined: no reading), with the step input for `step`. */
function world(step: StepInput['step'], lagSeconds: number | undefined, record = failover(), health: Record<string, RegionHealth> = {}) {
  const { deps, group } = inMemoryWorld(drillConfig((config) => {
    config.groups[0]!.policy.fencing = 'stop-instance';
  }));
  deps.database.region(REPLICA).replicaLagSeconds = lagSeconds;
  const input: StepInput = { group, step, failover: { ...record, groupId: group.id }, health };
  return { deps, input, budget: group.policy.maxReplicaLagSeconds };
}

describe('performStep: the lag checks', () => {
  it('does not fence the old primary when the replica lags more than the budget: the lag is checked before fencing', async () => {
    // Prepare
    const { deps, input, budget } = world('fencing', 45);

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(budget).toBe(30);
    expect(result).toEqual({
      event: {
        type: 'LAG_OVER_BUDGET',
        at: T0,
        replicaLagSeconds: 45,
        detail: `replica lag of ${REPLICA} is 45 s, over the 30 s budget (before fencing); an operator may accept the loss with fcp failover --allow-data-loss`,
      },
    });
    expect(deps.database.calls.fence).toBe(0);
  });

  it('reads no lag before a fence that does nothing (fencing none): the promotion checks the lag itself, on a reading taken then', async () => {
    // Prepare
    const { deps, input } = world('fencing', 45);
    const group = { ...input.group, policy: { ...input.group.policy, fencing: 'none' as const } };

    // Act
    const fenced = await performStep(deps, { ...input, group });
    const promoting = await performStep(deps, { ...input, group, step: 'promoting' });

    // Assess
    expect(fenced).toEqual({ event: { type: 'FENCED', at: T0, outcome: 'skipped' } });
    expect(promoting).toMatchObject({ event: { type: 'LAG_OVER_BUDGET', replicaLagSeconds: 45 } });
    expect(deps.database.calls.describe).toBe(1);
    expect(deps.database.calls.promote).toBe(0);
  });

  it('refuses to fence when the replica lag is unknown, because the data-loss window cannot be bounded', async () => {
    // Prepare
    const { deps, input } = world('fencing', undefined);

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toMatchObject({ event: { type: 'LAG_OVER_BUDGET', replicaLagSeconds: undefined } });
    expect('event' in result && result.event.type === 'LAG_OVER_BUDGET' && result.event.detail).toMatch(/is unknown or stale/);
    expect(deps.database.calls.fence).toBe(0);
  });

  it('fences without a lag check when an operator accepted the data loss', async () => {
    // Prepare
    const { deps, input } = world('fencing', 45, failover({ allowDataLoss: true, trigger: { kind: 'operator', principalArn: 'arn:aws:iam::123456789012:role/oncall' } }));

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'FENCED', at: T0, outcome: 'fenced' } });
    expect(deps.database.calls).toMatchObject({ describe: 0, fenceEffective: 1 });
  });

  it('does not promote a replica whose lag exceeds the budget, and says it was measured at promotion', async () => {
    // Prepare
    const { deps, input } = world('promoting', 31);

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toMatchObject({ event: { type: 'LAG_OVER_BUDGET', at: T0, replicaLagSeconds: 31 } });
    expect('event' in result && result.event.type === 'LAG_OVER_BUDGET' && result.event.detail).toContain('31 s, over the 30 s budget (at promotion)');
    expect(deps.database.calls.promote).toBe(0);
  });

  it('promotes a replica within the budget and records the lag it promoted over as the data-loss window', async () => {
    // Prepare
    const { deps, input } = world('promoting', 30);

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'PROMOTION_STARTED', at: T0, replicaLagSeconds: 30 } });
    expect(deps.database.calls.promoteEffective).toBe(1);
  });

  it('judges the lag on the newest reading: an old low reading from the observers does not hide a high one from the database', async () => {
    // Prepare
    const observed: RegionHealth = {
      region: REPLICA,
      verdict: 'healthy',
      since: T0 - 60_000,
      failingObservers: [],
      recoveredObservers: [],
      staleObservers: [],
      replicaLagSeconds: 1,
      replicaLagMeasuredAt: T0 - 5_000,
      reasons: [],
    };
    const { deps, input } = world('promoting', 50, failover(), { [REPLICA]: observed });

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toMatchObject({ event: { type: 'LAG_OVER_BUDGET', replicaLagSeconds: 50 } });
    expect(deps.database.calls.promote).toBe(0);
  });

  it('does not check the lag of a target that is already promoted, and does not promote it again', async () => {
    // Prepare
    const { deps, input } = world('promoting', undefined);
    deps.database.region(REPLICA).role = 'standalone';

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'PROMOTION_STARTED', at: T0, replicaLagSeconds: undefined } });
    expect(deps.database.calls.promote).toBe(0);
  });
});

describe('performStep: a planned switchover drains, then promotes on the drain\'s reading', () => {
  /** A planned switchover fenced at T0 with `fenceOutcome`; the target answers a lag of `lagSeconds` measured at `measuredAt`. */
  function planned(step: StepInput['step'], options: { fenceOutcome?: string; drainedAt?: number; lagSeconds?: number; measuredAt?: number } = {}) {
    const record = failover({
      planned: true,
      trigger: { kind: 'operator', principalArn: 'arn:aws:iam::000000000000:user/operator' },
      fenceOutcome: options.fenceOutcome ?? 'fenced',
      timestamps: { decidedAt: T0, fencedAt: T0, ...(options.drainedAt === undefined ? {} : { drainedAt: options.drainedAt }) },
    });
    const { deps, input } = world(step, options.lagSeconds ?? 0, record);
    const database = deps.database;
    const measured = {
      ...deps,
      database: {
        describe: async (...args: Parameters<typeof database.describe>) => ({ ...(await database.describe(...args)), replicaLagMeasuredAt: options.measuredAt ?? T0 + 1_000 }),
        fence: database.fence.bind(database),
        promote: database.promote.bind(database),
      },
    };
    return { deps: measured, calls: database.calls, input };
  }

  it('does not take a lag of 0 measured before the fence for drained', async () => {
    // Prepare
    const { deps, input } = planned('draining', { measuredAt: T0 - 1 });

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ waiting: `replica lag of ${REPLICA} is 0 s but was measured before the fence, waiting for a reading taken after it` });
  });

  it('takes a lag of 0 measured after the fence for drained', async () => {
    // Prepare
    const { deps, input } = planned('draining', { measuredAt: T0 + 1_000 });

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'DRAINED', at: T0 } });
  });

  it('promotes without reading the lag again when the fence took effect and the drain passed after it', async () => {
    // Prepare
    const { deps, calls, input } = planned('promoting', { drainedAt: T0 + 1_000 });

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'PROMOTION_STARTED', at: T0, replicaLagSeconds: 0 } });
    expect(calls.describe).toBe(0);
    expect(calls.promoteEffective).toBe(1);
  });

  it('reads the target again when the fence did not take effect or no drain was recorded after it', async () => {
    // Prepare
    const cases = [
      planned('promoting', { fenceOutcome: 'unreachable', drainedAt: T0 + 1_000 }),
      planned('promoting', { fenceOutcome: 'skipped', drainedAt: T0 + 1_000 }),
      planned('promoting', { drainedAt: T0 - 1 }),
      planned('promoting', {}),
    ];

    // Act
    for (const { deps, input } of cases) await performStep(deps, input);

    // Assess
    expect(cases.map(({ calls }) => calls.describe)).toEqual([1, 1, 1, 1]);
  });

  it('does not promote again a target a crashed run already promoted, when the drain decides', async () => {
    // Prepare
    const { deps, calls, input } = planned('promoting', { drainedAt: T0 + 1_000 });
    await performStep(deps, input);

    // Act
    const again = await performStep(deps, input);

    // Assess
    expect(again).toEqual({ event: { type: 'PROMOTION_STARTED', at: T0, replicaLagSeconds: 0 } });
    expect(calls.promoteEffective).toBe(1);
  });
});

describe('performStep: DNS already switched', () => {
  it('records a traffic switch without a change when the record already points at the target', async () => {
    // Prepare
    const { deps, input } = world('switchingTraffic', 0);
    await deps.traffic.pointTo(input.group, REPLICA, 'switched by a run that died before saving');
    const changesBefore = deps.traffic.calls.changes;

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'TRAFFIC_SWITCHED', at: T0, changeId: undefined } });
    expect(deps.traffic.calls.changes).toBe(changesBefore);
  });

  it('takes a record that already points at the target as in sync when no change id was saved', async () => {
    // Prepare
    const { deps, input } = world('awaitingDnsSync', 0);
    await deps.traffic.pointTo(input.group, REPLICA, 'switched by a run that died before saving');

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({ event: { type: 'DNS_IN_SYNC', at: T0 } });
    expect(deps.traffic.calls.changeStatus).toBe(0);
  });

  it('fails the step, to be retried, when no change id was saved and the record points elsewhere', async () => {
    // Prepare
    const { deps, input } = world('awaitingDnsSync', 0);

    // Act
    const result = await performStep(deps, input);

    // Assess
    expect(result).toEqual({
      event: {
        type: 'STEP_FAILED',
        at: T0,
        step: 'awaitingDnsSync',
        error: `record ${input.group.dns.recordName} points at ${PRIMARY}, not ${REPLICA}`,
        retryable: true,
      },
    });
  });
});

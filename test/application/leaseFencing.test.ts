import { describe, expect, it } from 'vitest';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import type { GroupConfig } from '../../src/config/schema.js';
import { effectBudgetMs, EFFECT_BUDGET_MS, LEASE_TTL_MS, leaseAllowsEffects, SAFETY_MARGIN_MS } from '../../src/domain/timing.js';
import type { FencingMode } from '../../src/domain/types.js';
import type { FenceOutcome } from '../../src/ports/Database.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound } from './harness.js';

const MINUTE = 60_000;

/** A world whose group fences by stopping the old primary, and whose fence call hangs until the test lets it land. */
async function worldWithHangingFence() {
  const world = inMemoryWorld(drillConfig((config) => (config.groups[0]!.policy.fencing = 'stop-instance')));
  const { deps, group } = world;
  await confirmDown(deps, group, [PRIMARY]);
  let land = () => {};
  const gate = new Promise<void>((resolve) => (land = resolve));
  let entered = () => {};
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const effects: (EffectOptions | undefined)[] = [];
  const hangingDatabase = Object.create(deps.database) as typeof deps.database;
  hangingDatabase.fence = async (g: GroupConfig, region: string, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> => {
    effects.push(effect);
    entered();
    await gate;
    // The request reaches the database only now: it lands if and only if its deadline has not passed.
    return deps.database.fence(g, region, mode, effect);
  };
  const slowDeps: ExecutorDeps = { ...deps, database: hangingDatabase };
  return { ...world, slowDeps, land, inside, effects };
}

describe('side effects fenced by the lease', () => {
  it('never lands a fence that outlives its lease by a second after another executor aborted the failover', async () => {
    // Prepare: executor A enters the fence call; it hangs.
    const { deps, group, clock, slowDeps, land, inside, effects } = await worldWithHangingFence();
    const first = reconcileGroup(slowDeps, group, { owner: 'orchestrator', deadline: clock.now() + 10 * MINUTE });
    await inside;
    const leaseEnd = (await deps.stateStore.load(group.id))!.lease!.expiresAt;

    // Act: the lease runs out (plus a second); the operator's executor takes the group and aborts; then A's fence lands.
    clock.advance(leaseEnd - clock.now() + 1_000);
    await probeRound(deps, group, { down: [PRIMARY] });
    await deps.commands.enqueue({
      id: 'abort-1',
      groupId: group.id,
      type: 'abort',
      principalArn: 'arn:aws:iam::000000000000:user/oncall',
      reason: 'the primary is fine, the probes are wrong',
      requestedAt: clock.now(),
    });
    const operator = await reconcileGroup(deps, group, { owner: 'operator', deadline: clock.now() + MINUTE });
    land();
    const late = await first;

    // Assess: the abort stands and the old primary was never fenced behind the operator's back.
    expect(operator.state).toBe('monitoring');
    expect(late.result).toBe('stale');
    expect(effects[0]?.deadline).toBeLessThanOrEqual(leaseEnd - (deps.safetyMarginMs ?? SAFETY_MARGIN_MS));
    expect(effects[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(deps.database.calls.fenceEffective).toBe(0);
    expect(deps.database.region(PRIMARY).fenced).toBe(false);
  });

  it('renews the lease before an effect when less than the effect budget is left, keeping the same epoch', async () => {
    // Prepare: reserving the fleet slot takes 10 s, so the lease has less than budget + margin left at the fence.
    const { deps, group, clock, slowDeps, land, inside, effects } = await worldWithHangingFence();
    const slowLedger = Object.create(deps.fleet) as typeof deps.fleet;
    slowLedger.tryReserve = async (input) => {
      clock.advance(10_000);
      return deps.fleet.tryReserve(input);
    };
    const run = reconcileGroup({ ...slowDeps, fleet: slowLedger }, group, { owner: 'orchestrator', deadline: clock.now() + 10 * MINUTE });

    // Act
    await inside;
    const enteredAt = clock.now();
    const lease = (await deps.stateStore.load(group.id))!.lease!;
    land();
    await run;

    // Assess: at the fence the lease had been renewed (same epoch) to cover the whole effect budget and the margin.
    const budget = effectBudgetMs(deps.leaseTtlMs, deps.safetyMarginMs);
    expect(lease).toMatchObject({ owner: 'orchestrator', epoch: 1 });
    expect(lease.expiresAt - enteredAt).toBeGreaterThanOrEqual(budget + deps.safetyMarginMs);
    expect(effects[0]!.deadline).toBe(enteredAt + budget);
    expect(deps.database.calls.fenceEffective).toBe(1);
  });

  it('stops before acting when its lease lapsed and another executor held the group in between', async () => {
    // Prepare: A is inside the fence; its lease lapses; B takes the group, does nothing new, and releases it.
    const { deps, group, clock, slowDeps, land, inside } = await worldWithHangingFence();
    const first = reconcileGroup(slowDeps, group, { owner: 'orchestrator', deadline: clock.now() + 10 * MINUTE });
    await inside;
    clock.advance(deps.leaseTtlMs + 1_000);
    const lease = await deps.stateStore.acquireLease(group.id, 'someone-else', clock.now(), deps.leaseTtlMs);
    await deps.stateStore.releaseLease(group.id, lease);

    // Act: A's fence lands late (abandoned), and A tries to go on.
    land();
    const late = await first;

    // Assess: A saw the epoch move on renewal and stopped: nothing fenced, nothing promoted.
    expect(late.result).toBe('stale');
    expect(deps.database.calls.fenceEffective).toBe(0);
    expect(deps.database.calls.promote).toBe(0);
  });

  it('keeps the lease arithmetic sound: a renewed lease holds a whole effect plus the margin on both sides', () => {
    // Assess
    expect(EFFECT_BUDGET_MS + 2 * SAFETY_MARGIN_MS).toBeLessThanOrEqual(LEASE_TTL_MS);
    expect(leaseAllowsEffects(LEASE_TTL_MS, SAFETY_MARGIN_MS)).toBe(true);
    expect(effectBudgetMs(10_000, 1_000)).toBe(8_000);
    expect(leaseAllowsEffects(2_000, 1_000)).toBe(false);
  });
});

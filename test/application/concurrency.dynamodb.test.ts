import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import type { GroupConfig } from '../../src/config/schema.js';
import type { FencingMode } from '../../src/domain/types.js';
import type { FenceOutcome, PromoteOptions, PromoteOutcome } from '../../src/ports/Database.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import { localClient } from '../support/dynamodbLocal.js';
import { effectActors, overlappingEffects, watchedEffects } from '../support/effectLog.js';
import { confirmDown, drillConfig, inMemoryWorldOnDynamoDb, PRIMARY, probeRound } from './harness.js';

const MINUTE = 60_000;
let client: DynamoDBClient;
let tables = 0;

beforeAll(() => {
  client = localClient(inject('dynamodbEndpoint'));
});

afterAll(() => {
  client.destroy();
});

/** The in-memory world with its storage ports replaced by DynamoDB Local. */
async function worldOnDynamoDb(config = drillConfig()) {
  tables += 1;
  return inMemoryWorldOnDynamoDb(client, `executor-${process.pid}-${tables}`, config);
}

describe('executors racing on DynamoDB Local', () => {
  it('lets exactly one of ten concurrent executors act on each step, losing no event and duplicating none', async () => {
    // Prepare
    const { deps, group, clock } = await worldOnDynamoDb();
    await confirmDown(deps, group, [PRIMARY]);

    // Act: ten invocations at once, then again after every lease expiry until the group rests. Each executor's
    // effects (fence, promote, the record change) are logged as they start and end: since the lease is taken on first
    // need, an executor that only polls a promotion another one started returns 'waiting' or 'stale' without ever
    // holding the lease, so its result alone does not say whether it acted.
    const results: string[] = [];
    const effects: string[] = [];
    const watched = (owner: string): ExecutorDeps => ({ ...deps, ...watchedEffects(deps, owner, effects) });
    for (let wave = 0; wave < 6; wave += 1) {
      const before = effects.length;
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, index) => {
          const owner = `executor-${wave}-${index}`;
          return reconcileGroup(watched(owner), group, { owner, deadline: clock.now() + 8_000 });
        }),
      );
      results.push(...outcomes.map((outcome) => outcome.result));
      const acting = effectActors(effects.slice(before));
      expect([...acting], `wave ${wave}: executors that ran an effect`).toEqual([...acting].slice(0, 1));
      if (outcomes.some((outcome) => outcome.state === 'failedOver')) break;
      clock.advance(31_000);
      await probeRound(deps, group, { down: [PRIMARY] });
    }

    // Assess: one executor at a time inside an effect, each effect once.
    expect(results).toContain('lease-held');
    expect(overlappingEffects(effects)).toEqual([]);
    expect(effects.filter((line) => line.endsWith('starts promote'))).toHaveLength(1);
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.traffic.calls.changes).toBe(1);
    const events = (await deps.eventLog.list(group.id)).reverse();
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((event) => event.type === 'PROMOTION_STARTED')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('VERIFIED');
    const [failover] = await deps.eventLog.listFailovers(group.id);
    expect(failover?.outcome).toBe('completed');
  });

  it('rejects a writer whose lease was taken over while it was inside a step, and it acts no further', async () => {
    // Prepare: the first executor hangs inside the promote call until released.
    const { deps, group, clock } = await worldOnDynamoDb();
    await confirmDown(deps, group, [PRIMARY]);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = () => {};
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const slowDatabase = Object.create(deps.database) as typeof deps.database;
    slowDatabase.promote = async (g: GroupConfig, region: string, options: PromoteOptions): Promise<PromoteOutcome> => {
      const outcome = await deps.database.promote(g, region, options);
      entered();
      await gate;
      return outcome;
    };
    const slowDeps: ExecutorDeps = { ...deps, database: slowDatabase };
    const first = reconcileGroup(slowDeps, group, { owner: 'slow', deadline: clock.now() + 10 * MINUTE });
    await inside;

    // Act: its lease expires; a second executor takes over and finishes; then the first wakes up.
    clock.advance(31_000);
    await probeRound(deps, group, { down: [PRIMARY] });
    const second = await reconcileGroup(deps, group, { owner: 'fresh', deadline: clock.now() + MINUTE });
    release();
    const late = await first;

    // Assess
    expect(second.state).toBe('failedOver');
    expect(late.result).toBe('stale');
    expect(late.message).toMatch(/revision|lease/);
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.traffic.calls.changes).toBe(1);
    const events = (await deps.eventLog.list(group.id)).reverse();
    expect(events.filter((event) => event.type === 'PROMOTION_STARTED')).toHaveLength(1);
  });

  it('never lands a fence that outlives its lease by a second after the operator executor took the group and aborted', async () => {
    // Prepare: the orchestrator's executor enters the fence call (stop-instance) and hangs there.
    const { deps, group, clock } = await worldOnDynamoDb(drillConfig((config) => (config.groups[0]!.policy.fencing = 'stop-instance')));
    await confirmDown(deps, group, [PRIMARY]);
    let land = () => {};
    const gate = new Promise<void>((resolve) => (land = resolve));
    let entered = () => {};
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const hangingDatabase = Object.create(deps.database) as typeof deps.database;
    hangingDatabase.fence = async (g: GroupConfig, region: string, mode: FencingMode, effect?: EffectOptions): Promise<FenceOutcome> => {
      entered();
      await gate;
      return deps.database.fence(g, region, mode, effect);
    };
    const first = reconcileGroup({ ...deps, database: hangingDatabase }, group, { owner: 'orchestrator', deadline: clock.now() + 10 * MINUTE });
    await inside;

    // Act: the lease runs out plus a second; the operator's executor aborts; then the stale fence reaches RDS.
    clock.advance(deps.leaseTtlMs + 1_000);
    await probeRound(deps, group, { down: [PRIMARY] });
    await deps.commands.enqueue({
      id: 'abort-1',
      groupId: group.id,
      type: 'abort',
      principalArn: 'arn:aws:iam::000000000000:user/oncall',
      reason: 'false alarm',
      requestedAt: clock.now(),
    });
    const operator = await reconcileGroup(deps, group, { owner: 'operator', deadline: clock.now() + MINUTE });
    land();
    const late = await first;

    // Assess
    expect(operator.state).toBe('monitoring');
    expect(late.result).toBe('stale');
    expect(deps.database.calls.fenceEffective).toBe(0);
    const [failover] = await deps.eventLog.listFailovers(group.id);
    expect(failover?.outcome).toBe('aborted');
  });
});

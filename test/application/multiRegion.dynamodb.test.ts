import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from '../../src/application/executor.js';
import { orchestrate } from '../../src/application/orchestrate.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';
import type { PromoteOptions, PromoteOutcome } from '../../src/ports/Database.js';
import type { PointToResult } from '../../src/ports/Traffic.js';
import { localClientConfig } from '../support/dynamodbLocal.js';
import { effectActors, overlappingEffects, watchedEffects } from '../support/effectLog.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound } from './harness.js';

/**
 * The control plane in three regions: one executor per "region", each with its own DynamoDB client, against one
 * table on DynamoDB Local (standing in for the three replicas of a multi-Region strongly consistent global table,
 * which answer every region's conditional writes as one table does). The world outside (databases, DNS) is shared.
 */

const CONTROL_PLANE_REGIONS = ['us-east-2', 'us-west-2', 'us-east-1'] as const;
type ControlPlaneRegion = (typeof CONTROL_PLANE_REGIONS)[number];
const LEASE_TTL_MS = 30_000;
/** Each test is hundreds of DynamoDB Local round trips (a wave is six executors): seconds alone, much more under load. */
const SLOW = 180_000;
const clients: DynamoDBClient[] = [];
let tables = 0;

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** One region's client; `cutOff()` makes the replica refuse writes and strongly consistent reads, as an isolated MRSC replica does. */
function regionClient(region: ControlPlaneRegion): { client: DynamoDBClient; cutOff: () => void } {
  const client = new DynamoDBClient({ ...localClientConfig, endpoint: inject('dynamodbEndpoint'), maxAttempts: 1 });
  clients.push(client);
  let isolated = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ConsistentRead?: boolean };
      const write = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'].includes(context.commandName ?? '');
      if (isolated && (write || input.ConsistentRead === true)) {
        throw Object.assign(new Error(`${region} cannot reach the other replicas`), {
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'regionIsolation' },
  );
  return { client, cutOff: () => (isolated = true) };
}

function twoGroups(): ControlPlaneConfig {
  return drillConfig((config) => {
    const base = config.groups[0]!;
    config.groups = ['orders', 'payments'].map((id) => ({
      ...structuredClone(base),
      id,
      dns: { ...base.dns, recordName: `${id}.drill.internal` },
    }));
    config.fleet.fleetBrake.maxAutomaticFailovers = 10;
  });
}

/** Per group, its own simulated world; per region, its own executor dependencies on the shared table. */
async function threeRegions(config = twoGroups()) {
  tables += 1;
  const tableName = `multi-region-${process.pid}-${tables}`;
  const regions = Object.fromEntries(CONTROL_PLANE_REGIONS.map((region) => [region, regionClient(region)])) as Record<
    ControlPlaneRegion,
    ReturnType<typeof regionClient>
  >;
  await createTable(regions['us-east-2'].client, tableName);
  const worlds = new Map(config.groups.map((group) => [group.id, inMemoryWorld(config)]));
  /** Time passes for every group's world at once (each world's doubles keep their own clock). */
  const advance = (ms: number) => {
    for (const world of worlds.values()) world.clock.advance(ms);
  };
  const stores = Object.fromEntries(
    CONTROL_PLANE_REGIONS.map((region) => [region, createDynamoDbStores({ client: regions[region].client, tableName, region })]),
  ) as Record<ControlPlaneRegion, ReturnType<typeof createDynamoDbStores>>;
  const depsIn = (region: ControlPlaneRegion, groupId: string) => {
    const world = worlds.get(groupId)!;
    const store = stores[region];
    return {
      ...world.deps,
      stateStore: store.stateStore,
      eventLog: store.eventLog,
      observations: store.observationStore,
      commands: store.commandQueue,
      fleet: store.fleetLedger,
      leaseTtlMs: LEASE_TTL_MS,
    };
  };
  /** Observer reports for every group (the primary down), written through one region's replica. */
  const observeDown = async (rounds: 'confirm' | 'one', through: ControlPlaneRegion = 'us-east-2') => {
    for (const group of config.groups) {
      const deps = { ...depsIn(through, group.id) };
      if (rounds === 'confirm') await confirmDown({ ...deps }, group, [PRIMARY]);
      else await probeRound(deps, group, { down: [PRIMARY] });
    }
  };
  return { config, advance, worlds, regions, depsIn, observeDown };
}

describe('the control plane in three regions on one strongly consistent table', () => {
  beforeAll(() => {
    expect(inject('dynamodbEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it('lets exactly one region act on each group at a time, and every group fails over once', { timeout: SLOW }, async () => {
    // Prepare
    const { config, advance, worlds, depsIn, observeDown } = await threeRegions();
    await observeDown('confirm');

    // Act: every region reconciles every group at the same moment, again after each lease expiry. Each region's
    // effects (fence, promote, the record change) are logged as they start and end. A region that only reads (polls a
    // promotion it did not start, finds nothing to save) takes no lease since the lease is taken on first need, so a
    // result other than 'lease-held' does not mean it acted: what it did is in the log.
    const effects: string[] = [];
    // An actor is `<group>/<region>`: effects on different groups may overlap, on one group never.
    const watched = (region: ControlPlaneRegion, groupId: string): ExecutorDeps => {
      const deps = depsIn(region, groupId);
      return { ...deps, ...watchedEffects(deps, `${groupId}/${region}`, effects) };
    };
    for (let wave = 0; wave < 8; wave += 1) {
      const outcomes = await Promise.all(
        config.groups.flatMap((group) =>
          CONTROL_PLANE_REGIONS.map(async (region) => ({
            region,
            outcome: await reconcileGroup(watched(region, group.id), group, {
              owner: `${region}-${wave}`,
              deadline: worlds.get(group.id)!.clock.now() + 8_000,
            }),
          })),
        ),
      );
      if (outcomes.every(({ outcome }) => outcome.result === 'lease-held' || outcome.state === 'failedOver')) break;
      advance(LEASE_TTL_MS + 1_000);
      await observeDown('one');
    }
    const actingRegions = new Map<string, Set<string>>();
    for (const actor of effectActors(effects)) {
      const [groupId, region] = actor.split('/') as [string, string];
      actingRegions.set(groupId, (actingRegions.get(groupId) ?? new Set()).add(region));
    }

    // Assess
    for (const group of config.groups) {
      const world = worlds.get(group.id)!;
      expect(world.deps.database.calls.promoteEffective, group.id).toBe(1);
      expect(world.deps.traffic.calls.changes, group.id).toBe(1);
      const events = (await depsIn('us-west-2', group.id).eventLog.list(group.id)).reverse();
      expect(events.map((event) => event.seq), group.id).toEqual(events.map((_, index) => index + 1));
      expect(events.filter((event) => event.type === 'PROMOTION_STARTED'), group.id).toHaveLength(1);
      expect(events.at(-1)?.type, group.id).toBe('VERIFIED');
    }
    // No region started an effect on a group while another region was inside one on the same group.
    expect(overlappingEffects(effects, (actor) => actor.split('/')[0]!)).toEqual([]);
    expect(config.groups.every((group) => (actingRegions.get(group.id)?.size ?? 0) >= 1)).toBe(true);
  });

  it('refuses the late effects of a region frozen mid-step after another region took the group over', { timeout: SLOW }, async () => {
    // Prepare: us-east-2's executor freezes inside the traffic switch, before the switch reaches DNS.
    const { config, advance, worlds, depsIn, observeDown } = await threeRegions();
    const group = config.groups[0]!;
    const world = worlds.get(group.id)!;
    const { clock } = world;
    await observeDown('confirm');
    const { gate, release, inside, entered } = freezePoint();
    const frozenDeps: ExecutorDeps = {
      ...depsIn('us-east-2', group.id),
      traffic: {
        currentRegion: (g) => world.deps.traffic.currentRegion(g),
        changeStatus: (id) => world.deps.traffic.changeStatus(id),
        pointTo: async (g: GroupConfig, region: string, comment: string): Promise<PointToResult> => {
          entered();
          await gate;
          return world.deps.traffic.pointTo(g, region, comment);
        },
      },
    };
    const frozen = reconcileGroup(frozenDeps, group, { owner: 'us-east-2-frozen', deadline: clock.now() + 10 * 60_000 });
    await inside;

    // Act: its lease runs out; us-west-2 takes the group over and finishes the failover; then us-east-2 wakes up.
    advance(LEASE_TTL_MS + 1_000);
    await observeDown('one');
    const takeover = await reconcileGroup(depsIn('us-west-2', group.id), group, { owner: 'us-west-2', deadline: clock.now() + 60_000 });
    release();
    const late = await frozen;

    // Assess
    expect(takeover.state).toBe('failedOver');
    expect(late.result).toBe('stale');
    expect(late.message).toMatch(/revision|lease/);
    expect(world.deps.traffic.calls.changes).toBe(1);
    expect(world.deps.database.calls.promoteEffective).toBe(1);
    const events = (await depsIn('us-east-1', group.id).eventLog.list(group.id)).reverse();
    expect(events.filter((event) => event.type === 'PROMOTION_STARTED')).toHaveLength(1);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  });

  it('stands a region down when it is cut off mid-failover and lets another region complete the failover', { timeout: SLOW }, async () => {
    // Prepare: us-east-2 starts the failover and is inside the promotion when its replica is cut off.
    const { config, advance, worlds, regions, depsIn, observeDown } = await threeRegions();
    const group = config.groups[0]!;
    const world = worlds.get(group.id)!;
    const { clock } = world;
    await observeDown('confirm');
    const { gate, release, inside, entered } = freezePoint();
    const slowDatabase = Object.create(world.deps.database) as typeof world.deps.database;
    slowDatabase.promote = async (g: GroupConfig, region: string, options: PromoteOptions): Promise<PromoteOutcome> => {
      const outcome = await world.deps.database.promote(g, region, options);
      entered();
      await gate;
      return outcome;
    };
    const cutOffDeps: ExecutorDeps = { ...depsIn('us-east-2', group.id), database: slowDatabase };
    const cutOffRun = reconcileGroup(cutOffDeps, group, { owner: 'us-east-2', deadline: clock.now() + 10 * 60_000 });
    await inside;

    // Act: the replica in us-east-2 loses the others; us-east-1 carries on after the lease runs out.
    regions['us-east-2'].cutOff();
    release();
    const standDown: GroupOutcome = await cutOffRun;
    advance(LEASE_TTL_MS + 1_000);
    await observeDown('one', 'us-east-1');
    const warnings: { message: string; attributes?: Record<string, unknown> }[] = [];
    const logger = { info: () => {}, warn: (message: string, attributes?: Record<string, unknown>) => warnings.push({ message, attributes }) };
    const [nextPassInCutOffRegion] = await orchestrate({ ...depsIn('us-east-2', group.id), logger }, {
      owner: 'us-east-2-next',
      deadline: clock.now() + 60_000,
      groupIds: [group.id],
    });
    const finish = await reconcileGroup(depsIn('us-east-1', group.id), group, { owner: 'us-east-1', deadline: clock.now() + 60_000 });

    // Assess: the cut-off region stopped, said why, and acted on nothing more; the failover completed once.
    expect(standDown.result).toBe('stale');
    expect(standDown.message).toMatch(/state table in us-east-2 did not accept a write .*cut off .*stands by/);
    expect(nextPassInCutOffRegion).toMatchObject({ groupId: group.id, result: 'error' });
    expect(nextPassInCutOffRegion?.message).toMatch(/^ControlPlaneCutOffError: .*us-east-2.*acts on nothing/);
    expect(warnings).toContainEqual({
      message: 'control-plane region cut off: standing by, acting on nothing',
      attributes: expect.objectContaining({ groupId: group.id, region: 'us-east-2' }),
    });
    expect(finish.state).toBe('failedOver');
    expect(world.deps.database.calls.promoteEffective).toBe(1);
    expect(world.deps.traffic.calls.changes).toBe(1);
    const [failover] = await depsIn('us-west-2', group.id).eventLog.listFailovers(group.id);
    expect(failover?.outcome).toBe('completed');
  });
});

function freezePoint() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered = () => {};
  const inside = new Promise<void>((resolve) => (entered = resolve));
  return { gate, release, inside, entered };
}

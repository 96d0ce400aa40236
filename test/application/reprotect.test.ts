import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { decideReprotect, watchProtection, type TopologyState } from '../../src/application/reprotect.js';
import { planGroup } from '../../src/application/plan.js';
import { restoreSnapshot } from '../../src/application/snapshot.js';
import { trackedDatabase } from '../../src/application/trackedDatabase.js';
import { databaseIdentity, withLiveTopology } from '../../src/domain/liveTopology.js';
import type { RegionHealth } from '../../src/domain/types.js';
import type { OperatorCommand } from '../../src/ports/CommandQueue.js';
import { confirmDown, drillConfig, FAR_REPLICA, inMemoryWorld, PRIMARY, probeRound, REPLICA, T0 } from './harness.js';

const MINUTE = 60_000;
const OPERATOR = 'arn:aws:iam::123456789012:user/alice';

function reprotectCommand(id: string, region: string | undefined, groupId = 'orders'): OperatorCommand {
  return {
    id,
    groupId,
    type: 'reprotect',
    principalArn: OPERATOR,
    reason: 'INC-1: protect the new primary',
    requestedAt: T0,
    ...(region === undefined ? {} : { targetRegion: region }),
  };
}

/** A world that failed over from PRIMARY to REPLICA; PRIMARY's region is back, its old database left as it was. */
async function failedOverWorld() {
  const world = inMemoryWorld();
  const { deps, group, clock } = world;
  await confirmDown(deps, group, [PRIMARY]);
  const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
  expect(outcome.state).toBe('failedOver');
  return world;
}

function health(region: string, fields: Partial<RegionHealth>): RegionHealth {
  return { region, verdict: 'healthy', since: T0, failingObservers: [], recoveredObservers: [], staleObservers: [], reasons: [], ...fields };
}

describe('reprotect', () => {
  it('creates one replica of the new primary in the named region and tracks it as that region database once it replicates', async () => {
    // Prepare
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-1', PRIMARY));

    // Act: the run that takes the command asks for the replica; a run after it is built sees it replicate.
    const first = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const creating = await deps.stateStore.load(group.id);
    clock.advance(deps.database.replicaCreationMs);
    const second = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(first.actions).toContain('reprotect eu-west-1: created');
    expect(creating?.reprotect).toMatchObject({ status: 'creating', region: PRIMARY, identifier: 'orders-eu-west-1-r1', sourceRegion: REPLICA });
    expect(creating?.topology).toBeUndefined();
    expect(second.actions).toContain('reprotect eu-west-1: completed');
    const record = await deps.stateStore.load(group.id);
    expect(record?.reprotect?.status).toBe('completed');
    expect(record?.topology?.databases[PRIMARY]).toMatchObject({
      identifier: 'orders-eu-west-1-r1',
      arn: expect.stringMatching(/:db:orders-eu-west-1-r1$/),
      generation: 1,
    });
    expect(deps.database.calls.createReplicaEffective).toBe(1);
    expect(deps.database.createdReplicas()).toEqual(['eu-west-1/orders-eu-west-1-r1']);
    expect(deps.notifier.types().filter((type) => type === 'reprotected')).toHaveLength(1);
    expect((await deps.commands.get(group.id, 'cmd-reprotect-1'))?.status).toBe('accepted');
    const events = (await deps.eventLog.list(group.id)).map((event) => event.type);
    expect(events).toEqual(expect.arrayContaining(['REPROTECT_REQUESTED', 'REPLICA_CREATE_REQUESTED', 'REPROTECTED']));
  });

  it('repoints a postgres replica at the new primary through the executor, once, and leaves the tracked topology alone', async () => {
    // Prepare: the far region is a self-managed postgres server still following the old primary.
    const config = drillConfig();
    const base = config.groups[0]!;
    const far = base.regions[FAR_REPLICA]!;
    const postgresConfig = {
      ...config,
      groups: [{ ...base, regions: { ...base.regions, [FAR_REPLICA]: { ...far, database: { kind: 'postgres' as const, host: '10.0.3.5', connectTimeoutMs: 2_000, promoteWaitSeconds: 60 } } } }],
    };
    const world = inMemoryWorld(postgresConfig);
    const { deps, group, clock } = world;
    await confirmDown(deps, group, [PRIMARY]);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-pg', FAR_REPLICA));

    // Act: the run that takes the command repoints the server; the next sees it stream from the primary.
    const first = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const second = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(first.actions).toContain(`reprotect ${FAR_REPLICA}: repointed`);
    expect(second.actions).toContain(`reprotect ${FAR_REPLICA}: completed`);
    const record = await deps.stateStore.load(group.id);
    expect(record?.reprotect).toMatchObject({ status: 'completed', method: 'repoint', identifier: '10.0.3.5:5432', sourceRegion: REPLICA });
    expect(record?.topology).toBeUndefined();
    expect(deps.database.calls).toMatchObject({ follow: 1, followEffective: 1, createReplica: 0 });
    expect(deps.notifier.types().filter((type) => type === 'reprotected')).toHaveLength(1);
  });

  it('fails over to the replica a reprotect created, not to the database the configuration names', async () => {
    // Prepare: reprotect eu-west-1, then the new primary us-east-1 goes down (probes follow the tracked topology).
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-1', PRIMARY));
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    clock.advance(deps.database.replicaCreationMs);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await deps.commands.enqueue({ ...reprotectCommand('cmd-ack-1', undefined), type: 'acknowledge', requestedAt: clock.now() });
    const probing = { ...deps, database: trackedDatabase(deps.database, deps.stateStore, clock) };
    clock.advance(group.policy.cooldownSeconds * 1000);
    await probeRound(probing, group);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const originalPrimary = deps.database.region(PRIMARY).role;

    // Act
    await confirmDown(probing, group, [REPLICA, FAR_REPLICA]);
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + 10 * MINUTE });

    // Assess
    expect(outcome.failover).toMatchObject({ from: REPLICA, to: PRIMARY, outcome: 'completed' });
    const record = await deps.stateStore.load(group.id);
    const live = withLiveTopology(group, record?.topology);
    expect(deps.database.database(live, PRIMARY).role).toBe('standalone');
    expect(deps.database.region(PRIMARY).role).toBe(originalPrimary);
  });

  it('names the reprotected replica, not the configured instance, in the plan of a failover to its region', async () => {
    // Prepare
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-1', PRIMARY));
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    clock.advance(deps.database.replicaCreationMs);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const probing = { ...deps, database: trackedDatabase(deps.database, deps.stateStore, clock) };
    for (let round = 0; round < group.policy.recoveryThreshold; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await probeRound(probing, group);
    }

    // Act
    const plan = await planGroup(deps, group, { ...reprotectCommand('plan', PRIMARY), type: 'failover', allowDataLoss: true });

    // Assess
    expect(plan.command?.message).toContain(`failover ${REPLICA} → ${PRIMARY}`);
    expect(plan.command?.failover?.steps.find((step) => step.step === 'promoting')?.action).toContain(`promote orders-eu-west-1-r1 in ${PRIMARY}`);
  });

  it('refuses to reprotect the primary region, and names the region to use', async () => {
    // Prepare
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-primary', REPLICA));

    // Act
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    const stored = await deps.commands.get(group.id, 'cmd-reprotect-primary');
    expect(stored?.status).toBe('refused');
    expect(stored?.outcome).toContain(`${REPLICA} is the primary`);
    expect(deps.database.calls.createReplica).toBe(0);
    expect((await deps.stateStore.load(group.id))?.reprotect).toBeUndefined();
  });

  it('answers a conflict for a second reprotect while one is creating its replica, and creates nothing more', async () => {
    // Prepare
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-1', PRIMARY));
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-2', FAR_REPLICA));

    // Act
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    const stored = await deps.commands.get(group.id, 'cmd-reprotect-2');
    expect(stored?.status).toBe('refused');
    expect(stored?.outcome).toContain('already creating orders-eu-west-1-r1');
    expect(deps.database.calls.createReplicaEffective).toBe(1);
  });

  it('ends the reprotect failed, creating nothing more, when the primary moves before the replica is ready', async () => {
    // Prepare: the reprotect is creating in eu-west-1 while the machine says the primary is elsewhere.
    const { deps, group, clock } = await failedOverWorld();
    await deps.commands.enqueue(reprotectCommand('cmd-reprotect-1', FAR_REPLICA));
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const record = (await deps.stateStore.load(group.id))!;
    deps.stateStore.seed({ ...record, reprotect: { ...record.reprotect!, sourceRegion: PRIMARY } });

    // Act
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    const after = await deps.stateStore.load(group.id);
    expect(after?.reprotect?.status).toBe('failed');
    expect(after?.reprotect?.detail).toContain(`the primary moved from ${PRIMARY} to ${REPLICA}`);
    expect(after?.topology).toBeUndefined();
    expect(deps.database.calls.createReplicaEffective).toBe(1);
  });
});

describe('decideReprotect', () => {
  const { group } = inMemoryWorld();
  const snapshot = restoreSnapshot(undefined, group, T0);

  it('refuses a region that already replicates from the primary', () => {
    // Prepare
    const regions = { [REPLICA]: health(REPLICA, { databaseRole: 'replica', replicationSource: PRIMARY }) };

    // Act
    const decision = decideReprotect({ group, snapshot, health: regions, command: reprotectCommand('c-1', REPLICA), state: {}, now: T0 });

    // Assess
    expect(decision).toEqual({ kind: 'refused', reason: expect.stringContaining(`${REPLICA} already replicates from the primary ${PRIMARY}`) });
  });

  it('refuses a region outside the group and a command without a region', () => {
    // Act
    const outside = decideReprotect({ group, snapshot, health: {}, command: reprotectCommand('c-1', 'sa-east-1'), state: {}, now: T0 });
    const none = decideReprotect({ group, snapshot, health: {}, command: reprotectCommand('c-2', undefined), state: {}, now: T0 });

    // Assess
    expect(outside).toMatchObject({ kind: 'refused', reason: expect.stringContaining('sa-east-1 is not part of group orders') });
    expect(none).toMatchObject({ kind: 'refused', reason: expect.stringContaining('--region') });
  });

  it('repoints a region whose database is a self-managed postgres server instead of creating a replica, keeping its address', () => {
    // Prepare
    const regionConfig = group.regions[REPLICA]!;
    const postgresGroup = {
      ...group,
      regions: { ...group.regions, [REPLICA]: { ...regionConfig, database: { kind: 'postgres' as const, host: '10.0.2.5', connectTimeoutMs: 2_000, promoteWaitSeconds: 60 } } },
    };

    // Act
    const decision = decideReprotect({ group: postgresGroup, snapshot, health: {}, command: reprotectCommand('c-1', REPLICA), state: {}, now: T0 });

    // Assess
    expect(decision).toMatchObject({
      kind: 'accept',
      summary: `reprotect ${REPLICA}: point its postgres server 10.0.2.5:5432 at the primary ${PRIMARY} (primary_conninfo, reload); it protects the group once it streams from it (follow with fcp status orders)`,
    });
    expect(decision.kind === 'accept' && decision.effects.state.reprotect).toMatchObject({ method: 'repoint', identifier: '10.0.2.5:5432', sourceRegion: PRIMARY });
    expect(databaseIdentity(postgresGroup, REPLICA)).toEqual({ identifier: '10.0.2.5:5432', arn: 'postgres://10.0.2.5:5432' });
  });

  it('names the next replica after the generation a previous reprotect of the region left', () => {
    // Prepare
    const state: TopologyState = {
      topology: { databases: { [REPLICA]: { identifier: 'orders-us-east-1-r1', arn: 'arn', generation: 1, since: T0, commandId: 'c-0' } } },
    };

    // Act
    const decision = decideReprotect({ group, snapshot, health: {}, command: reprotectCommand('c-1', REPLICA), state, now: T0 });

    // Assess
    expect(decision.kind === 'accept' && decision.effects.state.reprotect?.identifier).toBe('orders-us-east-1-r2');
  });
});

describe('watchProtection', () => {
  const { group } = inMemoryWorld();
  const snapshot = restoreSnapshot(undefined, group, T0);
  const orphaned = {
    [REPLICA]: health(REPLICA, { databaseRole: 'standalone' }),
    [FAR_REPLICA]: health(FAR_REPLICA, { databaseRole: 'replica', replicationSource: 'ca-central-1' }),
  };

  it('notifies once per unprotected episode, with the command that fixes it, and again only after protection came back', () => {
    // Act: unprotected twice in a row, protected, unprotected again.
    const first = watchProtection({ group, health: orphaned, snapshot, state: {}, now: T0 });
    const repeated = watchProtection({ group, health: orphaned, snapshot, state: first!.state, now: T0 + 1 });
    const protectedAgain = watchProtection({
      group,
      health: { ...orphaned, [FAR_REPLICA]: health(FAR_REPLICA, { databaseRole: 'replica', replicationSource: PRIMARY }) },
      snapshot,
      state: first!.state,
      now: T0 + 2,
    });
    const second = watchProtection({ group, health: orphaned, snapshot, state: protectedAgain!.state, now: T0 + 3 });

    // Assess
    expect(first?.notifications.map((notification) => notification.type)).toEqual(['unprotected']);
    expect(first?.notifications[0]?.text).toContain(`fcp reprotect orders --region ${REPLICA}`);
    expect(first?.state.unprotectedSince).toBe(T0);
    expect(repeated).toBeUndefined();
    expect(protectedAgain?.state.unprotectedSince).toBeUndefined();
    expect(protectedAgain?.events.map((event) => event.type)).toEqual(['PROTECTED']);
    expect(second?.notifications.map((notification) => notification.type)).toEqual(['unprotected']);
    expect(second?.notifications[0]?.dedupeKey).not.toBe(first?.notifications[0]?.dedupeKey);
  });

  it('says nothing while a replica source is not reported: unknown is not unprotected', () => {
    // Act
    const effects = watchProtection({
      group,
      health: { [REPLICA]: health(REPLICA, { databaseRole: 'replica' }), [FAR_REPLICA]: health(FAR_REPLICA, { databaseRole: 'replica' }) },
      snapshot,
      state: {},
      now: T0,
    });

    // Assess
    expect(effects).toBeUndefined();
  });
});

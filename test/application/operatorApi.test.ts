import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { handleOperatorRequest, parseOperatorBody, type CommandAnswer, type OperatorRequest } from '../../src/application/operatorApi.js';
import type { GroupPlan } from '../../src/application/plan.js';
import type { GroupStatus, FailoverHistoryEntry } from '../../src/application/status.js';
import type { GroupConfig } from '../../src/config/schema.js';
import { isCommandRouteName, operatorPaths } from '../../src/application/operatorRoutes.js';
import type { OperatorCommandType } from '../../src/ports/CommandQueue.js';
import { confirmDown, drillConfig, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/oncall/bob';

type World = ReturnType<typeof inMemoryWorld>;

let keys = 0;
function newKey(): string {
  keys += 1;
  return `key-${String(keys).padStart(6, '0')}`;
}

function call(world: World, request: Partial<OperatorRequest> & Pick<OperatorRequest, 'method' | 'path'>, deadlineMs = MINUTE) {
  return handleOperatorRequest(world.deps, { principalArn: ALICE, body: undefined, ...request }, { deadline: world.clock.now() + deadlineMs });
}

function command(world: World, body: unknown, options: { key?: string; principalArn?: string; deadlineMs?: number; group?: string } = {}) {
  return call(
    world,
    {
      method: 'POST',
      path: routeOf(options.group ?? world.group.id, body),
      body,
      idempotencyKey: options.key ?? newKey(),
      principalArn: options.principalArn ?? ALICE,
    },
    options.deadlineMs,
  );
}

/** The route a command body goes to, as fcp sends it (its type, or the data-loss route). */
function routeOf(groupId: string, body: unknown): string {
  const { type, allowDataLoss } = (typeof body === 'object' && body !== null ? body : {}) as { type?: unknown; allowDataLoss?: unknown };
  if (typeof type !== 'string' || type.length > 128) return operatorPaths.command(groupId, 'failover');
  if (!isCommandRouteName(type)) return `/groups/${groupId}/commands/${type}`;
  return operatorPaths.command(groupId, type as OperatorCommandType, allowDataLoss === true);
}

/** A healthy group the executor has seen once: monitoring, replicas 2 s and 5 s behind. */
async function healthyWorld(configure?: Parameters<typeof drillConfig>[0]): Promise<World> {
  const world = inMemoryWorld(drillConfig(configure));
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
  return world;
}

/** A failover to the replica that stops while the promotion is still running (the deadline ran out). */
async function failoverInPromotion(world: World): Promise<void> {
  const response = await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'primary writes time out' }, { deadlineMs: 5_000 });
  expect((response.body as CommandAnswer).state).toBe('failingOver.awaitingPromotion');
}

function withFencing(config: ReturnType<typeof drillConfig>): void {
  const group = config.groups[0]!;
  group.policy.fencing = 'read-only-parameter-group';
  for (const region of Object.values(group.regions)) {
    if (region.database.kind === 'rds-instance') region.database.readOnlyParameterGroup = 'orders-read-only';
  }
}

function approvalMode(config: ReturnType<typeof drillConfig>): void {
  (config.groups[0] as GroupConfig).mode = 'approval';
}

describe('operator API: identity', () => {
  it('answers 403 and changes nothing when the request carries no IAM identity', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, { type: 'pause', reason: 'maintenance' }, { principalArn: '' });

    // Assess
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });

  it('rejects a body that carries a principal, naming the field, and enqueues nothing', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, { type: 'pause', reason: 'maintenance', principalArn: BOB });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues).toEqual([
      'principalArn: must not be in the body: the caller is the IAM identity that signed the request',
    ]);
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });

  it('records the caller ARN and reason of an accepted command in the event log', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    await command(world, { type: 'pause', reason: 'database maintenance window' }, { principalArn: BOB });

    // Assess
    const [latest] = await world.deps.eventLog.list(world.group.id, { limit: 1 });
    expect(latest).toMatchObject({ type: 'PAUSE', actor: BOB, state: 'paused' });
    expect(latest?.message).toContain('database maintenance window');
  });
});

describe('operator API: validation', () => {
  it.each([
    [{ type: 'failover', reason: 'x', targetRegion: 'sa-east-1' }, 'targetRegion: sa-east-1 is not a region of group orders'],
    [{ type: 'failover', reason: '   ' }, 'reason: is required and must not be empty'],
    [{ type: 'explode', reason: 'x' }, 'type: explode (the last segment of the path) is not a command; one of: approve, reject, failover'],
    [{ type: 'pause', reason: 'x', allowDataLoss: true }, 'allowDataLoss: applies to failover only'],
    [{ type: 'switchover', reason: 'x' }, 'targetRegion: is required for a switchover'],
    [{ type: 'pause', reason: 'x', force: true }, 'force: unknown key'],
    [{ type: 'failover', reason: 'x', allowDataLoss: 'yes' }, 'allowDataLoss: must be a boolean'],
  ])('answers 400 naming the field for %j', async (body, issue) => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, body);

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues.join('\n')).toContain(issue);
    expect(world.deps.commands.calls.enqueue).toBe(0);
    expect(world.deps.database.calls.promote).toBe(0);
  });

  it('answers 400 for an unknown group, naming it', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, { type: 'pause', reason: 'x' }, { group: 'payments' });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues[0]).toContain('groupId: payments is not a configured group');
  });

  it('requires an Idempotency-Key for a command', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await call(world, { method: 'POST', path: '/groups/orders/commands/pause', body: { reason: 'x' } });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues[0]).toMatch(/^Idempotency-Key: header is required/);
  });
});

describe('operator API: failover and switchover', () => {
  it('fails over at once and answers the failover id, target, expected data loss and steps', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'eu-west-1 storage degraded' });

    // Assess
    expect(response.status).toBe(200);
    const answer = response.body as CommandAnswer;
    expect(answer.state).toBe('failedOver');
    expect(answer.command).toMatchObject({ type: 'failover', status: 'accepted', principalArn: ALICE });
    expect(answer.failover).toMatchObject({ from: PRIMARY, to: REPLICA, planned: false, outcome: 'completed', expectedDataLoss: { seconds: 2 } });
    expect(answer.failover?.id).toMatch(/^fo-/);
    expect(answer.failover?.steps.map((step) => step.step)).toEqual([
      'fencing',
      'promoting',
      'awaitingPromotion',
      'switchingTraffic',
      'awaitingDnsSync',
      'verifying',
    ]);
    expect(world.deps.database.calls.promoteEffective).toBe(1);
    const requested = (await world.deps.eventLog.list(world.group.id)).find((event) => event.type === 'FAILOVER_REQUESTED');
    expect(requested).toMatchObject({ actor: ALICE, failoverId: answer.failover?.id });
  });

  it('acts once when the same request is retried with the same key, answering the stored outcome', async () => {
    // Prepare
    const world = await healthyWorld();
    const key = 'retry-0000-0001';
    const body = { type: 'failover', targetRegion: REPLICA, reason: 'eu-west-1 storage degraded' };
    const first = await command(world, body, { key });

    // Act
    const second = await command(world, body, { key });

    // Assess
    expect(second.status).toBe(200);
    expect((second.body as CommandAnswer).replayed).toBe(true);
    expect((second.body as CommandAnswer).failover?.id).toBe((first.body as CommandAnswer).failover?.id);
    expect(world.deps.commands.calls.enqueue).toBe(1);
    expect(world.deps.database.calls.promoteEffective).toBe(1);
    expect((await world.deps.eventLog.listFailovers(world.group.id)).length).toBe(1);
  });

  it('refuses a key reused for a different command', async () => {
    // Prepare
    const world = await healthyWorld();
    await command(world, { type: 'pause', reason: 'maintenance' }, { key: 'reused-key-0001' });

    // Act
    const response = await command(world, { type: 'resume', reason: 'done' }, { key: 'reused-key-0001' });

    // Assess
    expect(response.status).toBe(422);
    expect((response.body as { error: { message: string } }).error.message).toContain('already used for a different command');
    expect((await world.deps.commands.get(world.group.id, 'reused-key-0001'))?.type).toBe('pause');
  });

  it('answers 409 with the current state for a failover while another is running, and records the refusal', async () => {
    // Prepare
    const world = await healthyWorld();
    await failoverInPromotion(world);

    // Act
    const response = await command(world, { type: 'failover', targetRegion: 'ap-southeast-2', reason: 'second opinion' }, { principalArn: BOB });

    // Assess
    expect(response.status).toBe(409);
    expect((response.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`${PRIMARY} → ${REPLICA} is failingOver.awaitingPromotion`),
    });
    const refusal = (await world.deps.eventLog.list(world.group.id)).find((event) => event.type === 'COMMAND_REFUSED');
    expect(refusal).toMatchObject({ actor: BOB, state: 'failingOver.awaitingPromotion', detail: { reason: 'second opinion' } });
    expect(world.deps.database.calls.promoteEffective).toBe(1);
  });

  it('refuses with 422 a failover to a replica over the lag budget, stating the data-loss window and how to accept it', async () => {
    // Prepare
    const world = await healthyWorld();
    world.deps.database.region(REPLICA).replicaLagSeconds = 120;
    await probeRound(world.deps, world.group);

    // Act
    const response = await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'primary degraded' });

    // Assess
    expect(response.status).toBe(422);
    const body = response.body as { error: { code: string; message: string }; dataLoss: { seconds: number; accept: string } };
    expect(body.error.code).toBe('refused');
    expect(body.error.message).toContain('up to 120 seconds of writes would be lost');
    expect(body.dataLoss).toMatchObject({ seconds: 120, accept: expect.stringContaining('--allow-data-loss') });
    expect(world.deps.database.calls.promote).toBe(0);
    const [latest] = await world.deps.eventLog.list(world.group.id, { limit: 1 });
    expect(latest).toMatchObject({ type: 'COMMAND_REFUSED', actor: ALICE });
  });

  it('fails over to a lagging replica when the operator accepts the data loss', async () => {
    // Prepare
    const world = await healthyWorld();
    world.deps.database.region(REPLICA).replicaLagSeconds = 120;
    await probeRound(world.deps, world.group);

    // Act
    const response = await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'primary gone for good', allowDataLoss: true });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as CommandAnswer).failover).toMatchObject({ to: REPLICA, allowDataLoss: true, expectedDataLoss: { seconds: 120 } });
  });

  it('switches over with no data loss, fencing and draining first', async () => {
    // Prepare
    const world = await healthyWorld(withFencing);
    world.deps.database.region(REPLICA).replicaLagSeconds = 0;

    // Act
    const response = await command(world, { type: 'switchover', targetRegion: REPLICA, reason: 'planned region move' });

    // Assess
    expect(response.status).toBe(200);
    const answer = response.body as CommandAnswer;
    expect(answer.failover).toMatchObject({ planned: true, expectedDataLoss: { seconds: 0 } });
    expect(answer.failover?.steps.map((step) => step.step)).toContain('draining');
    expect(world.deps.database.calls.fenceEffective).toBe(1);
  });

  it('answers 202 when the scheduled orchestrator holds the group, and the orchestrator then takes the command', async () => {
    // Prepare
    const world = await healthyWorld();
    await world.deps.stateStore.acquireLease(world.group.id, 'orchestrator-run', world.clock.now(), 30_000);

    // Act
    const response = await command(world, { type: 'pause', reason: 'maintenance' }, { key: 'queued-key-0001' });

    // Assess
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ command: { status: 'pending' }, expected: { decision: 'accept', stateAfter: 'paused' } });
    world.clock.advance(31_000);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator-run', deadline: world.clock.now() + MINUTE });
    expect((await world.deps.commands.get(world.group.id, 'queued-key-0001'))?.status).toBe('accepted');
  });
});

describe('operator API: the other commands', () => {
  it('refuses to abort after the promotion started, explaining why', async () => {
    // Prepare
    const world = await healthyWorld();
    await failoverInPromotion(world);

    // Act
    const response = await command(world, { type: 'abort', reason: 'changed my mind' });

    // Assess
    expect(response.status).toBe(422);
    expect((response.body as { error: { message: string } }).error.message).toContain('may already have happened');
  });

  it('approves a proposed failover, and rejects another', async () => {
    // Prepare
    const world = await healthyWorld(approvalMode);
    await confirmDown(world.deps, world.group, [PRIMARY]);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });

    // Act
    const approved = await command(world, { type: 'approve', reason: 'confirmed with the DBA' });

    // Assess
    expect(approved.status).toBe(200);
    expect((approved.body as CommandAnswer).state).toBe('failedOver');
    const rejected = await command(world, { type: 'reject', reason: 'nothing to reject' });
    expect(rejected.status).toBe(422);
  });

  it('rejects a proposed failover, leaving the primary in place', async () => {
    // Prepare
    const world = await healthyWorld(approvalMode);
    await confirmDown(world.deps, world.group, [PRIMARY]);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });

    // Act
    const response = await command(world, { type: 'reject', reason: 'the probes are wrong; app is fine' });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as CommandAnswer).state).toBe('monitoring');
    expect(world.deps.database.calls.promote).toBe(0);
  });

  it('aborts a failover before its promotion', async () => {
    // Prepare
    const world = await healthyWorld(withFencing);
    world.deps.database.region(REPLICA).replicaLagSeconds = 4;
    const started = await command(world, { type: 'switchover', targetRegion: REPLICA, reason: 'move' }, { deadlineMs: 4_000 });
    expect((started.body as CommandAnswer).state).toBe('failingOver.draining');

    // Act
    const response = await command(world, { type: 'abort', reason: 'replica will not catch up' });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as CommandAnswer).state).toBe('monitoring');
    expect(world.deps.database.calls.promote).toBe(0);
  });

  it('retries a stalled step', async () => {
    // Prepare
    const world = await healthyWorld();
    world.deps.prober.failing.add(world.group.regions[REPLICA]!.healthEndpoints[0]!.url);
    await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'primary degraded' }, { deadlineMs: 10 * MINUTE });
    world.deps.prober.failing.clear();
    expect((await call(world, { method: 'GET', path: '/groups/orders' })).body).toMatchObject({ state: 'stalled' });

    // Act
    const response = await command(world, { type: 'retry', reason: 'health endpoint fixed' });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as CommandAnswer).state).toBe('failedOver');
  });

  it('pauses and resumes automatic failover, and acknowledges a completed one', async () => {
    // Prepare
    const world = await healthyWorld();
    await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'primary degraded' });

    // Act
    const paused = await command(world, { type: 'pause', reason: 'investigating' });
    const resumed = await command(world, { type: 'resume', reason: 'done investigating' });
    const acknowledged = await command(world, { type: 'acknowledge', reason: 'verified orders flow in us-east-1' });

    // Assess
    expect([paused.status, resumed.status, acknowledged.status]).toEqual([200, 200, 200]);
    expect((paused.body as CommandAnswer).state).toBe('paused');
    expect((resumed.body as CommandAnswer).state).toBe('failedOver');
    expect((acknowledged.body as CommandAnswer).state).toBe('monitoring');
  });
});

describe('operator API: reading', () => {
  it('shows each region with its verdict and lag, the primary first, and the last events', async () => {
    // Prepare
    const world = await healthyWorld();
    await command(world, { type: 'pause', reason: 'maintenance' });

    // Act
    const response = await call(world, { method: 'GET', path: '/groups/orders' });

    // Assess
    expect(response.status).toBe(200);
    const status = response.body as GroupStatus;
    expect(status).toMatchObject({ state: 'paused', primaryRegion: PRIMARY, awaitingAcknowledgement: false, paused: { principalArn: ALICE } });
    expect(status.regions.map((region) => [region.region, region.role, region.verdict, region.replicaLagSeconds])).toEqual([
      [PRIMARY, 'primary', 'healthy', undefined],
      [REPLICA, 'replica', 'healthy', 2],
      ['ap-southeast-2', 'replica', 'healthy', 5],
    ]);
    expect(status.lastEvents[0]).toMatchObject({ type: 'PAUSE', actor: ALICE });
  });

  it('lists every group at /groups', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await call(world, { method: 'GET', path: '/groups' });

    // Assess
    expect((response.body as { groups: GroupStatus[] }).groups.map((group) => group.groupId)).toEqual(['orders']);
  });

  it('answers the failover history newest first with step timings and RTO', async () => {
    // Prepare
    const world = await healthyWorld();
    await command(world, { type: 'failover', targetRegion: REPLICA, reason: 'first' });
    await command(world, { type: 'acknowledge', reason: 'ok' });
    world.clock.advance(MINUTE);
    await probeRound(world.deps, world.group);
    world.deps.database.region(PRIMARY).role = 'replica';
    world.deps.database.region(PRIMARY).replicaLagSeconds = 1;
    await probeRound(world.deps, world.group);
    await command(world, { type: 'failover', targetRegion: PRIMARY, reason: 'fail back' });

    // Act
    const group = await call(world, { method: 'GET', path: '/groups/orders/history' });
    const all = await call(world, { method: 'GET', path: '/history' });

    // Assess
    const failovers = (group.body as { failovers: FailoverHistoryEntry[] }).failovers;
    expect(failovers.map((failover) => failover.reason)).toEqual(['fail back', 'first']);
    expect(failovers[1]?.rtoMs).toBeGreaterThan(0);
    expect(failovers[1]?.stepTimings.map((timing) => timing.phase)).toContain('promotion');
    expect(failovers[1]?.stepTimings.reduce((sum, timing) => sum + timing.durationMs, 0)).toBe(failovers[1]?.rtoMs);
    expect((all.body as { failovers: FailoverHistoryEntry[] }).failovers).toHaveLength(2);
  });

  it('plans an automatic failover without saving, enqueueing or performing anything', async () => {
    // Prepare
    const world = await healthyWorld();
    await confirmDown(world.deps, world.group, [PRIMARY]);
    const saves = world.deps.stateStore.calls.save;

    // Act
    const response = await call(world, { method: 'GET', path: '/groups/orders/plan' });

    // Assess
    const plan = response.body as GroupPlan;
    expect(plan.state).toBe('monitoring');
    expect(plan.stateAfter).toBe('failingOver.reserving');
    expect(plan.summary).toContain(`would start an automatic failover ${PRIMARY} → ${REPLICA}`);
    expect(plan.failover?.steps[0]?.step).toBe('reserving');
    expect(plan.notifications).toEqual(['failover-started']);
    expect(world.deps.stateStore.calls.save).toBe(saves);
    expect(world.deps.stateStore.calls.acquireLease).toBe(1);
    expect(world.deps.database.calls.promote + world.deps.database.calls.fence).toBe(0);
  });

  it('previews a command in the plan: decision, target, data loss and steps', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await call(world, {
      method: 'GET',
      path: '/groups/orders/plan',
      query: { command: 'failover', targetRegion: 'ap-southeast-2' },
    });

    // Assess
    const plan = response.body as GroupPlan;
    expect(plan.command).toMatchObject({ decision: 'accept', stateAfter: 'failingOver.fencing', failover: { to: 'ap-southeast-2', expectedDataLoss: { seconds: 5 } } });
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });

  it('answers 404 for an unknown group or route, 405 for a wrong method and 400 for a malformed path', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const responses = await Promise.all([
      call(world, { method: 'GET', path: '/groups/payments' }),
      call(world, { method: 'GET', path: '/nowhere' }),
      call(world, { method: 'DELETE', path: '/groups/orders' }),
      call(world, { method: 'GET', path: '/groups/%E0%A4%A' }),
    ]);

    // Assess
    expect(responses.map((response) => response.status)).toEqual([404, 404, 405, 400]);
  });
});

describe('operator API: bad input changes nothing', () => {
  it('answers 400 naming the reason when it is over 1 KB (a 150 KB reason), and enqueues nothing', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, { type: 'pause', reason: 'x'.repeat(150_000) });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues).toEqual([
      expect.stringMatching(/^reason: must be at most 1024 bytes \(UTF-8\)/),
    ]);
    expect(world.deps.commands.calls.enqueue).toBe(0);
    expect(JSON.stringify(response.body).length).toBeLessThan(1_000);
  });

  it.each([
    [{ type: 'failover', reason: 'x', targetRegion: 'r'.repeat(10_000) }, /^targetRegion: must be at most 128 character\(s\) long/],
    [{ type: 'x'.repeat(10_000), reason: 'x' }, /^type: the body says x+… \(10000 characters\) but the route is POST \/groups\/orders\/commands\/failover/],
    [{ type: 'cancel', reason: 'x' }, /^targetCommandId: is required for a cancel/],
  ])('bounds every field and quotes a bad value instead of echoing it whole (%#)', async (body, issue) => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await command(world, body);

    // Assess
    expect(response.status).toBe(400);
    const issues = (response.body as { error: { issues: string[] } }).error.issues;
    expect(issues[0]).toMatch(issue);
    expect(issues.every((line) => line.length <= 300)).toBe(true);
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });

  it('answers 400 naming the path for a path segment over 128 characters', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await call(world, { method: 'GET', path: `/groups/${'g'.repeat(100_000)}` });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: string[] } }).error.issues[0]).toMatch(/^path: segment g+… \(100000 characters\) is longer than 128 characters$/);
  });

  it('answers 400 naming the body when it is over 8 KB, before parsing it', () => {
    // Act
    const tooLarge = parseOperatorBody(JSON.stringify({ type: 'pause', reason: 'x'.repeat(10_000) }));
    const notUtf8 = parseOperatorBody(new Uint8Array([0x7b, 0xe9, 0x7d]));
    const fine = parseOperatorBody(Buffer.from(JSON.stringify({ type: 'pause', reason: 'ok' })).toString('base64'), true);

    // Assess
    expect(tooLarge).toMatchObject({ status: 400, body: { error: { issues: [expect.stringMatching(/^body: is larger than the 8192-byte limit/)] } } });
    expect(notUtf8).toMatchObject({ status: 400, body: { error: { issues: ['body: is not valid UTF-8'] } } });
    expect(fine).toEqual({ value: { type: 'pause', reason: 'ok' } });
  });

  it('refuses a stored command that cannot be applied, takes it out of the pending set and takes the next one in the same pass', async () => {
    // Prepare: what an older version stored (150 KB reason) and a command of a type no version knows
    const world = await healthyWorld();
    const queued = { groupId: world.group.id, principalArn: ALICE, requestedAt: world.clock.now() };
    await world.deps.commands.enqueue({ ...queued, id: 'poison-0001', type: 'pause', reason: 'x'.repeat(150_000) });
    await world.deps.commands.enqueue({ ...queued, id: 'poison-0002', type: 'explode' as 'pause', reason: 'unknown type' });
    await world.deps.commands.enqueue({ ...queued, id: 'healthy-0003', type: 'pause', reason: 'maintenance', requestedAt: world.clock.now() + 1 });

    // Act
    const outcome = await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });

    // Assess
    expect(outcome.state).toBe('paused');
    expect(await world.deps.commands.pending(world.group.id)).toEqual([]);
    expect(await world.deps.commands.get(world.group.id, 'poison-0001')).toMatchObject({
      status: 'refused',
      outcome: expect.stringMatching(/^malformed command, never applied: reason: must be at most 1024 bytes/),
    });
    expect(await world.deps.commands.get(world.group.id, 'poison-0002')).toMatchObject({ status: 'refused', outcome: expect.stringContaining('type: must be one of') });
    expect((await world.deps.commands.get(world.group.id, 'healthy-0003'))?.status).toBe('accepted');
    const refusals = (await world.deps.eventLog.list(world.group.id)).filter((event) => event.type === 'COMMAND_REFUSED');
    expect(refusals).toHaveLength(2);
    expect(JSON.stringify(refusals).length, 'the event log quotes the reason, never copies 150 KB').toBeLessThan(3_000);
  });

  it('refuses a command whose decision throws, and goes on with the rest of the pass', async () => {
    // Prepare
    const world = await healthyWorld();
    const queued = { groupId: world.group.id, principalArn: ALICE, requestedAt: world.clock.now() };
    await world.deps.commands.enqueue({ ...queued, id: 'throws-0001', type: 'pause', reason: 'first' });
    await world.deps.commands.enqueue({ ...queued, id: 'healthy-0002', type: 'pause', reason: 'second', requestedAt: world.clock.now() + 1 });
    let ids = 0;
    const deps = {
      ...world.deps,
      newId: () => {
        ids += 1;
        if (ids === 2) throw new Error('id source failed');
        return `fo-${ids}`;
      },
    };

    // Act
    const outcome = await reconcileGroup(deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });

    // Assess
    expect(outcome.state).toBe('paused');
    expect(await world.deps.commands.get(world.group.id, 'throws-0001')).toMatchObject({
      status: 'refused',
      outcome: 'could not be applied: Error: id source failed',
    });
    expect((await world.deps.commands.get(world.group.id, 'healthy-0002'))?.status).toBe('accepted');
  });
});

describe('operator API: pending commands and cancel', () => {
  /** A pause queued while the scheduled orchestrator holds the group: it stays pending. */
  async function queuedPause(): Promise<World> {
    const world = await healthyWorld();
    await world.deps.stateStore.acquireLease(world.group.id, 'orchestrator-run', world.clock.now(), 30_000);
    const response = await command(world, { type: 'pause', reason: 'maintenance at 02:00' }, { key: 'pause-key-0001', principalArn: ALICE });
    expect(response.status).toBe(202);
    return world;
  }

  it('lists the pending commands of a group, oldest first, with who queued them and why', async () => {
    // Prepare
    const world = await queuedPause();

    // Act
    const response = await call(world, { method: 'GET', path: '/groups/orders/commands' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      groupId: 'orders',
      commands: [{ id: 'pause-key-0001', type: 'pause', principalArn: ALICE, reason: 'maintenance at 02:00', requestedAt: expect.any(Number) }],
    });
  });

  it('cancels a pending command: it is never applied, and the event log records who cancelled it and why', async () => {
    // Prepare
    const world = await queuedPause();

    // Act
    const response = await call(world, {
      method: 'POST',
      path: '/groups/orders/commands/cancel',
      body: { reason: 'maintenance postponed', targetCommandId: 'pause-key-0001' },
      idempotencyKey: 'cancel-key-0001',
      principalArn: BOB,
    });
    world.clock.advance(31_000);
    const outcome = await reconcileGroup(world.deps, world.group, { owner: 'orchestrator-run', deadline: world.clock.now() + MINUTE });

    // Assess
    expect(response.status).toBe(202);
    expect(outcome.state).toBe('monitoring');
    expect(await world.deps.commands.get(world.group.id, 'pause-key-0001')).toMatchObject({
      status: 'refused',
      outcome: `cancelled by ${BOB}: maintenance postponed`,
    });
    expect(await world.deps.commands.get(world.group.id, 'cancel-key-0001')).toMatchObject({ status: 'accepted', type: 'cancel', targetCommandId: 'pause-key-0001' });
    const events = await world.deps.eventLog.list(world.group.id);
    expect(events.find((event) => event.type === 'COMMAND_CANCELLED')).toMatchObject({
      actor: BOB,
      detail: { commandId: 'pause-key-0001', cancelCommandId: 'cancel-key-0001', reason: 'maintenance postponed' },
    });
    expect(events.some((event) => event.type === 'PAUSE')).toBe(false);
    expect(await world.deps.commands.pending(world.group.id)).toEqual([]);
  });

  it('answers 404 for a command the group does not have, and refuses to cancel one already taken', async () => {
    // Prepare
    const world = await healthyWorld();
    await command(world, { type: 'pause', reason: 'maintenance' }, { key: 'taken-key-0001' });

    // Act
    const unknown = await command(world, { type: 'cancel', reason: 'x', targetCommandId: 'ghost-key-0001' });
    const taken = await command(world, { type: 'cancel', reason: 'too late', targetCommandId: 'taken-key-0001' });

    // Assess
    expect(unknown.status).toBe(404);
    expect(taken.status).toBe(422);
    expect((taken.body as CommandAnswer).command.outcome).toMatch(/^command taken-key-0001 is not pending/);
    expect((await world.deps.commands.get(world.group.id, 'taken-key-0001'))?.status).toBe('accepted');
  });
});

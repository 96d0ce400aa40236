import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { callerIdentity, handleOperatorRequest, type CommandAnswer, type EventsPage, type OperatorRequest } from '../../src/application/operatorApi.js';
import { serveOperatorHttp } from '../../src/application/operatorHttp.js';
import { OPERATOR_ROUTES, operatorPaths } from '../../src/application/operatorRoutes.js';
import { inMemoryWorld, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;
const ALICE = 'arn:aws:sts::123456789012:assumed-role/oncall/alice-session';

type World = ReturnType<typeof inMemoryWorld>;

let keys = 0;
function newKey(): string {
  keys += 1;
  return `route-key-${String(keys).padStart(6, '0')}`;
}

async function healthyWorld(): Promise<World> {
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
  return world;
}

function post(world: World, path: string, body: unknown, principalArn = ALICE) {
  const request: OperatorRequest = { principalArn, method: 'POST', path, body, idempotencyKey: newKey() };
  return handleOperatorRequest(world.deps, request, { deadline: world.clock.now() + MINUTE });
}

function get(world: World, path: string, query: Record<string, string> = {}) {
  return handleOperatorRequest(world.deps, { principalArn: ALICE, method: 'GET', path, query, body: undefined }, { deadline: world.clock.now() + MINUTE });
}

function issuesOf(response: { body: unknown }): string[] {
  return (response.body as { error: { issues?: string[] } }).error.issues ?? [];
}

describe('operator API routes: the route decides, the body may only agree', () => {
  it.each([
    ['/groups/orders/commands/failover', { type: 'pause', reason: 'x' }, /^type: the body says pause but the route is POST \/groups\/orders\/commands\/failover/],
    ['/groups/orders/commands/pause', { groupId: 'payments', reason: 'x' }, /^groupId: the body says payments but the route is POST \/groups\/orders\/commands\/pause/],
    ['/groups/orders/commands/failover', { reason: 'x', allowDataLoss: true }, /^allowDataLoss: a failover that accepts data loss has its own route, POST \/groups\/orders\/commands\/failover-allow-data-loss/],
    ['/groups/orders/commands/failover-allow-data-loss', { reason: 'x', allowDataLoss: false }, /^allowDataLoss: must be true or left out/],
    ['/groups/orders/commands/failover-allow-data-loss', { type: 'switchover', reason: 'x' }, /^type: the body says switchover but the route is POST \/groups\/orders\/commands\/failover-allow-data-loss/],
    ['/groups/orders/commands/explode', { reason: 'x' }, /^type: explode \(the last segment of the path\) is not a command; one of: approve, reject, failover/],
    ['/groups/orders/commands', { type: 'pause', reason: 'x' }, /^type: missing from the path: POST each command to \/groups\/orders\/commands\/<type>/],
  ])('refuses POST %s with %j, naming the field, and queues nothing', async (path, body, issue) => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await post(world, path, body);

    // Assess
    expect(response.status).toBe(400);
    expect(issuesOf(response)[0]).toMatch(issue);
    expect(world.deps.commands.calls.enqueue).toBe(0);
    expect(world.deps.database.calls.promote).toBe(0);
  });

  it('takes the type from the route, so a body with only a reason is a whole command', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await post(world, operatorPaths.command('orders', 'pause'), { reason: 'maintenance' });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as CommandAnswer).command).toMatchObject({ type: 'pause', status: 'accepted', principalArn: ALICE });
  });

  it('fails over past the lag budget only on the data-loss route, which implies allowDataLoss', async () => {
    // Prepare
    const world = await healthyWorld();
    world.deps.database.region(REPLICA).replicaLagSeconds = 120;
    await probeRound(world.deps, world.group);

    // Act
    const plain = await post(world, operatorPaths.command('orders', 'failover'), { targetRegion: REPLICA, reason: 'primary gone' });
    const accepted = await post(world, operatorPaths.command('orders', 'failover', true), { targetRegion: REPLICA, reason: 'primary gone for good' });

    // Assess
    expect(plain.status).toBe(422);
    expect(accepted.status).toBe(200);
    expect((accepted.body as CommandAnswer).failover).toMatchObject({ to: REPLICA, allowDataLoss: true, expectedDataLoss: { seconds: 120 } });
  });

  it('serves every route of the table it is deployed from (nothing the HTTP API routes answers 404)', async () => {
    // Prepare
    const world = await healthyWorld();
    const concrete = (path: string) => path.replace('{group}', 'orders').replace('{commandId}', 'no-such-command').replace('{drillId}', 'no-such-drill');

    // Act
    const reads = await Promise.all(
      OPERATOR_ROUTES.filter((route) => route.method === 'GET').map(async (route) => [route.path, (await get(world, concrete(route.path))).status] as const),
    );

    // Assess
    expect(reads).toEqual(
      OPERATOR_ROUTES.filter((route) => route.method === 'GET').map((route) => [route.path, /\{(commandId|drillId)\}$/.test(route.path) ? 404 : 200]),
    );
    expect(OPERATOR_ROUTES.filter((route) => route.method === 'POST').map((route) => route.path.replace('/groups/{group}/', ''))).toEqual([
      ...['approve', 'reject', 'failover', 'switchover', 'abort', 'retry', 'pause', 'resume', 'acknowledge', 'reprotect', 'cancel', 'failover-allow-data-loss'].map((type) => `commands/${type}`),
      'drills',
      'drills/{drillId}/stop',
    ]);
  });
});

describe('operator API routes: events', () => {
  it('answers the newest events oldest first, at most limit, and after a sequence number reads on from there page by page', async () => {
    // Prepare
    const world = await healthyWorld();
    await post(world, operatorPaths.command('orders', 'pause'), { reason: 'maintenance' });
    await post(world, operatorPaths.command('orders', 'resume'), { reason: 'done' });
    await post(world, operatorPaths.command('orders', 'pause'), { reason: 'again' });
    const all = ((await get(world, operatorPaths.events('orders'))).body as EventsPage).events.map((event) => event.seq);
    world.deps.eventLog.calls.list = 0;

    // Act
    const two = (await get(world, operatorPaths.events('orders'), { limit: '2' })).body as EventsPage;
    const first = (await get(world, operatorPaths.events('orders'), { after: String(all[0]! - 1), limit: '2' })).body as EventsPage;
    const rest = (await get(world, operatorPaths.events('orders'), { after: String(first.next), limit: '2' })).body as EventsPage;
    const none = (await get(world, operatorPaths.events('orders'), { after: String(all.at(-1)!) })).body as EventsPage;

    // Assess
    expect(all.length).toBeGreaterThan(2);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(two.events.map((event) => event.seq)).toEqual(all.slice(-2));
    expect(two.more).toBe(false);
    expect([...first.events, ...rest.events].map((event) => event.seq)).toEqual(all.slice(0, 4));
    expect(first).toMatchObject({ next: all[1], more: true });
    expect(none).toEqual({ groupId: 'orders', events: [], next: all.at(-1), more: false });
    expect(world.deps.eventLog.calls.list).toBe(1);
  });

  it.each([
    [{ limit: '0' }, ['limit: must be a whole number from 1 to 200 (events), not "0"']],
    [{ limit: '201' }, ['limit: must be a whole number from 1 to 200 (events), not "201"']],
    [{ limit: '2.5', after: '-1' }, ['limit: must be a whole number from 1 to 200 (events), not "2.5"', 'after: must be a whole number from 0 to 999999999999 (the sequence number of the last event seen), not "-1"']],
    [{ after: '1e3' }, ['after: must be a whole number from 0 to 999999999999 (the sequence number of the last event seen), not "1e3"']],
  ])('refuses the events query %j naming each field and its bounds', async (query, issues) => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await get(world, operatorPaths.events('orders'), query);

    // Assess
    expect(response.status).toBe(400);
    expect(issuesOf(response)).toEqual(issues);
  });
});

describe('operator API routes: history bounds', () => {
  it.each([operatorPaths.allHistory(), operatorPaths.history('orders')])('refuses limit=0 on %s instead of answering the default 20', async (path) => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const zero = await get(world, path, { limit: '0' });
    const over = await get(world, path, { limit: '500' });
    const one = await get(world, path, { limit: '1' });

    // Assess
    expect(zero.status).toBe(400);
    expect(issuesOf(zero)).toEqual(['limit: must be a whole number from 1 to 200 (failovers), not "0"']);
    expect(issuesOf(over)).toEqual(['limit: must be a whole number from 1 to 200 (failovers), not "500"']);
    expect(one.status).toBe(200);
  });
});

describe('operator API over HTTP: identity and bounds', () => {
  it('records the full ARN of the signer with the STS source identity where the session carries one', async () => {
    // Prepare
    const world = await healthyWorld();

    // Act
    const response = await serveOperatorHttp(
      async () => world.deps,
      {
        method: 'POST',
        path: operatorPaths.command('orders', 'pause'),
        body: JSON.stringify({ reason: 'maintenance' }),
        headers: { 'Idempotency-Key': 'http-key-000001' },
        userArn: ALICE,
        sourceIdentity: 'alice@example.com',
        requestId: 'req-1',
      },
      { budgetMs: 20_000 },
    );

    // Assess
    const recorded = `${ALICE} (source identity alice@example.com)`;
    expect(response.status).toBe(200);
    expect((await world.deps.commands.get('orders', 'http-key-000001'))?.principalArn).toBe(recorded);
    expect((await world.deps.eventLog.list('orders', { limit: 1 }))[0]).toMatchObject({ type: 'PAUSE', actor: recorded });
  });

  it('keeps the ARN alone without a source identity, quotes an invalid one, and has no identity without an ARN', () => {
    // Act
    const results = [callerIdentity(ALICE), callerIdentity(ALICE, ''), callerIdentity(ALICE, 'a b'), callerIdentity(undefined, 'alice'), callerIdentity('  ')];

    // Assess
    expect(results).toEqual([ALICE, ALICE, `${ALICE} (source identity "a b", not a valid source identity)`, undefined, undefined]);
  });

  it('refuses an oversized body naming the body, before loading anything, and queues nothing', async () => {
    // Prepare
    const world = await healthyWorld();
    let loads = 0;

    // Act
    const response = await serveOperatorHttp(
      async () => {
        loads += 1;
        return world.deps;
      },
      {
        method: 'POST',
        path: operatorPaths.command('orders', 'pause'),
        body: JSON.stringify({ reason: 'x'.repeat(100_000) }),
        headers: { 'idempotency-key': 'http-key-000002' },
        userArn: ALICE,
        requestId: 'req-2',
      },
      { budgetMs: 20_000 },
    );

    // Assess
    expect(response.status).toBe(400);
    expect(issuesOf(response)[0]).toMatch(/^body: is larger than the 8192-byte limit/);
    expect(loads).toBe(0);
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });
});

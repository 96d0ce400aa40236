import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { handleOperatorRequest, type CommandAnswer } from '../../src/application/operatorApi.js';
import type { GroupPlan } from '../../src/application/plan.js';
import type { GroupStatus } from '../../src/application/status.js';
import { runCli } from '../../src/cli/program.js';
import { confirmDown, inMemoryWorld, PRIMARY, REPLICA } from '../application/harness.js';
import { InProcessTransport, OPERATOR, terminal } from './support.js';

const MINUTE = 60_000;

async function failedOverWorld() {
  const world = inMemoryWorld();
  await confirmDown(world.deps, world.group, [PRIMARY]);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
  return { ...world, transport: new InProcessTransport(world.deps) };
}

describe('fcp reprotect', () => {
  it('shows the replica it will create, and once confirmed sends a reprotect naming the region with --region', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport, { answers: [true] });

    // Act
    const code = await runCli(['reprotect', 'orders', '--region', PRIMARY, '--reason', 'INC-1: protect us-east-1'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain(`reprotect on orders: reprotect ${PRIMARY}: create orders-eu-west-1-r1, a read replica of the primary ${REPLICA}`);
    expect(term.out()).toContain('reprotect accepted');
    expect(world.transport.posts()).toHaveLength(1);
    expect(world.transport.posts()[0]?.body).toEqual({ type: 'reprotect', reason: 'INC-1: protect us-east-1', targetRegion: PRIMARY });
    expect(world.deps.database.calls.createReplicaEffective).toBe(1);
  });

  it('exits 3 without sending when the region is the primary', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['reprotect', 'orders', '--region', REPLICA, '--reason', 'INC-1', '--yes'], term.io);

    // Assess
    expect(code).toBe(3);
    expect(term.err()).toContain(`${REPLICA} is the primary of orders`);
    expect(world.transport.posts()).toHaveLength(0);
  });

  it('exits 2 when --region is missing, sending nothing', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['reprotect', 'orders', '--reason', 'INC-1', '--yes'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(world.transport.calls).toHaveLength(0);
  });

  it('shows the reprotect in progress and the protection line in fcp status', async () => {
    // Prepare
    const world = await failedOverWorld();
    await runCli(['reprotect', 'orders', '--region', PRIMARY, '--reason', 'INC-1', '--yes'], terminal(world.transport).io);
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['status', 'orders'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toMatch(/^protection unknown: /m);
    expect(term.out()).toContain(`of ${PRIMARY}: creating orders-eu-west-1-r1, replica of ${REPLICA} (created)`);
  });
});

describe('operator API: reprotect', () => {
  it('answers 400 naming targetRegion when a reprotect names no region, and queues nothing', async () => {
    // Prepare
    const world = await failedOverWorld();

    // Act
    const response = await handleOperatorRequest(
      world.deps,
      { principalArn: OPERATOR, method: 'POST', path: '/groups/orders/commands/reprotect', body: { type: 'reprotect', reason: 'INC-1' }, idempotencyKey: 'key-00000001' },
      { deadline: world.clock.now() + MINUTE },
    );

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('targetRegion: is required for a reprotect');
    expect(await world.deps.commands.pending('orders')).toEqual([]);
  });

  it('answers 409 while a reprotect is creating its replica', async () => {
    // Prepare
    const world = await failedOverWorld();
    const request = (key: string, region: string) =>
      handleOperatorRequest(
        world.deps,
        { principalArn: OPERATOR, method: 'POST', path: '/groups/orders/commands/reprotect', body: { type: 'reprotect', reason: 'INC-1', targetRegion: region }, idempotencyKey: key },
        { deadline: world.clock.now() + MINUTE },
      );
    const first = await request('key-00000001', PRIMARY);

    // Act
    const second = await request('key-00000002', 'ap-southeast-2');

    // Assess
    expect(first.status).toBe(200);
    expect((first.body as CommandAnswer).command.status).toBe('accepted');
    expect(second.status).toBe(409);
    expect(world.deps.database.calls.createReplicaEffective).toBe(1);
  });

  it('says in status and plan which regions protect the primary', async () => {
    // Prepare
    const world = await failedOverWorld();

    // Act
    const [status, plan] = await Promise.all(
      ['/groups/orders', '/groups/orders/plan'].map((path) =>
        handleOperatorRequest(world.deps, { principalArn: OPERATOR, method: 'GET', path, body: undefined }, { deadline: world.clock.now() + MINUTE }),
      ),
    );

    // Assess
    expect((status?.body as GroupStatus).protection).toMatchObject({ primaryRegion: REPLICA });
    expect((plan?.body as GroupPlan).protection).toMatchObject({ primaryRegion: REPLICA });
  });
});

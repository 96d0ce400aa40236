import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OperatorApiUnreachableError, type OperatorCall } from '../../src/adapters/operator-client/OperatorClient.js';
import { reconcileGroup } from '../../src/application/executor.js';
import type { CommandAnswer } from '../../src/application/operatorApi.js';
import type { GroupPlan } from '../../src/application/plan.js';
import type { FailoverHistoryEntry, GroupStatus } from '../../src/application/status.js';
import { runCli } from '../../src/cli/program.js';
import { confirmDown, inMemoryWorld, PRIMARY, probeRound, REPLICA } from '../application/harness.js';
import { InProcessTransport, OPERATOR, terminal } from './support.js';

const MINUTE = 60_000;

async function healthyWorld() {
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
  return { ...world, transport: new InProcessTransport(world.deps) };
}

async function failedOverWorld() {
  const world = await healthyWorld();
  const { io } = terminal(world.transport);
  expect(await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'eu-west-1 writes time out', '--yes'], io)).toBe(0);
  world.transport.calls.length = 0;
  return world;
}

describe('fcp status', () => {
  it('prints each region with its role, verdict and lag, the primary first', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['status', 'orders'], term.io);

    // Assess
    expect(code).toBe(0);
    const lines = term.out().split('\n');
    expect(lines[0]).toMatch(/^orders \(staging, automatic\) {2}state: monitoring {2}primary: eu-west-1/);
    expect(lines.find((line) => line.startsWith(REPLICA))).toMatch(/^us-east-1\s+replica\s+healthy\s+2 s\s+replica/);
    expect(lines.findIndex((line) => line.startsWith(PRIMARY))).toBeLessThan(lines.findIndex((line) => line.startsWith(REPLICA)));
  });

  it('prints the API answer with --json', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['status', 'orders', '--json'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.json()).toMatchObject({ groupId: 'orders', state: 'monitoring', primaryRegion: PRIMARY } satisfies Partial<GroupStatus>);
  });

  it('summarises every group when no group is named', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    await runCli(['status'], term.io);

    // Assess
    expect(term.out().split('\n').slice(0, 2)).toEqual([
      'GROUP   STATE       PRIMARY    MODE       FAILOVER',
      'orders  monitoring  eu-west-1  automatic  -',
    ]);
  });

  it('refreshes with --watch until interrupted', async () => {
    // Prepare
    const world = await healthyWorld();
    const interrupt = new AbortController();
    let sleeps = 0;
    const term = terminal(world.transport, {
      signal: interrupt.signal,
      sleep: async (ms) => {
        expect(ms).toBe(2_000);
        sleeps += 1;
        if (sleeps === 2) interrupt.abort();
      },
    });

    // Act
    const code = await runCli(['status', 'orders', '--watch'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(world.transport.calls).toHaveLength(2);
    expect(term.out().match(/state: monitoring/g)).toHaveLength(2);
  });

  it('exits 2 for an unknown group', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['status', 'payments'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('group payments is not configured');
  });
});

describe('fcp history and plan', () => {
  it('prints the failover history with its route, trigger, RTO and step timings', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['history', 'orders'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toMatch(new RegExp(`orders\\s+fo-\\d+\\s+${PRIMARY} → ${REPLICA}\\s+failover\\s+operator: ${OPERATOR}\\s+completed\\s+\\d+\\.\\d s\\s+2 s`));
    expect(term.out()).toMatch(/\n {2}promotion\s+\d+\.\d s/);
  });

  it('prints the history as JSON with --json', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport);

    // Act
    await runCli(['history', '--json'], term.io);

    // Assess
    const { failovers } = term.json() as { failovers: FailoverHistoryEntry[] };
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatchObject({ to: REPLICA, outcome: 'completed' });
    expect(world.transport.calls[0]).toMatchObject({ path: '/history', query: { limit: '20' } });
  });

  it('plans what the control plane would do, in words and as JSON', async () => {
    // Prepare
    const world = await healthyWorld();
    await confirmDown(world.deps, world.group, [PRIMARY]);
    const human = terminal(world.transport);
    const machine = terminal(world.transport);

    // Act
    const codes = [await runCli(['plan', 'orders'], human.io), await runCli(['plan', 'orders', '--json'], machine.io)];

    // Assess
    expect(codes).toEqual([0, 0]);
    expect(human.out()).toContain(`would start an automatic failover ${PRIMARY} → ${REPLICA}`);
    expect(human.out()).toContain('state: monitoring → failingOver.reserving');
    expect(human.out()).toMatch(/steps:\n {4}1\. reserving: /);
    expect((machine.json() as GroupPlan).stateAfter).toBe('failingOver.reserving');
    expect(world.deps.database.calls.promote).toBe(0);
  });
});

describe('fcp failover: confirmation', () => {
  it('shows the target, expected data loss and steps, asks, and fails over once confirmed', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport, { answers: [true] });

    // Act
    const code = await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'eu-west-1 writes time out'], term.io);

    // Assess
    expect(code).toBe(0);
    const output = term.out();
    expect(output.indexOf('expected data loss: up to 2 s of writes')).toBeLessThan(output.indexOf('failover accepted'));
    expect(output).toContain(`${PRIMARY} → ${REPLICA}  failover`);
    expect(output).toContain('5. awaitingDnsSync: ');
    expect(term.prompts).toEqual(['failover orders now? It is recorded with your identity and reason. [y/N] ']);
    expect(output).toContain('state: failedOver');
    expect(world.deps.database.calls.promoteEffective).toBe(1);
  });

  it('sends nothing when the operator does not confirm', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport, { answers: [false] });

    // Act
    const code = await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'eu-west-1 writes time out'], term.io);

    // Assess
    expect(code).toBe(1);
    expect(term.err()).toContain('not confirmed: nothing sent');
    expect(world.transport.posts()).toEqual([]);
    expect(world.deps.commands.calls.enqueue).toBe(0);
  });

  it('refuses with exit 2 in a non-interactive terminal without --yes, before any request', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport, { interactive: false });

    // Act
    const code = await runCli(['abort', 'orders', '--reason', 'x'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('pass --yes');
    expect(world.transport.calls).toEqual([]);
  });

  it('fails over without asking with --yes, still printing the plan', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport, { interactive: false });

    // Act
    const code = await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'r', '--yes'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.prompts).toEqual([]);
    expect(term.out()).toContain('expected data loss: up to 2 s of writes');
  });

  it('prints one JSON document on stdout with --json --yes, the plan on stderr', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'r', '--yes', '--json'], term.io);

    // Assess
    expect(code).toBe(0);
    expect((term.json() as CommandAnswer).failover).toMatchObject({ to: REPLICA, outcome: 'completed' });
    expect(term.err()).toContain('expected data loss');
  });

  it('exits 3 without sending when the failover would lose more than the lag budget, saying how to accept it', async () => {
    // Prepare
    const world = await healthyWorld();
    world.deps.database.region(REPLICA).replicaLagSeconds = 120;
    await probeRound(world.deps, world.group);
    const term = terminal(world.transport, { answers: [true] });

    // Act
    const code = await runCli(['failover', 'orders', '--to', REPLICA, '--reason', 'r'], term.io);

    // Assess
    expect(code).toBe(3);
    expect(term.err()).toContain('expected data loss: up to 120 s of writes');
    expect(term.err()).toContain(`to accept it: fcp failover orders --to ${REPLICA} --allow-data-loss`);
    expect(term.prompts).toEqual([]);
    expect(world.transport.posts()).toEqual([]);
  });

  it('exits 4 when a failover is already running', async () => {
    // Prepare
    const world = await healthyWorld();
    const slow = new InProcessTransport(world.deps, OPERATOR, 5_000);
    const started = await slow.send({
      method: 'POST',
      path: '/groups/orders/commands/failover',
      body: { targetRegion: REPLICA, reason: 'primary degraded' },
      idempotencyKey: 'first-failover-01',
    });
    expect((started.body as CommandAnswer).state).toBe('failingOver.awaitingPromotion');
    const term = terminal(world.transport, { answers: [true] });

    // Act
    const code = await runCli(['failover', 'orders', '--to', 'ap-southeast-2', '--reason', 'r'], term.io);

    // Assess
    expect(code).toBe(4);
    expect(term.err()).toContain('refused as a conflict');
  });
});

describe('fcp commands', () => {
  it('pauses without asking and prints the new state', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'maintenance window'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.prompts).toEqual([]);
    expect(term.out()).toContain('pause accepted: automatic failover paused\nstate: paused');
    expect(world.transport.posts()[0]).toMatchObject({ body: { type: 'pause', reason: 'maintenance window' }, idempotencyKey: expect.stringMatching(/^cli-key-/) });
  });

  it('exits 3 with the reason when the API refuses the command', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['approve', 'orders', '--reason', 'looks right'], term.io);

    // Assess
    expect(code).toBe(3);
    expect(term.err()).toContain('refused (422): nothing awaits approval: the group is monitoring');
  });

  it('acknowledges with ack', async () => {
    // Prepare
    const world = await failedOverWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['ack', 'orders', '--reason', 'verified'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain('state: monitoring');
  });

  it('exits 2 when --reason is missing, sending nothing', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['pause', 'orders'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain("required option '--reason <text>' not specified");
    expect(world.transport.calls).toEqual([]);
  });

  it('exits 2 when the API names a bad field', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['pause', 'orders', '--reason', '  '], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('  - reason: is required and must not be empty');
  });

  it('acts once when the same --idempotency-key is used twice, answering the stored outcome', async () => {
    // Prepare
    const world = await healthyWorld();
    const args = ['pause', 'orders', '--reason', 'maintenance', '--idempotency-key', 'incident-42-pause'];
    await runCli(args, terminal(world.transport).io);
    const term = terminal(world.transport);

    // Act
    const code = await runCli(args, term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain('nothing done again');
    expect(world.deps.commands.calls.enqueue).toBe(1);
    expect((await world.deps.eventLog.list('orders')).filter((event) => event.type === 'PAUSE')).toHaveLength(1);
  });

  it('sends a lost request again with the same idempotency key, acting once', async () => {
    // Prepare
    const world = await healthyWorld();
    let failures = 1;
    const flaky = {
      send: async (call: OperatorCall) => {
        if (call.method === 'POST' && failures > 0) {
          failures -= 1;
          await world.transport.send(call);
          throw new OperatorApiUnreachableError('connection reset after the request was sent');
        }
        return world.transport.send(call);
      },
    };
    const term = terminal(flaky);

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'r'], term.io);

    // Assess
    expect(code).toBe(0);
    const [first, second] = world.transport.posts().map((call) => call.idempotencyKey);
    expect(second).toBe(first);
    expect(world.deps.commands.calls.enqueue).toBe(1);
    expect(term.out()).toContain('nothing done again');
  });

  it('waits for a queued command until the orchestrator takes it', async () => {
    // Prepare
    const world = await healthyWorld();
    await world.deps.stateStore.acquireLease('orders', 'orchestrator', world.clock.now(), 30_000);
    const term = terminal(world.transport, {
      sleep: async () => {
        world.clock.advance(31_000);
        await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
      },
    });

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'r'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.err()).toContain('queued; waiting for the orchestrator');
    expect(term.out()).toContain('pause accepted');
  });
});

describe('fcp commands: a queued command answered later', () => {
  /** The scheduled orchestrator holds the lease; each sleep of the CLI lets it run once the lease expired. */
  async function busyOrchestrator() {
    const world = await healthyWorld();
    await world.deps.stateStore.acquireLease('orders', 'orchestrator', world.clock.now(), 30_000);
    const sleep = async () => {
      world.clock.advance(31_000);
      await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
    };
    return { world, sleep };
  }

  // Regression test (#13 §3): on main the first request for a key was reported as
  // "answer to an earlier request with the same idempotency key" once the queued command was taken.
  it('does not call the answer to the first request with a key a replayed answer', async () => {
    // Prepare
    const { world, sleep } = await busyOrchestrator();
    const term = terminal(world.transport, { sleep });

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'r'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain('pause accepted');
    expect(term.out()).not.toContain('earlier request');
  });

  // Regression test (#13 §3): on main a queued command refused because the group moved on exited 3 (refused).
  it('exits 4 when a queued command meets a conflict by the time the orchestrator takes it', async () => {
    // Prepare
    const { world, sleep } = await busyOrchestrator();
    await world.deps.commands.enqueue({
      id: 'earlier-pause', groupId: 'orders', type: 'pause', principalArn: OPERATOR, reason: 'first', requestedAt: world.clock.now() - 1_000,
    });
    const term = terminal(world.transport, { sleep });

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'second'], term.io);

    // Assess
    expect(code).toBe(4);
    expect(term.err()).toContain('conflict (409): already paused');
  });
});

describe('fcp history: bounds', () => {
  // Regression test (#13 §3): on main --limit 0 was sent and the API silently answered 20 failovers.
  it('refuses --limit 0 naming the option and the range, sending nothing', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const codes = [await runCli(['history', 'orders', '--limit', '0'], term.io), await runCli(['history', '--limit', '201'], term.io)];

    // Assess
    expect(codes).toEqual([2, 2]);
    expect(term.err()).toContain("option '--limit <n>' argument '0' is invalid. must be a whole number from 1 to 200");
    expect(world.transport.calls).toEqual([]);
  });
});

describe('fcp validate', () => {
  it('accepts a valid configuration', async () => {
    // Prepare
    const term = terminal(new InProcessTransport(inMemoryWorld().deps));

    // Act
    const code = await runCli(['validate', 'config/drill.yaml'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toBe('config/drill.yaml is valid: 1 group(s): orders');
  });

  it('warns on stderr about a group whose decision can take longer than interval × threshold + one interval, still valid', async () => {
    // Prepare: the drill's 5 s probes, 3 rounds: the minute's edges leave longer gaps than 5 s.
    const term = terminal(new InProcessTransport(inMemoryWorld().deps));

    // Act
    const code = await runCli(['validate', 'config/drill.yaml'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.err()).toMatch(/^warning: groups\[0\] \(orders\) policy\.probeIntervalSeconds 5, policy\.failureThreshold 3, .* up to 27 s after a failure, more than interval × threshold \+ one interval \(20 s\)/);
  });

  it('prints each problem and exits 2 for an invalid configuration', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'fcp-validate-'));
    const path = join(directory, 'bad.yaml');
    await writeFile(path, 'fleet:\n  observerRegions: [mars-north-1]\n  controlPlaneRegion: us-west-2\ngroups: []\n');
    const term = terminal(new InProcessTransport(inMemoryWorld().deps));

    // Act
    const code = await runCli(['validate', path, '--json'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toBe('');
    expect(term.json()).toEqual({
      valid: false,
      issues: [
        'fleet.observerRegions[0]: is not an AWS region: the AWS SDK\'s partition data has no region of that name (a typo? see docs/configuration.md, "Regions")',
        'groups: needs at least one failover group',
      ],
    });
  });
});

describe('fcp validate: where problems go', () => {
  // Regression test (#13 §3): on main the problems of an invalid file went to stdout, where a pipe takes them for data.
  it('prints the problems of an invalid configuration on stderr, nothing on stdout', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'fcp-validate-'));
    const path = join(directory, 'bad.yaml');
    await writeFile(path, 'fleet:\n  observerRegions: [mars-north-1]\n  controlPlaneRegion: us-west-2\ngroups: []\n');
    const term = terminal(new InProcessTransport(inMemoryWorld().deps));

    // Act
    const code = await runCli(['validate', path], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.out()).toBe('');
    expect(term.err()).toContain('groups: needs at least one failover group');
  });
});

describe('fcp commands and fcp cancel', () => {
  it('lists the pending commands of a group, then cancels one, recorded with the caller and reason', async () => {
    // Prepare: a pause queued while the scheduled orchestrator holds the group
    const world = await healthyWorld();
    await world.deps.stateStore.acquireLease('orders', 'orchestrator', world.clock.now(), 30_000);
    await runCli(['pause', 'orders', '--reason', 'maintenance', '--idempotency-key', 'pause-key-0001', '--wait', '0'], terminal(world.transport).io);
    const listing = terminal(world.transport);
    const cancelling = terminal(world.transport);

    // Act
    const listed = await runCli(['commands', 'orders'], listing.io);
    const cancelled = await runCli(['cancel', 'pause-key-0001', '--group', 'orders', '--reason', 'postponed'], cancelling.io);
    world.clock.advance(31_000);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });

    // Assess
    expect(listed).toBe(0);
    expect(listing.out().split('\n')[0]).toBe('orders: 1 pending command(s), oldest first');
    expect(listing.out()).toMatch(/pause-key-0001\s+pause\s+\S+ \S+\s+arn:aws:iam::123456789012:user\/alice\s+maintenance/);
    expect(listing.out()).toContain('fcp cancel <id> --group orders --reason');
    expect(cancelled).toBe(0);
    expect(cancelling.out()).toContain('cancel queued');
    expect(world.transport.posts().at(-1)).toMatchObject({ path: '/groups/orders/commands/cancel', body: { reason: 'postponed', targetCommandId: 'pause-key-0001' } });
    expect(await world.deps.commands.get('orders', 'pause-key-0001')).toMatchObject({ status: 'refused', outcome: `cancelled by ${OPERATOR}: postponed` });
    const [event] = (await world.deps.eventLog.list('orders')).filter((logged) => logged.type === 'COMMAND_CANCELLED');
    expect(event).toMatchObject({ actor: OPERATOR, detail: { commandId: 'pause-key-0001', reason: 'postponed' } });
  });

  it('says so when nothing is pending', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['commands', 'orders'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toBe('orders: no pending commands');
  });

  it('exits 2 naming the reason when it is over 1 KB, and nothing is queued', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['pause', 'orders', '--reason', 'x'.repeat(150_000)], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toMatch(/^bad-request \(400\): the command is malformed; nothing changed\n {2}- reason: must be at most 1024 bytes/);
    expect(await world.deps.commands.pending('orders')).toEqual([]);
  });
});

describe('fcp usage', () => {
  it('documents the exit codes in --help', async () => {
    // Prepare
    const term = terminal(new InProcessTransport(inMemoryWorld().deps));

    // Act
    const code = await runCli(['--help'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain('3  refused (422)');
    expect(term.out()).toContain('4  conflict (409)');
  });

  it('exits 2 when no endpoint is configured', async () => {
    // Prepare
    const term = terminal(new InProcessTransport(inMemoryWorld().deps), { env: {} });

    // Act
    const code = await runCli(['status'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('pass --endpoint');
  });
});

describe('fcp --local', () => {
  it('talks to the local drill server whether --local comes before or after the command', async () => {
    // Prepare
    const world = await healthyWorld();
    const cwd = await mkdtemp(join(tmpdir(), 'fcp-local-'));
    await mkdir(join(cwd, '.fcp'));
    await writeFile(join(cwd, '.fcp', 'local.json'), JSON.stringify({ url: 'http://127.0.0.1:4599' }));
    const connections: unknown[] = [];
    const term = terminal(world.transport, {
      cwd,
      connect: (connection) => {
        connections.push(connection);
        return world.transport;
      },
    });

    // Act
    const before = await runCli(['--local', 'status', 'orders'], term.io);
    const after = await runCli(['status', 'orders', '--local'], term.io);

    // Assess
    expect([before, after]).toEqual([0, 0]);
    expect(connections).toEqual([
      { kind: 'local', endpoint: 'http://127.0.0.1:4599' },
      { kind: 'local', endpoint: 'http://127.0.0.1:4599' },
    ]);
  });
});

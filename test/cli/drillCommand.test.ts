import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import type { ControlPlaneConfig } from '../../src/config/schema.js';
import { connect } from '../../src/cli/connection.js';
import { serveOperatorApiLocally } from '../../src/cli/localServer.js';
import { runCli } from '../../src/cli/program.js';
import { drillConfig, inMemoryWorld, PRIMARY, REPLICA } from '../application/harness.js';
import { terminal } from './support.js';

// fcp drill (commander, in process) → HTTP on 127.0.0.1 → serveOperatorApiLocally → handleOperatorRequest →
// stagingDrills.ts over the in-memory stores; the probe rounds and the orchestrator run while fcp sleeps.

const LEAD = 'arn:aws:sts::123456789012:assumed-role/drill-runner/lead (source identity lead@example.com)';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

type World = ReturnType<typeof inMemoryWorld>;

/** One probe round per observer (reading the drill's faults), then one orchestrator run, a probe interval later. */
async function operate(world: World): Promise<void> {
  world.clock.advance(world.group.policy.probeIntervalSeconds * 1000);
  for (const observerRegion of world.deps.config.fleet.observerRegions) {
    await runProbeRound({ ...world.deps, faults: world.deps.drills.faults }, { observerRegion });
  }
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
}

/** The operator API of `world` on 127.0.0.1 as the drill's signer, and a terminal whose `fcp --local` reaches it. */
async function drillServer(config?: ControlPlaneConfig, options: { onSleep?: (world: World, sleeps: number) => Promise<void> } = {}) {
  const world = inMemoryWorld(config);
  for (let round = 0; round < 3; round += 1) await operate(world);
  const cwd = await mkdtemp(join(tmpdir(), 'fcp-drill-'));
  const server = await serveOperatorApiLocally(world.deps, { port: 0, principalArn: LEAD, cwd });
  cleanups.push(async () => {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });
  const interrupt = new AbortController();
  let sleeps = 0;
  const term = terminal(undefined, {
    cwd,
    connect,
    signal: interrupt.signal,
    sleep: async () => {
      sleeps += 1;
      if (sleeps > 50) throw new Error('the drill never ended');
      await (options.onSleep ?? ((w) => operate(w)))(world, sleeps);
    },
  });
  return { world, term, interrupt };
}

describe('fcp drill, through the operator API on 127.0.0.1', () => {
  it('starts the drill as the signer, follows the failover live, stops it and prints the report (exit 0)', async () => {
    // Prepare
    const { world, term } = await drillServer();

    // Act
    const code = await runCli(['drill', 'orders', '--local', '--reason', 'quarterly DR drill', '--idempotency-key', 'drill-cli-0001'], term.io);

    // Assess
    expect(term.err()).toBe('');
    expect(code).toBe(0);
    expect(term.out()).toMatch(/^drill drill-cli-0001: primary-region-outage on orders, started by arn:aws:sts::123456789012:assumed-role\/drill-runner\/lead \(source identity lead@example.com\): eu-west-1 fails/);
    expect(term.out()).toMatch(/drill fault injected: primary-region-outage/);
    expect(term.out()).toContain(`${PRIMARY} → ${REPLICA}`);
    expect(await world.deps.drills.drills.get('orders', 'drill-cli-0001')).toMatchObject({ outcome: 'completed', principalArn: LEAD, stoppedBy: LEAD, reason: 'quarterly DR drill' });
    expect(await world.deps.drills.faults.active('orders', world.clock.now())).toEqual([]);
  });

  it('prints the stored drill with its report as JSON, progress on stderr', async () => {
    // Prepare
    const { term } = await drillServer();

    // Act
    const code = await runCli(['--local', 'drill', 'orders', '--reason', 'drill', '--json'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.json()).toMatchObject({ groupId: 'orders', outcome: 'completed', principalArn: LEAD, report: { from: PRIMARY, to: REPLICA, pass: true } });
    expect(term.err()).toMatch(/^drill cli-key-\d+: primary-region-outage on orders/);
  });

  it('stops the drill on Ctrl-C: the fault is cleared at once and the drill says no failover happened (exit 1)', async () => {
    // Prepare
    const { world, term, interrupt } = await drillServer(undefined, { onSleep: async () => interrupt.abort() });

    // Act
    const code = await runCli(['drill', 'orders', '--local', '--reason', 'drill'], term.io);

    // Assess
    expect(code).toBe(1);
    expect(term.out()).toMatch(/no failover happened \(no-failover\); the fault is cleared$/);
    expect(world.deps.drills.faults.calls.clear).toBe(1);
    expect((await world.deps.drills.drills.list('orders')).map((drill) => drill.outcome)).toEqual(['no-failover']);
  });

  it('is refused (exit 3) on a production group, with the reason from the API, and injects nothing', async () => {
    // Prepare
    const { world, term } = await drillServer(drillConfig((config) => (config.groups[0]!.environment = 'production')));

    // Act
    const code = await runCli(['drill', 'orders', '--local', '--reason', 'drill'], term.io);

    // Assess
    expect(code).toBe(3);
    expect(term.err()).toMatch(/group orders is a production group: a drill there fails over real traffic/);
    expect(world.deps.drills.faults.calls.put).toBe(0);
  });

  it('takes no self-declared identity: --as is not an option any more (exit 2), and nothing is sent', async () => {
    // Prepare
    const { world, term } = await drillServer();

    // Act
    const code = await runCli(['drill', 'orders', '--local', '--reason', 'drill', '--as', 'arn:aws:iam::123456789012:user/mallory'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toMatch(/unknown option '--as'/);
    expect(world.deps.drills.drills.calls.save).toBe(0);
  });
});

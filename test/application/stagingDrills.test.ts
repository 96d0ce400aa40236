import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { handleOperatorRequest, type OperatorDeps } from '../../src/application/operatorApi.js';
import { operatorPaths } from '../../src/application/operatorRoutes.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import type { DrillProgress } from '../../src/application/stagingDrills.js';
import type { ControlPlaneConfig } from '../../src/config/schema.js';
import { drillConfig, inMemoryWorld, PRIMARY, REPLICA } from './harness.js';

const LEAD = 'arn:aws:sts::123456789012:assumed-role/drill-runner/lead (source identity lead@example.com)';
const OTHER = 'arn:aws:iam::123456789012:user/bob';
const START = { scenario: 'primary-region-outage', durationSeconds: 600, reason: 'quarterly DR drill' };

type World = ReturnType<typeof inMemoryWorld>;

let keys = 0;
function newKey(): string {
  keys += 1;
  return `drill-key-${String(keys).padStart(6, '0')}`;
}

function request(world: World, method: 'GET' | 'POST', path: string, options: { body?: unknown; key?: string; principal?: string; deps?: OperatorDeps } = {}) {
  return handleOperatorRequest(
    options.deps ?? world.deps,
    { principalArn: options.principal ?? LEAD, method, path, body: options.body, ...(options.key === undefined ? {} : { idempotencyKey: options.key }) },
    { deadline: world.clock.now() + 60_000 },
  );
}

const start = (world: World, body: unknown = START, key = newKey()) => request(world, 'POST', operatorPaths.drills('orders'), { body, key });

function issuesOf(response: { body: unknown }): string[] {
  return (response.body as { error: { issues?: string[] } }).error.issues ?? [];
}

function messageOf(response: { body: unknown }): string {
  return (response.body as { error: { message: string } }).error.message;
}

/** Probe rounds from every observer (reading the drill's faults), then one executor run, `rounds` times, one probe interval apart. */
async function operate(world: World, rounds: number): Promise<string> {
  const { deps, group, clock } = world;
  let state = 'monitoring';
  for (let round = 0; round < rounds && state !== 'failedOver'; round += 1) {
    clock.advance(group.policy.probeIntervalSeconds * 1000);
    for (const observerRegion of deps.config.fleet.observerRegions) {
      await runProbeRound({ ...deps, faults: deps.drills.faults }, { observerRegion });
    }
    state = (await reconcileGroup(deps, group, { owner: `executor-${round}`, deadline: clock.now() + 60_000 })).state;
  }
  return state;
}

async function monitoringWorld(config?: ControlPlaneConfig): Promise<World> {
  const world = inMemoryWorld(config);
  await operate(world, 3);
  return world;
}

const production = (mode: 'automatic' | 'approval') =>
  drillConfig((config) => {
    config.groups[0]!.environment = 'production';
    config.groups[0]!.mode = mode;
  });

describe('staging drills through the operator API: starting', () => {
  it('refuses a production group without allowProduction (422), saying why, and injects nothing', async () => {
    // Prepare
    const world = await monitoringWorld(production('approval'));

    // Act
    const response = await start(world);

    // Assess
    expect(response.status).toBe(422);
    expect(messageOf(response)).toMatch(/^group orders is a production group: a drill there fails over real traffic\. Pass allowProduction/);
    expect(world.deps.drills.faults.calls.put).toBe(0);
    expect(world.deps.drills.drills.calls.save).toBe(0);
  });

  it('refuses a production group in automatic mode even with allowProduction', async () => {
    // Prepare
    const world = await monitoringWorld(production('automatic'));

    // Act
    const response = await start(world, { ...START, allowProduction: true });

    // Assess
    expect(response.status).toBe(422);
    expect(messageOf(response)).toMatch(/automatic mode: a production drill needs approval mode/);
    expect(world.deps.drills.faults.calls.put).toBe(0);
  });

  it('drills a production group in approval mode with allowProduction: the fault on the primary names the signer', async () => {
    // Prepare
    const world = await monitoringWorld(production('approval'));
    const key = newKey();

    // Act
    const response = await start(world, { ...START, allowProduction: true }, key);

    // Assess
    const progress = response.body as DrillProgress;
    expect(response.status).toBe(201);
    expect(progress.drill).toMatchObject({ id: key, groupId: 'orders', region: PRIMARY, principalArn: LEAD, reason: 'quarterly DR drill', outcome: 'running' });
    expect(progress.ended).toBe(false);
    expect(await world.deps.drills.faults.active('orders', world.clock.now())).toEqual([
      { groupId: 'orders', region: PRIMARY, scenario: 'primary-region-outage', principalArn: LEAD, createdAt: progress.drill.startedAt, expiresAt: progress.drill.startedAt + 600_000 },
    ]);
  });

  it.each([
    [{ ...START, scenario: 'dns-throttled' }, [/^scenario: "dns-throttled" cannot run against AWS; staging drills play primary-region-outage/]],
    [{ ...START, durationSeconds: 10 }, [/^durationSeconds: 10 must be over 15 s \(failureThreshold × probeIntervalSeconds of orders/]],
    [{ ...START, durationSeconds: 7_200 }, [/^durationSeconds: 7200 must be over 15 s .* and at most 3600 s$/]],
    [{ ...START, durationSeconds: '600' }, [/^durationSeconds: must be a whole number of seconds \(got "600"\)$/]],
    [{ scenario: 'primary-region-outage' }, [/^reason: is required/]],
    [{ ...START, as: OTHER }, [/^as: must not be in the body: the caller is the IAM identity that signed the request/]],
    [{ ...START, region: REPLICA }, [/^region: not a drill option \(scenario, durationSeconds, allowProduction, reason\)/]],
    ['drill', [/^body: must be a JSON object/]],
  ])('refuses the start %j with 400 naming the field, and changes nothing', async (body, issues) => {
    // Prepare
    const world = await monitoringWorld();

    // Act
    const response = await start(world, body);

    // Assess
    expect(response.status).toBe(400);
    expect(issuesOf(response)).toHaveLength(issues.length);
    issues.forEach((issue, index) => expect(issuesOf(response)[index]).toMatch(issue));
    expect(world.deps.drills.faults.calls.put).toBe(0);
    expect(world.deps.drills.drills.calls.save).toBe(0);
  });

  it('needs an Idempotency-Key, so that a retried start injects nothing twice', async () => {
    // Prepare
    const world = await monitoringWorld();
    const key = newKey();

    // Act
    const missing = await request(world, 'POST', operatorPaths.drills('orders'), { body: START });
    const first = await start(world, START, key);
    const again = await start(world, START, key);
    const reused = await request(world, 'POST', operatorPaths.drills('orders'), { body: START, key, principal: OTHER });

    // Assess
    expect(missing.status).toBe(400);
    expect(issuesOf(missing)[0]).toMatch(/^Idempotency-Key: header is required/);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect((again.body as { replayed: boolean }).replayed).toBe(true);
    expect(reused.status).toBe(422);
    expect(messageOf(reused)).toMatch(/already used for another drill/);
    expect(world.deps.drills.faults.calls.put).toBe(1);
  });

  it('refuses as a conflict (409) a second drill while one runs, and a drill of a group that is not monitoring', async () => {
    // Prepare
    const world = await monitoringWorld();
    await start(world);
    await operate(world, 30);

    // Act
    const second = await start(world);

    // Assess
    expect(second.status).toBe(409);
    expect(messageOf(second)).toMatch(/^group orders is failedOver, not monitoring/);
    expect(world.deps.drills.faults.calls.put).toBe(1);
  });

  it('refuses as a conflict (409) a second drill on a monitoring group whose first fault is still injected', async () => {
    // Prepare
    const world = await monitoringWorld();
    await start(world);

    // Act
    const second = await start(world);

    // Assess
    expect(second.status).toBe(409);
    expect(messageOf(second)).toMatch(/^group orders already has a drill fault on eu-west-1 \(primary-region-outage by arn:aws:sts::123456789012:assumed-role\/drill-runner\/lead/);
  });
});

describe('staging drills through the operator API: following and stopping', () => {
  it('follows the failover the fault caused, and a stop clears the fault and records the outcome and who stopped it', async () => {
    // Prepare
    const world = await monitoringWorld();
    const id = newKey();
    await start(world, START, id);
    const state = await operate(world, 30);

    // Act
    const progress = (await request(world, 'GET', operatorPaths.drill('orders', id))).body as DrillProgress;
    const stop = await request(world, 'POST', operatorPaths.stopDrill('orders', id), { principal: OTHER });
    const again = await request(world, 'POST', operatorPaths.stopDrill('orders', id));

    // Assess
    expect(state).toBe('failedOver');
    expect(progress).toMatchObject({ ended: true, state: 'failedOver', failover: { from: PRIMARY, to: REPLICA, outcome: 'completed' } });
    expect(progress.events.some((event) => event.message.includes('drill fault injected: primary-region-outage'))).toBe(true);
    expect(progress.events.map((event) => event.seq)).toEqual([...progress.events.map((event) => event.seq)].sort((a, b) => a - b));
    expect(stop.status).toBe(200);
    expect((stop.body as DrillProgress).drill).toMatchObject({ outcome: 'completed', stoppedBy: OTHER, principalArn: LEAD, failoverId: progress.failover!.id });
    expect(again.body).toEqual(stop.body);
    expect(world.deps.drills.faults.calls.clear).toBe(1);
    expect(await world.deps.drills.faults.active('orders', world.clock.now())).toEqual([]);
  });

  it('ends at the time box with no failover when nothing acts on the fault, and a stop records that', async () => {
    // Prepare
    const world = await monitoringWorld();
    const id = newKey();
    await start(world, { ...START, durationSeconds: 60 }, id);
    const running = (await request(world, 'GET', operatorPaths.drill('orders', id))).body as DrillProgress;
    world.clock.advance(60_000);

    // Act
    const ended = (await request(world, 'GET', operatorPaths.drill('orders', id))).body as DrillProgress;
    const stopped = (await request(world, 'POST', operatorPaths.stopDrill('orders', id))).body as DrillProgress;

    // Assess
    expect(running.ended).toBe(false);
    expect(ended).toMatchObject({ ended: true, boxEndsAt: running.drill.startedAt + 60_000 });
    expect(ended.failover).toBeUndefined();
    expect(stopped.drill).toMatchObject({ outcome: 'no-failover', finishedAt: world.clock.now() });
  });

  it('answers 404 for a drill the group does not have, 405 for the wrong method, and 501 where drills are not served', async () => {
    // Prepare
    const world = await monitoringWorld();
    const { drills: _drills, ...withoutDrills } = world.deps;

    // Act
    const unknown = await request(world, 'GET', operatorPaths.drill('orders', 'no-such-drill'));
    const stopUnknown = await request(world, 'POST', operatorPaths.stopDrill('orders', 'no-such-drill'));
    const wrongMethod = await request(world, 'GET', operatorPaths.drills('orders'));
    const local = await request(world, 'POST', operatorPaths.drills('orders'), { body: START, key: newKey(), deps: withoutDrills });

    // Assess
    expect([unknown.status, stopUnknown.status, wrongMethod.status, local.status]).toEqual([404, 404, 405, 501]);
    expect(messageOf(unknown)).toBe('group orders has no drill no-such-drill');
    expect(messageOf(local)).toMatch(/staging drills are not served here/);
  });
});

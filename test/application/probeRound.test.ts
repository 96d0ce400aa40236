import { describe, expect, it } from 'vitest';
import { newHeartbeatMemory, runProbeRound, runProbeRounds, toDatabaseObservation } from '../../src/application/probeRound.js';
import type { ProbeDeps } from '../../src/application/probeRound.js';
import { ControlPlaneConfigSchema } from '../../src/config/schema.js';
import type { ControlPlaneConfig, GroupConfig, HealthEndpoint } from '../../src/config/schema.js';
import type { EpochMs, HttpProbeResult, ObserverReport, RegionName } from '../../src/domain/types.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { Database, DatabaseState, DescribeOptions } from '../../src/ports/Database.js';
import type { Prober } from '../../src/ports/Prober.js';
import { InMemoryDatabaseProbe } from '../doubles/InMemoryDatabaseProbe.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';

const OBSERVER = 'us-east-1';
const START = 1_000_000;

function groupInput(id: string, probeIntervalSeconds: number) {
  const region = (name: string, priority: number, primary = false) => ({
    ...(primary ? { initialPrimary: true } : {}),
    failoverPriority: priority,
    database: { kind: 'rds-instance', instanceId: `${id}-${name}`, instanceArn: `arn:aws:rds:${name}:123456789012:db:${id}-${name}` },
    healthEndpoints: [{ url: `http://127.0.0.1/${id}/${name}/health`, timeoutMs: 1_000 }],
    dnsTarget: { type: 'CNAME', value: `${id}.${name}.example.com` },
  });
  return {
    id,
    environment: 'staging',
    mode: 'automatic',
    regions: { 'eu-west-1': region('eu-west-1', 100, true), 'us-east-1': region('us-east-1', 90), 'ap-southeast-2': region('ap-southeast-2', 80) },
    dns: { hostedZoneId: 'Z0123456789ABC', recordName: `${id}.example.com`, type: 'CNAME' },
    notifications: { topicArn: `arn:aws:sns:us-west-2:123456789012:${id}` },
    policy: { probeIntervalSeconds, failureThreshold: 3, recoveryThreshold: 3, observerQuorum: 2 },
  };
}

function configWith(...groups: ReturnType<typeof groupInput>[]): ControlPlaneConfig {
  return ControlPlaneConfigSchema.parse({
    fleet: { observerRegions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], controlPlaneRegion: 'us-west-2' },
    groups,
  });
}

/** A clock whose sleep moves time forward at once, so a minute of rounds runs in microseconds. */
class SteppingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private current: EpochMs) {}
  now(): EpochMs {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}

/**
 * Answers every endpoint as passing in 5 ms (or the next of its scripted latencies) unless its URL is listed as failing,
 * which takes its timeout; counts calls and the most probes in flight.
 */
class ScriptedProber implements Prober {
  readonly failing = new Map<string, string>();
  readonly latenciesMs = new Map<string, number[]>();
  readonly probedUrls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Yield to the event loop so that concurrent callers overlap, as real network probes do.
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight -= 1;
    return endpoints.map((endpoint) => {
      this.probedUrls.push(endpoint.url);
      const error = this.failing.get(endpoint.url);
      return error === undefined
        ? { url: endpoint.url, ok: true, status: 200, latencyMs: this.latenciesMs.get(endpoint.url)?.shift() ?? 5 }
        : { url: endpoint.url, ok: false, latencyMs: endpoint.timeoutMs, error };
    });
  }
}

/** eu-west-1 is the primary, the others replicas; a region can be given another state or an error to throw. */
class ScriptedDatabase implements Database {
  readonly states = new Map<RegionName, Partial<DatabaseState> | Error>();
  describeCalls = 0;
  /** How long a describe takes, in real time (0: answers at once). */
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;

  /** How each describe was told to get the replica lag, as `region:read` or `region:remembered`. */
  readonly lagAsked: string[] = [];

  async describe(_group: GroupConfig, region: RegionName, options?: DescribeOptions): Promise<DatabaseState> {
    this.describeCalls += 1;
    this.lagAsked.push(`${region}:${options?.lag ?? 'read'}`);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.inFlight -= 1;
    const scripted = this.states.get(region);
    if (scripted instanceof Error) throw scripted;
    const primary = region === 'eu-west-1';
    return {
      region,
      role: primary ? 'primary' : 'replica',
      status: 'available',
      writable: primary,
      ...(primary ? {} : { replicaLagSeconds: 2, sourceRegion: 'eu-west-1' }),
      ...scripted,
    };
  }

  async fence(): Promise<never> {
    throw new Error('a probe never fences');
  }

  async promote(): Promise<never> {
    throw new Error('a probe never promotes');
  }
}

function setUp(config = configWith(groupInput('orders', 5))) {
  const deps = {
    config,
    prober: new ScriptedProber(),
    database: new ScriptedDatabase(),
    observations: new InMemoryObservationStore(),
    faults: new InMemoryFaultStore(),
    clock: new SteppingClock(START),
  } satisfies ProbeDeps;
  return deps;
}

describe('runProbeRound', () => {
  it('probes every region of every group and saves one report per region for this observer', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions).toHaveLength(6);
    expect(round.regions.every((region) => region.ok)).toBe(true);
    expect(round.errors).toEqual([]);
    expect(deps.prober.probedUrls).toHaveLength(6);
    expect(deps.database.describeCalls).toBe(6);
    const saved = await deps.observations.listForGroup('orders', []);
    expect(saved.map((report) => [report.region, report.observerRegion, report.consecutiveSuccesses])).toEqual([
      ['ap-southeast-2', OBSERVER, 1],
      ['eu-west-1', OBSERVER, 1],
      ['us-east-1', OBSERVER, 1],
    ]);
    expect(saved.find((report) => report.region === 'us-east-1')?.last.database).toEqual({
      ok: true,
      evidence: 'ok',
      role: 'replica',
      status: 'available',
      replicaLagSeconds: 2,
      replicaLagMeasuredAt: START,
      sourceRegion: 'eu-west-1',
    });
  });

  it('probes the regions of all groups concurrently', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));

    // Act
    await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(deps.prober.maxInFlight).toBe(6);
  });

  it('bounds how many regions have their database described at once, but starts every HTTP probe with the round', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));
    deps.database.delayMs = 5;

    // Act
    await runProbeRound(deps, { observerRegion: OBSERVER, concurrency: 2 });

    // Assess
    expect(deps.database.maxInFlight).toBe(2);
    expect(deps.database.describeCalls).toBe(6);
    expect(deps.prober.maxInFlight).toBe(6);
    expect(deps.prober.probedUrls).toHaveLength(6);
  });

  it('builds the failure streak from the stored previous report', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.failing.set('http://127.0.0.1/orders/eu-west-1/health', 'connection refused');

    // Act
    for (let round = 0; round < 3; round += 1) {
      await runProbeRound(deps, { observerRegion: OBSERVER });
      await deps.clock.sleep(5_000);
    }

    // Assess
    const report = await deps.observations.get('orders', 'eu-west-1', OBSERVER);
    expect(report?.consecutiveFailures).toBe(3);
    expect(report?.failureReasons).toEqual(['http://127.0.0.1/orders/eu-west-1/health: connection refused']);
    expect(report?.observedAt).toBe(START + 10_000);
    expect((await deps.observations.get('orders', 'us-east-1', OBSERVER))?.consecutiveSuccesses).toBe(3);
  });

  it('turns a database describe error into an unknown observation, neither failed nor passed, without ending the round', async () => {
    // Prepare
    const deps = setUp();
    deps.database.states.set('eu-west-1', new Error('Rate exceeded'));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.map((region) => [region.region, region.ok, region.unknownReasons])).toEqual([
      ['eu-west-1', true, ['database unknown is api-error: describe failed: Rate exceeded']],
      ['us-east-1', true, undefined],
      ['ap-southeast-2', true, undefined],
    ]);
    const report = await deps.observations.get('orders', 'eu-west-1', OBSERVER);
    expect(report?.last.database).toEqual({
      ok: false,
      evidence: 'unknown',
      role: 'unknown',
      status: 'api-error',
      error: 'describe failed: Rate exceeded',
    });
    expect(report?.failureReasons).toEqual([]);
    expect(report?.consecutiveSuccesses).toBe(0);
  });

  it('fails a region whose database reports a terminal status although its HTTP endpoint passes', async () => {
    // Prepare
    const deps = setUp();
    deps.database.states.set('eu-west-1', { status: 'inaccessible-encryption-credentials', writable: false });

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.find((region) => region.region === 'eu-west-1')).toEqual({
      groupId: 'orders',
      region: 'eu-west-1',
      ok: false,
      failureReasons: [
        'database primary is inaccessible-encryption-credentials: status inaccessible-encryption-credentials (terminal)',
      ],
      httpLatencyMs: 5,
    });
  });

  it('does not fail a region whose healthy primary is in storage-optimization', async () => {
    // Prepare
    const deps = setUp();
    deps.database.states.set('eu-west-1', { status: 'storage-optimization', writable: false });

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.find((region) => region.region === 'eu-west-1')).toEqual({
      groupId: 'orders',
      region: 'eu-west-1',
      ok: true,
      failureReasons: [],
      httpLatencyMs: 5,
    });
  });

  it('fails a region whose database connection check fails, and checks only the regions that configure one', async () => {
    // Prepare
    const input = groupInput('orders', 5);
    const check = { host: 'orders-eu.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' } };
    (input.regions['eu-west-1'].database as Record<string, unknown>).connectionCheck = check;
    const deps = { ...setUp(configWith(input)), databaseProbe: new InMemoryDatabaseProbe(new SteppingClock(START)) };
    deps.databaseProbe.failing.set('eu-west-1', 'connection refused');

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.find((region) => region.region === 'eu-west-1')?.failureReasons).toEqual([
      'database connection check failed: connection refused',
    ]);
    expect(deps.databaseProbe.checked).toEqual(['orders/eu-west-1']);
    const report = await deps.observations.get('orders', 'eu-west-1', OBSERVER);
    expect(report?.last.connectionCheck).toEqual({ ok: false, latencyMs: 0, checkedAt: START, error: 'connection refused' });
  });

  it("prefers the connection check's live replica lag to an older metric datapoint", async () => {
    // Prepare
    const input = groupInput('orders', 5);
    const check = { host: 'orders-us.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' } };
    (input.regions['us-east-1'].database as Record<string, unknown>).connectionCheck = check;
    const deps = { ...setUp(configWith(input)), databaseProbe: new InMemoryDatabaseProbe(new SteppingClock(START)) };
    deps.database.states.set('us-east-1', { replicaLagSeconds: 2, replicaLagMeasuredAt: START - 90_000 });
    deps.databaseProbe.lagSeconds.set('us-east-1', 0.4);

    // Act
    await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    const report = await deps.observations.get('orders', 'us-east-1', OBSERVER);
    expect(report?.last.database).toMatchObject({ replicaLagSeconds: 0.4, replicaLagMeasuredAt: START });
  });

  it('says so, and probes without it, when a region configures a connection check but no database probe is wired', async () => {
    // Prepare
    const input = groupInput('orders', 5);
    const check = { host: 'orders-eu.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' } };
    (input.regions['eu-west-1'].database as Record<string, unknown>).connectionCheck = check;
    const deps = setUp(configWith(input));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.errors).toEqual(['orders/eu-west-1: database.connectionCheck is configured but no database probe is wired; checked without it']);
    expect(round.regions.every((region) => region.ok)).toBe(true);
  });

  it('fails a region with an active injected fault and names the scenario', async () => {
    // Prepare
    const deps = setUp();
    const fault = { groupId: 'orders', principalArn: 'arn:aws:iam::123456789012:user/drill', createdAt: START - 1 };
    await deps.faults.put({ ...fault, region: 'eu-west-1', scenario: 'primary-region-outage', expiresAt: START + 60_000 });
    await deps.faults.put({ ...fault, region: 'us-east-1', scenario: 'expired', expiresAt: START });

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.map((region) => [region.region, region.ok])).toEqual([
      ['eu-west-1', false],
      ['us-east-1', true],
      ['ap-southeast-2', true],
    ]);
    const report = await deps.observations.get('orders', 'eu-west-1', OBSERVER);
    expect(report?.last.injectedFault).toBe('primary-region-outage');
    expect(report?.last.http.every((probe) => probe.ok)).toBe(true);
  });

  it('records the reports of a group that could not be saved and still saves the other groups', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));
    deps.observations.failNext('putReports', new Error('ProvisionedThroughputExceeded'));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.errors).toHaveLength(1);
    expect(round.errors[0]).toMatch(/^(orders|billing): could not save the reports: ProvisionedThroughputExceeded$/);
    const failedGroup = round.errors[0]!.split(':')[0]!;
    expect(round.regions.filter((region) => region.storeError !== undefined).map((region) => region.groupId)).toEqual([failedGroup, failedGroup, failedGroup]);
    expect(await deps.observations.listForGroup(failedGroup, [])).toHaveLength(0);
    expect(await deps.observations.listForGroup(failedGroup === 'orders' ? 'billing' : 'orders', [])).toHaveLength(3);
  });

  it('does not overwrite the streaks when the previous reports cannot be read', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.failing.set('http://127.0.0.1/orders/eu-west-1/health', 'timeout');
    await runProbeRound(deps, { observerRegion: OBSERVER });
    await runProbeRound(deps, { observerRegion: OBSERVER });
    deps.observations.failNext('getReports', new Error('network'));
    const writesBefore = deps.observations.calls.putReports;

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(deps.observations.calls.putReports).toBe(writesBefore);
    expect(round.errors).toEqual(['orders: could not read the previous reports: network']);
    expect(round.regions.every((region) => region.storeError === 'could not read the previous reports: network')).toBe(true);
    expect((await deps.observations.get('orders', 'eu-west-1', OBSERVER))?.consecutiveFailures).toBe(2);
  });

  it('reads replica lag in every round while the group is in doubt, and in steady state only in this observer\'s turn', async () => {
    // Prepare: a first round (no earlier view: in doubt), then ten minutes of clean rounds, then the primary fails.
    const deps = setUp();
    const written = new Map<string, ObserverReport>();
    await runProbeRound(deps, { observerRegion: OBSERVER, written });
    const firstRound = deps.database.lagAsked.splice(0);

    // Act
    for (let round = 0; round < 60; round += 1) {
      await deps.clock.sleep(10_000);
      await runProbeRound(deps, { observerRegion: OBSERVER, written });
    }
    const steady = deps.database.lagAsked.splice(0);
    deps.prober.failing.set('http://127.0.0.1/orders/eu-west-1/health', 'timeout');
    await deps.clock.sleep(10_000);
    await runProbeRound(deps, { observerRegion: OBSERVER, written });
    await deps.clock.sleep(10_000);
    await runProbeRound(deps, { observerRegion: OBSERVER, written });
    const inDoubt = deps.database.lagAsked.splice(0).slice(3);

    // Assess: in steady state, this observer's turn comes once in 15 minutes per replica, so at most one minute (six
    // rounds) of ten asks for each; the adapter asks CloudWatch once of those.
    expect(firstRound.every((asked) => asked.endsWith(':read'))).toBe(true);
    for (const region of ['us-east-1', 'ap-southeast-2']) {
      expect(steady.filter((asked) => asked === `${region}:read`).length).toBeLessThanOrEqual(6);
    }
    expect(steady.filter((asked) => asked.endsWith(':remembered')).length).toBeGreaterThanOrEqual(180 - 12);
    expect(inDoubt.every((asked) => asked.endsWith(':read'))).toBe(true);
  });

  it('saves each group\'s reports of a round with one write', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));

    // Act
    await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess: two groups of three regions, two writes and two reads (nothing was carried over from an earlier round).
    expect(deps.observations.calls.putReports).toBe(2);
    expect(deps.observations.calls.getReports).toBe(2);
    expect(await deps.observations.listForGroup('orders', [])).toHaveLength(3);
    expect(await deps.observations.listForGroup('billing', [])).toHaveLength(3);
  });

  it('probes without faults when the fault store cannot be read, and says so', async () => {
    // Prepare
    const deps = setUp();
    deps.faults.failNext('activeFor', new Error('AccessDenied'));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.every((region) => region.ok)).toBe(true);
    expect(round.errors).toEqual(['orders: could not read injected faults, probing without them: AccessDenied']);
  });

  it("reads the faults of all the round's groups once and fails only the region each fault names", async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5), groupInput('ledger', 5)));
    const fault = { principalArn: 'arn:aws:iam::123456789012:user/drill', createdAt: START - 1, expiresAt: START + 60_000 };
    await deps.faults.put({ ...fault, groupId: 'billing', region: 'us-east-1', scenario: 'http-down' });
    await deps.faults.put({ ...fault, groupId: 'other', region: 'eu-west-1', scenario: 'primary-region-outage' });

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(deps.faults.calls.activeFor).toBe(1);
    expect(deps.faults.calls.active).toBe(0);
    expect(round.regions.filter((region) => !region.ok).map((region) => `${region.groupId}/${region.region}`)).toEqual(['billing/us-east-1']);
    expect((await deps.observations.get('billing', 'us-east-1', OBSERVER))?.last.injectedFault).toBe('http-down');
  });

  it('says once per round, not once per group, that the faults could not be read', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 5)));
    deps.faults.failNext('activeFor', new Error('ThrottlingException'));

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions).toHaveLength(6);
    expect(round.regions.every((region) => region.ok)).toBe(true);
    expect(round.errors).toEqual(['2 groups: could not read injected faults, probing without them: ThrottlingException']);
  });

  it("reports each region's slowest HTTP probe of the round, a timeout counting the time it waited", async () => {
    // Prepare
    const deps = setUp();
    deps.prober.latenciesMs.set('http://127.0.0.1/orders/eu-west-1/health', [42]);
    deps.prober.failing.set('http://127.0.0.1/orders/ap-southeast-2/health', 'timeout');

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    const latencies = Object.fromEntries(round.regions.map((region) => [region.region, region.httpLatencyMs]));
    expect(latencies).toEqual({ 'eu-west-1': 42, 'us-east-1': 5, 'ap-southeast-2': 1_000 });
  });

  it('fails every endpoint of a region whose prober broke its promise not to throw', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.probe = async () => {
      throw new Error('socket hang up');
    };

    // Act
    const round = await runProbeRound(deps, { observerRegion: OBSERVER });

    // Assess
    expect(round.regions.every((region) => !region.ok)).toBe(true);
    expect(round.regions[0]?.failureReasons).toEqual(['http://127.0.0.1/orders/eu-west-1/health: prober failed: socket hang up']);
    expect(round.regions.map((region) => region.httpLatencyMs)).toEqual([undefined, undefined, undefined]);
  });
});

/** A fleet whose replicas' lag keeps its metric time (as the RDS adapter's does), probed once by a run that remembers. */
async function steadyFleet(...groups: ReturnType<typeof groupInput>[]) {
  const deps = setUp(configWith(...groups));
  for (const region of ['us-east-1', 'ap-southeast-2']) deps.database.states.set(region, { replicaLagMeasuredAt: START });
  const memory = { written: new Map<string, ObserverReport>(), heartbeat: newHeartbeatMemory() };
  const round = async () => {
    const result = await runProbeRound(deps, { observerRegion: OBSERVER, ...memory });
    await deps.clock.sleep(5_000);
    return result;
  };
  await round();
  deps.observations.calls.putReports = 0;
  deps.observations.calls.putHeartbeat = 0;
  return { deps, memory, round };
}

describe('runProbeRound, unchanged reports', () => {
  it('writes no report of a group that shows nothing new: one heartbeat per shard vouches for it, its streaks counted', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5), Object.assign(groupInput('billing', 5), { shard: 'eu' }));
    const storedAt = (await deps.observations.get('orders', 'eu-west-1', OBSERVER))!.observedAt;

    // Act
    const result = await round();

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.regions.every((region) => region.ok)).toBe(true);
    expect(deps.observations.calls.putReports).toBe(0);
    expect(deps.observations.calls.putHeartbeat).toBe(2);
    const [heartbeat] = await deps.observations.heartbeats('default');
    expect(heartbeat).toMatchObject({ observerRegion: OBSERVER, shard: 'default', writtenAt: result.startedAt });
    expect(Object.keys(heartbeat!.vouches)).toEqual(['orders']);
    expect(heartbeat!.vouches.orders).toEqual({ at: result.startedAt, rounds: 1, reports: { 'eu-west-1': storedAt, 'us-east-1': storedAt, 'ap-southeast-2': storedAt } });
    const vouched = await deps.observations.listForGroup('orders', [heartbeat!]);
    expect(vouched.map((report) => [report.observedAt, report.consecutiveSuccesses])).toEqual([[result.startedAt, 2], [result.startedAt, 2], [result.startedAt, 2]]);
    expect((await deps.observations.get('orders', 'eu-west-1', OBSERVER))!.consecutiveSuccesses).toBe(1);
  });

  it('writes a group at once when a failure appears, and vouches for it no more', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5), groupInput('billing', 5));
    await round();
    deps.prober.failing.set('http://127.0.0.1/orders/eu-west-1/health', 'timeout');

    // Act
    const result = await round();

    // Assess
    expect(deps.observations.calls.putReports).toBe(1);
    const failing = await deps.observations.get('orders', 'eu-west-1', OBSERVER);
    expect(failing).toMatchObject({ ok: false, consecutiveFailures: 1, observedAt: result.startedAt });
    const [heartbeat] = await deps.observations.heartbeats('default');
    expect(Object.keys(heartbeat!.vouches)).toEqual(['billing']);
  });

  it('never vouches for a group whose write failed, and writes it again next round although nothing changed', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5), groupInput('billing', 5));
    deps.prober.failing.set('http://127.0.0.1/orders/eu-west-1/health', 'timeout');
    deps.observations.failNext('putReports', new Error('ProvisionedThroughputExceeded'));
    const failed = await round();
    const [afterFailure] = await deps.observations.heartbeats('default');
    deps.prober.failing.clear();

    // Act
    const next = await round();

    // Assess
    expect(failed.errors).toEqual(['orders: could not save the reports: ProvisionedThroughputExceeded']);
    expect(Object.keys(afterFailure!.vouches)).toEqual(['billing']);
    expect(next.errors).toEqual([]);
    expect(deps.observations.calls.putReports).toBe(2);
    expect((await deps.observations.get('orders', 'eu-west-1', OBSERVER))?.observedAt).toBe(next.startedAt);
    const [heartbeat] = await deps.observations.heartbeats('default');
    expect(Object.keys(heartbeat!.vouches)).toEqual(['billing']);
  });

  it('does not vouch, to a reader, for a report another writer changed since', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5));
    const stored = (await deps.observations.get('orders', 'eu-west-1', OBSERVER))!;
    const other = { ...stored, observedAt: stored.observedAt + 1_000, ok: false, consecutiveFailures: 1, consecutiveSuccesses: 0 };
    await deps.observations.put(other);
    deps.observations.calls.putReports = 0;

    // Act
    await round();
    const reports = await deps.observations.listForGroup('orders', await deps.observations.heartbeats('default'));

    // Assess
    expect(deps.observations.calls.putReports).toBe(0);
    expect(reports.find((report) => report.region === 'eu-west-1')).toEqual(other);
    expect(reports.find((report) => report.region === 'us-east-1')?.observedAt).toBe(deps.clock.now() - 5_000);
  });

  it('continues, in a new run, the streaks its previous run vouched for: one read of its own heartbeat per shard', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5), groupInput('billing', 5));
    for (let index = 0; index < 3; index += 1) await round();
    const readsBefore = deps.observations.calls.heartbeats;

    // Act: the next invocation, which remembers nothing.
    const next = await runProbeRound(deps, { observerRegion: OBSERVER, written: new Map(), heartbeat: newHeartbeatMemory() });

    // Assess
    expect(next.errors).toEqual([]);
    expect(deps.observations.calls.heartbeats - readsBefore).toBe(1);
    expect(deps.observations.calls.putReports).toBe(2);
    expect((await deps.observations.get('orders', 'eu-west-1', OBSERVER))?.consecutiveSuccesses).toBe(5);
  });

  it('writes the groups of a shard whose heartbeat could not be saved until a heartbeat lands again', async () => {
    // Prepare
    const { deps, round } = await steadyFleet(groupInput('orders', 5));
    deps.observations.failNext('putHeartbeat', new Error('ThrottlingException'));

    // Act
    const failed = await round();
    const writing = await round();
    const resumed = await round();

    // Assess
    expect(failed.errors).toEqual(['shard default: could not save the heartbeat: ThrottlingException']);
    expect(writing.errors).toEqual([]);
    expect(resumed.errors).toEqual([]);
    expect(deps.observations.calls.putReports).toBe(1);
    expect(deps.observations.calls.putHeartbeat).toBe(3);
    const [heartbeat] = await deps.observations.heartbeats('default');
    expect(heartbeat!.vouches.orders?.at).toBe(resumed.startedAt);
  });
});

describe('runProbeRounds', () => {
  it('probes every interval until the next round could not finish before the deadline', async () => {
    // Prepare
    const deps = setUp();

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 60_000 });

    // Assess
    // Rounds at 0, 5, ..., 55 s: the last one needs its 1 s timeout plus the 1 s margin, which ends at 57 s.
    expect(summary.rounds).toBe(12);
    expect(deps.clock.sleeps).toEqual(Array.from({ length: 11 }, () => 5_000));
    expect(summary.finishedAt).toBe(START + 55_000);
    const latencyMs = { count: 12, p50: 5, max: 5 };
    expect(summary.regions).toEqual([
      { groupId: 'orders', region: 'eu-west-1', ok: 12, failed: 0, unknown: 0, storeErrors: 0, latencyMs },
      { groupId: 'orders', region: 'us-east-1', ok: 12, failed: 0, unknown: 0, storeErrors: 0, latencyMs },
      { groupId: 'orders', region: 'ap-southeast-2', ok: 12, failed: 0, unknown: 0, storeErrors: 0, latencyMs },
    ]);
    expect(summary.roundDurationsMs).toHaveLength(12);
    expect(summary.errors).toEqual([]);
  });

  it('reads the stored reports once per run and carries the ones it saved into its next rounds', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.failing.set('http://127.0.0.1/orders/ap-southeast-2/health', 'status 503 (expected 200)');

    // Act
    await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 60_000, maxRounds: 4 });

    // Assess
    expect(deps.observations.calls.getReports).toBe(1);
    expect(deps.observations.calls.putReports).toBe(4);
    expect((await deps.observations.get('orders', 'ap-southeast-2', OBSERVER))?.consecutiveFailures).toBe(4);
  });

  it('stops after maxRounds', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.failing.set('http://127.0.0.1/orders/ap-southeast-2/health', 'status 503 (expected 200)');

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 60_000, maxRounds: 3 });

    // Assess
    expect(summary.rounds).toBe(3);
    expect(summary.regions.find((region) => region.region === 'ap-southeast-2')).toEqual({
      groupId: 'orders',
      region: 'ap-southeast-2',
      ok: 0,
      failed: 3,
      unknown: 0,
      storeErrors: 0,
      latencyMs: { count: 3, p50: 1_000, max: 1_000 },
    });
    expect((await deps.observations.get('orders', 'ap-southeast-2', OBSERVER))?.consecutiveFailures).toBe(3);
  });

  it("sums up each region's HTTP latency over the rounds: count, nearest-rank median and maximum", async () => {
    // Prepare
    const deps = setUp();
    deps.prober.latenciesMs.set('http://127.0.0.1/orders/us-east-1/health', [30, 10, 250, 20]);

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 60_000, maxRounds: 4 });

    // Assess
    expect(summary.regions.find((region) => region.region === 'us-east-1')?.latencyMs).toEqual({ count: 4, p50: 20, max: 250 });
    expect(summary.regions.find((region) => region.region === 'eu-west-1')?.latencyMs).toEqual({ count: 4, p50: 5, max: 5 });
  });

  it('leaves the latency out for a region none of whose rounds measured one', async () => {
    // Prepare
    const deps = setUp();
    deps.prober.probe = async () => {
      throw new Error('socket hang up');
    };

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 60_000, maxRounds: 2 });

    // Assess
    expect(summary.regions.map((region) => region.failed)).toEqual([2, 2, 2]);
    expect(summary.regions.some((region) => 'latencyMs' in region)).toBe(false);
  });

  it('probes each group at its own interval', async () => {
    // Prepare
    const deps = setUp(configWith(groupInput('orders', 5), groupInput('billing', 10)));

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 30_000 });

    // Assess
    expect(summary.rounds).toBe(6);
    const okRounds = Object.fromEntries(summary.regions.map((region) => [`${region.groupId}/${region.region}`, region.ok]));
    expect(okRounds['orders/eu-west-1']).toBe(6);
    expect(okRounds['billing/eu-west-1']).toBe(3);
    expect((await deps.observations.get('billing', 'eu-west-1', OBSERVER))?.observedAt).toBe(START + 20_000);
  });

  it("leaves room in a round for the slowest connection-check timeout, not only the endpoints'", async () => {
    // Prepare: endpoints time out after 1 s, the connection check after 4 s; the deadline leaves 3.5 s.
    const input = groupInput('orders', 5);
    const check = { host: 'orders-eu.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' }, timeoutMs: 4_000 };
    (input.regions['eu-west-1'].database as Record<string, unknown>).connectionCheck = check;
    const deps = { ...setUp(configWith(input)), databaseProbe: new InMemoryDatabaseProbe(new SteppingClock(START)) };

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 3_500, marginMs: 0 });

    // Assess
    expect(summary.rounds).toBe(0);
    expect(deps.databaseProbe.calls.check).toBe(0);
  });

  it('runs no round when the deadline leaves no time for one', async () => {
    // Prepare
    const deps = setUp();

    // Act
    const summary = await runProbeRounds(deps, { observerRegion: OBSERVER, deadline: START + 1_500 });

    // Assess
    expect(summary.rounds).toBe(0);
    expect(summary.maxRoundDurationMs).toBe(0);
    expect(deps.prober.probedUrls).toEqual([]);
  });
});

describe('toDatabaseObservation', () => {
  it('accepts an available primary that takes writes and an available replica that does not', () => {
    // Prepare
    const primary: DatabaseState = { region: 'eu-west-1', role: 'primary', status: 'available', writable: true };
    const replica: DatabaseState = { region: 'us-east-1', role: 'replica', status: 'available', writable: false, replicaLagSeconds: 3 };

    // Act
    const observations = [toDatabaseObservation(primary, START), toDatabaseObservation(replica, START)];

    // Assess
    expect(observations).toEqual([
      { ok: true, evidence: 'ok', role: 'primary', status: 'available' },
      { ok: true, evidence: 'ok', role: 'replica', status: 'available', replicaLagSeconds: 3, replicaLagMeasuredAt: START },
    ]);
  });

  it('keeps the time the adapter says the lag was measured, and the replication source', () => {
    // Prepare
    const replica: DatabaseState = {
      region: 'us-east-1',
      role: 'replica',
      status: 'available',
      writable: false,
      replicaLagSeconds: 3,
      replicaLagMeasuredAt: START - 60_000,
      sourceRegion: 'eu-west-1',
    };

    // Act
    const observation = toDatabaseObservation(replica, START);

    // Assess
    expect(observation).toMatchObject({ replicaLagSeconds: 3, replicaLagMeasuredAt: START - 60_000, sourceRegion: 'eu-west-1' });
  });

  it('counts a replica that accepts writes, an unknown role and a status in between as unknown, never as failed', () => {
    // Prepare
    const splitReplica: DatabaseState = { region: 'us-east-1', role: 'replica', status: 'available', writable: true };
    const unknownRole: DatabaseState = { region: 'us-east-1', role: 'unknown', status: 'available', writable: false };
    const modifying: DatabaseState = { region: 'us-east-1', role: 'standalone', status: 'modifying', writable: true };

    // Act
    const observations = [splitReplica, unknownRole, modifying].map((state) => toDatabaseObservation(state, START));

    // Assess
    expect(observations.map((observation) => [observation.evidence, observation.error])).toEqual([
      ['unknown', 'a replica that accepts writes'],
      ['unknown', 'role unknown'],
      ['unknown', 'status modifying (control plane only: neither healthy nor failed)'],
    ]);
  });
});

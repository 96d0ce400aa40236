import { afterEach, describe, expect, it } from 'vitest';
import { DrillClock } from '../../../src/drill/DrillClock.js';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';
import { SimWorld } from '../../../src/adapters/sim/SimWorld.js';
import type { HealthEndpoint } from '../../../src/config/schema.js';
import type { HttpProbeResult } from '../../../src/domain/types.js';
import type { Prober } from '../../../src/ports/Prober.js';
import { threeRegionGroup } from './group.js';

/** A minimal fetch prober that records what it was asked to probe. */
class FetchProber implements Prober {
  readonly probed: string[] = [];

  async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
    return Promise.all(
      endpoints.map(async (endpoint) => {
        this.probed.push(endpoint.url);
        try {
          const response = await fetch(endpoint.url, { signal: AbortSignal.timeout(endpoint.timeoutMs) });
          const body = await response.text();
          const ok = response.status === endpoint.expectedStatus && body.includes(endpoint.bodyContains ?? '');
          return { url: endpoint.url, ok, status: response.status, latencyMs: 1, ...(ok ? {} : { error: `status ${response.status}` }) };
        } catch (error) {
          const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
          return { url: endpoint.url, ok: false, latencyMs: 1, error: code };
        }
      }),
    );
  }
}

describe('SimWorld', () => {
  let world: SimWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function build(): Promise<SimWorld> {
    world = await SimWorld.create(threeRegionGroup(), { clock: new ManualClock(0), timings: { apiLatencyMs: 0, writesPerSecond: 10 } });
    return world;
  }

  it('rewrites every health endpoint to a local server and keeps its path and expectations', async () => {
    // Prepare
    const sim = await build();

    // Act
    const endpoints = sim.regions.map((region) => sim.group.regions[region]?.healthEndpoints[0]);

    // Assess
    for (const [index, region] of sim.regions.entries()) {
      expect(endpoints[index]).toEqual({ url: `${sim.server(region).origin}/health`, timeoutMs: 5_000, expectedStatus: 200, bodyContains: 'ok' });
    }
    expect(new Set(sim.regions.map((region) => sim.server(region).port)).size).toBe(3);
  });

  it('replaces every endpoint timeout when asked, for probes under a compressed clock', async () => {
    // Prepare
    world = await SimWorld.create(threeRegionGroup(), { clock: new ManualClock(0), endpointTimeoutMs: 100 });

    // Act
    const timeouts = Object.values(world.group.regions).flatMap((region) => region.healthEndpoints.map((endpoint) => endpoint.timeoutMs));

    // Assess
    expect(timeouts).toEqual([100, 100, 100]);
  });

  it('takes a whole region out: endpoints refuse, the database is unreachable, replication stops', async () => {
    // Prepare
    const sim = await build();
    const prober = new FetchProber();
    const endpoints = sim.group.regions['eu-west-1']?.healthEndpoints ?? [];

    // Act
    const outage = await sim.inject({ kind: 'region-outage', region: 'eu-west-1' });
    const [probe] = await prober.probe(endpoints);
    const database = await sim.database.describe(sim.group, 'eu-west-1');
    const replica = await sim.database.describe(sim.group, 'eu-central-1');
    await outage.clear();
    const [after] = await prober.probe(endpoints);

    // Assess
    expect(probe).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    expect(database.status).toBe('unreachable');
    expect(sim.dataLoss().primaryAcceptedWrites).toBeGreaterThan(0);
    expect(replica.replicaLagSeconds).toBe(1);
    expect(after?.ok).toBe(true);
    expect(sim.faultLog().map((entry) => entry.action)).toEqual(['injected', 'cleared']);
  });

  it('keeps HTTP answering while the database has crashed', async () => {
    // Prepare
    const sim = await build();
    const prober = new FetchProber();

    // Act
    await sim.inject({ kind: 'database-crash', region: 'eu-west-1' });
    const [probe] = await prober.probe(sim.group.regions['eu-west-1']?.healthEndpoints ?? []);
    const database = await sim.database.describe(sim.group, 'eu-west-1');

    // Assess
    expect(probe?.ok).toBe(true);
    expect(database).toMatchObject({ status: 'failed', writable: false });
  });

  it('fails probes from a partitioned observer without a request, and delegates the rest', async () => {
    // Prepare
    const sim = await build();
    const prober = new FetchProber();
    await sim.inject({ kind: 'partition', observer: 'us-east-1', region: 'eu-west-1' });
    const endpoints = sim.regions.flatMap((region) => sim.group.regions[region]?.healthEndpoints ?? []);

    // Act
    const fromUsEast = await sim.proberFor('us-east-1', prober).probe(endpoints);
    const fromApSouth = await sim.proberFor('ap-south-1', prober).probe(endpoints);
    const hiddenDb = await sim.databaseFor('us-east-1').describe(sim.group, 'eu-west-1');

    // Assess
    expect(fromUsEast.map((result) => result.url)).toEqual(endpoints.map((endpoint) => endpoint.url));
    expect(fromUsEast[0]).toEqual({
      url: endpoints[0]?.url,
      ok: false,
      latencyMs: 0,
      error: 'partitioned: us-east-1 cannot reach eu-west-1',
    });
    expect(fromUsEast.slice(1).every((result) => result.ok)).toBe(true);
    expect(fromApSouth.every((result) => result.ok)).toBe(true);
    expect(prober.probed.filter((url) => url === endpoints[0]?.url)).toHaveLength(1);
    expect(hiddenDb.status).toBe('unreachable');
  });

  it('lets an HTTP fault be cleared back to healthy, and an outage win over it meanwhile', async () => {
    // Prepare
    const sim = await build();
    const prober = new FetchProber();
    const endpoints = sim.group.regions['eu-central-1']?.healthEndpoints ?? [];

    // Act
    const wrongBody = await sim.inject({ kind: 'http', region: 'eu-central-1', behaviour: { kind: 'wrong-body' } });
    const [duringFault] = await prober.probe(endpoints);
    const outage = await sim.inject({ kind: 'region-outage', region: 'eu-central-1' });
    await wrongBody.clear();
    const [duringOutage] = await prober.probe(endpoints);
    await outage.clear();
    const [healthy] = await prober.probe(endpoints);

    // Assess
    expect(duringFault).toMatchObject({ ok: false, status: 200 });
    expect(duringOutage).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    expect(healthy?.ok).toBe(true);
  });

  it('throttles DNS changes and slows a replica through injected faults', async () => {
    // Prepare
    const sim = await build();
    const clock = sim.clock as ManualClock;

    // Act
    await sim.inject({ kind: 'dns-throttle', calls: 1 });
    const throttled = await sim.traffic.pointTo(sim.group, 'eu-central-1', 'failover').catch((error: unknown) => error);
    const lag = await sim.inject({ kind: 'replica-lag', region: 'eu-north-1', applyWritesPerSecond: 5 });
    await clock.advance(20_000);
    const behind = await sim.database.describe(sim.group, 'eu-north-1');
    await lag.clear();
    await clock.advance(60_000);
    const caughtUp = await sim.database.describe(sim.group, 'eu-north-1');

    // Assess
    expect((throttled as Error).name).toBe('RetryableStepError');
    expect(behind.replicaLagSeconds).toBeCloseTo(11, 0);
    expect(caughtUp.replicaLagSeconds).toBe(1);
  });

  it('plays a scripted failover in compressed time, with the promotion and DNS sync taking their simulated durations', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 200 });
    world = await SimWorld.create(threeRegionGroup(), {
      clock,
      timings: { promotionSeconds: 90, dnsSyncSeconds: 40, apiLatencyMs: 200, writesPerSecond: 10, replicaLagSeconds: 2 },
    });
    const sim = world;
    const options = { failoverId: 'f-1', planned: false, allowDataLoss: true, fromRegion: 'eu-west-1' };
    const waitUntil = async (done: () => Promise<boolean>) => {
      while (!(await done())) await clock.sleep(1_000);
    };

    // Act
    const outage = await sim.inject({ kind: 'region-outage', region: 'eu-west-1' });
    const fence = await sim.database.fence(sim.group, 'eu-west-1', 'stop-instance');
    const promotionStartedAt = clock.now();
    await sim.database.promote(sim.group, 'eu-central-1', options);
    await waitUntil(async () => (await sim.database.describe(sim.group, 'eu-central-1')).role === 'standalone');
    const promotedAt = clock.now();
    const { changeId } = await sim.traffic.pointTo(sim.group, 'eu-central-1', 'failover f-1');
    await waitUntil(async () => (await sim.traffic.changeStatus(changeId as string)) === 'INSYNC');
    const inSyncAt = clock.now();

    // Assess
    expect(fence).toBe('unreachable');
    expect(promotedAt - promotionStartedAt).toBeGreaterThanOrEqual(90_000);
    expect(inSyncAt - (sim.traffic.changes()[0]?.submittedAt ?? inSyncAt)).toBeGreaterThanOrEqual(40_000);
    expect(await sim.traffic.currentRegion(sim.group)).toBe('eu-central-1');
    expect(sim.dataLoss()).toMatchObject({ promotedRegion: 'eu-central-1', lostWrites: 20, lagAtPromotionSeconds: 2 });
    expect(sim.faultLog()).toEqual([{ at: outage.injectedAt, action: 'injected', fault: outage.fault }]);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';
import { SimDatabases } from '../../../src/adapters/sim/SimDatabases.js';
import type { SimDatabaseTimings } from '../../../src/adapters/sim/SimDatabases.js';
import { RetryableStepError } from '../../../src/domain/errors.js';
import type { PromoteOptions } from '../../../src/ports/Database.js';
import { threeRegionGroup } from './group.js';

const group = threeRegionGroup();
const promoteOptions: PromoteOptions = { failoverId: 'f-1', planned: false, allowDataLoss: true, fromRegion: 'eu-west-1' };

function build(timings: Partial<SimDatabaseTimings> = {}, partitioned = new Set<string>()) {
  const clock = new ManualClock(1_000_000);
  const databases = new SimDatabases(
    group,
    clock,
    {
      promotionSeconds: 60,
      stopSeconds: 20,
      apiLatencyMs: 0,
      writesPerSecond: 10,
      replicaLagSeconds: 1,
      regions: {},
      ...timings,
    },
    (observer, region) => partitioned.has(`${observer}->${region}`),
  );
  return { clock, databases, database: databases.viewFrom(undefined) };
}

describe('SimDatabases', () => {
  it('describes a writable primary and replicas that trail it by their lag', async () => {
    // Prepare
    const { clock, database } = build({ regions: { 'eu-north-1': { extraLagSeconds: 4 } } });
    await clock.advance(30_000);

    // Act
    const [primary, central, north] = await Promise.all(
      ['eu-west-1', 'eu-central-1', 'eu-north-1'].map((region) => database.describe(group, region)),
    );

    // Assess
    expect(primary).toMatchObject({ role: 'primary', status: 'available', writable: true, fenced: false });
    expect(central).toMatchObject({ role: 'replica', status: 'available', writable: false, replicaLagSeconds: 1, sourceRegion: 'eu-west-1' });
    expect(north).toMatchObject({ role: 'replica', replicaLagSeconds: 5 });
  });

  it('promotes a replica through modifying to a writable standalone after promotionSeconds', async () => {
    // Prepare
    const { clock, database } = build();

    // Act
    const outcome = await database.promote(group, 'eu-central-1', promoteOptions);
    const during = await database.describe(group, 'eu-central-1');
    await clock.advance(59_999);
    const almost = await database.describe(group, 'eu-central-1');
    await clock.advance(1);
    const after = await database.describe(group, 'eu-central-1');

    // Assess
    expect(outcome).toBe('started');
    expect(during).toMatchObject({ role: 'replica', status: 'modifying', writable: false });
    expect(almost.status).toBe('modifying');
    expect(after).toMatchObject({ role: 'standalone', status: 'available', writable: true });
  });

  it('answers promote idempotently and counts every call', async () => {
    // Prepare
    const { clock, databases, database } = build();

    // Act
    const first = await database.promote(group, 'eu-central-1', promoteOptions);
    const again = await database.promote(group, 'eu-central-1', promoteOptions);
    await clock.advance(60_000);
    const done = await database.promote(group, 'eu-central-1', promoteOptions);
    const onPrimary = await database.promote(group, 'eu-west-1', promoteOptions);

    // Assess
    expect([first, again, done, onPrimary]).toEqual(['started', 'in-progress', 'already-promoted', 'already-promoted']);
    expect(databases.callsFor('eu-central-1', 'promote')).toBe(3);
    expect(databases.calls.promote).toBe(4);
  });

  it('grows the lag of a replica that applies slower than the primary writes', async () => {
    // Prepare
    const { clock, database } = build({ writesPerSecond: 10, regions: { 'eu-central-1': { applyWritesPerSecond: 5 } } });
    const before = await database.describe(group, 'eu-central-1');

    // Act
    await clock.advance(60_000);
    const after = await database.describe(group, 'eu-central-1');

    // Assess
    // Applying half the writes, the replica is 30 s further behind after 60 s.
    expect((after.replicaLagSeconds ?? 0) - (before.replicaLagSeconds ?? 0)).toBeCloseTo(30, 0);
  });

  it('freezes the lag when the primary dies and counts the writes the promoted replica never received', async () => {
    // Prepare
    const { clock, databases, database } = build({ writesPerSecond: 10, regions: { 'eu-central-1': { extraLagSeconds: 2 } } });
    await clock.advance(10_000);

    // Act
    databases.setRegionDown('eu-west-1', true);
    await clock.advance(30_000);
    const replica = await database.describe(group, 'eu-central-1');
    await database.promote(group, 'eu-central-1', promoteOptions);
    await clock.advance(30_000);
    const facts = databases.dataLoss();

    // Assess
    expect(replica.replicaLagSeconds).toBe(3);
    expect(await database.describe(group, 'eu-west-1')).toMatchObject({ status: 'unreachable', role: 'unknown', writable: false });
    // 3 s of lag at 10 writes per second, whatever happened after the primary died.
    expect(facts).toMatchObject({ promotedRegion: 'eu-central-1', lostWrites: 30, lagAtPromotionSeconds: 3, writesPerSecond: 10 });
  });

  it('loses no writes when the primary is fenced read-only and the replica drains before promotion', async () => {
    // Prepare
    const { clock, databases, database } = build({ writesPerSecond: 10, replicaLagSeconds: 5 });
    await clock.advance(10_000);

    // Act
    const fence = await database.fence(group, 'eu-west-1', 'read-only-parameter-group');
    const primary = await database.describe(group, 'eu-west-1');
    await clock.advance(6_000);
    const drained = await database.describe(group, 'eu-central-1');
    await database.promote(group, 'eu-central-1', promoteOptions);

    // Assess
    expect(fence).toBe('fenced');
    expect(primary).toMatchObject({ writable: false, fenced: true, status: 'available' });
    expect(drained.replicaLagSeconds).toBe(0);
    expect(databases.dataLoss().lostWrites).toBe(0);
  });

  it('keeps counting lost writes while an unfenced old primary goes on accepting them', async () => {
    // Prepare
    const { clock, databases, database } = build({ writesPerSecond: 10, replicaLagSeconds: 1 });
    await database.promote(group, 'eu-central-1', promoteOptions);

    // Act
    await clock.advance(20_000);

    // Assess
    expect(databases.dataLoss().lostWrites).toBe(210);
    expect(await database.describe(group, 'eu-west-1')).toMatchObject({ role: 'primary', writable: true });
  });

  it('fences with stop-instance: stopping, then stopped, and answers already-fenced after', async () => {
    // Prepare
    const { clock, database } = build({ stopSeconds: 20 });

    // Act
    const first = await database.fence(group, 'eu-west-1', 'stop-instance');
    const stopping = await database.describe(group, 'eu-west-1');
    await clock.advance(20_000);
    const stopped = await database.describe(group, 'eu-west-1');
    const second = await database.fence(group, 'eu-west-1', 'stop-instance');
    const none = await database.fence(group, 'eu-west-1', 'none');

    // Assess
    expect([first, second, none]).toEqual(['fenced', 'already-fenced', 'skipped']);
    expect(stopping).toMatchObject({ status: 'stopping', writable: false, fenced: true });
    expect(stopped).toMatchObject({ status: 'stopped', writable: false, fenced: true });
  });

  it('reports a status blip on a primary that keeps taking writes, as the RDS API would', async () => {
    // Prepare
    const { clock, databases, database } = build();
    await clock.advance(10_000);
    databases.setStatusBlip('eu-west-1', 'storage-optimization');
    const before = databases.dataLoss().primaryAcceptedWrites;

    // Act
    await clock.advance(10_000);
    const during = await database.describe(group, 'eu-west-1');
    databases.setStatusBlip('eu-west-1', undefined);
    const after = await database.describe(group, 'eu-west-1');

    // Assess
    expect(during).toMatchObject({ role: 'primary', status: 'storage-optimization', writable: false });
    expect(databases.dataLoss().primaryAcceptedWrites - before).toBe(100);
    expect(after).toMatchObject({ status: 'available', writable: true });
  });

  it('answers unreachable during an RDS API 5xx brownout and throws a retryable error while throttled', async () => {
    // Prepare
    const { databases, database } = build();

    // Act
    databases.setApiError('eu-west-1', 'server-error');
    databases.setApiError('eu-central-1', 'server-error');
    const brownout = await database.describe(group, 'eu-west-1');
    const promoteDuringBrownout = await database.promote(group, 'eu-central-1', promoteOptions).catch((error: unknown) => error);
    databases.setApiError('eu-west-1', 'throttling');
    const throttled = await database.describe(group, 'eu-west-1').catch((error: unknown) => error);
    databases.setApiError('eu-west-1', undefined);
    const healed = await database.describe(group, 'eu-west-1');

    // Assess
    expect(brownout).toMatchObject({ role: 'unknown', status: 'unreachable', writable: false });
    expect(promoteDuringBrownout).toBeInstanceOf(RetryableStepError);
    expect(databases.calls.promote).toBe(1);
    expect(throttled).toBeInstanceOf(RetryableStepError);
    expect(String(throttled)).toContain('ThrottlingException');
    expect(healed).toMatchObject({ role: 'primary', status: 'available', writable: true });
  });

  it('answers unreachable when fencing a region that is down', async () => {
    // Prepare
    const { databases, database } = build();
    databases.setRegionDown('eu-west-1', true);

    // Act
    const outcome = await database.fence(group, 'eu-west-1', 'stop-instance');

    // Assess
    expect(outcome).toBe('unreachable');
  });

  it('reports a crashed database as failed while nothing else changes', async () => {
    // Prepare
    const { databases, database } = build();

    // Act
    databases.setCrashed('eu-west-1', 'failed');
    const state = await database.describe(group, 'eu-west-1');

    // Assess
    expect(state).toMatchObject({ role: 'primary', status: 'failed', writable: false });
  });

  it('holds a stuck promotion in modifying until the fault is cleared', async () => {
    // Prepare
    const { clock, databases, database } = build({ promotionSeconds: 60 });
    databases.setPromotionStuck('eu-central-1', true);
    await database.promote(group, 'eu-central-1', promoteOptions);

    // Act
    await clock.advance(600_000);
    const stuck = await database.describe(group, 'eu-central-1');
    databases.setPromotionStuck('eu-central-1', false);
    const released = await database.describe(group, 'eu-central-1');

    // Assess
    expect(stuck).toMatchObject({ status: 'modifying', role: 'replica' });
    expect(released).toMatchObject({ status: 'available', role: 'standalone', writable: true });
  });

  it('throws InvalidDBInstanceState as a RetryableStepError on the first promote attempts', async () => {
    // Prepare
    const { databases, database } = build();
    databases.setInvalidStateAttempts('eu-central-1', 2);

    // Act
    const attempts = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      attempts.push(await database.promote(group, 'eu-central-1', promoteOptions).catch((error: unknown) => error));
    }

    // Assess
    expect(attempts[0]).toBeInstanceOf(RetryableStepError);
    expect((attempts[1] as RetryableStepError).message).toMatch(/InvalidDBInstanceState/);
    expect(attempts[1]).toMatchObject({ region: 'eu-central-1', step: 'promoting', groupId: 'shop' });
    expect(attempts[2]).toBe('started');
  });

  it('hides a database partitioned from the observer, and only from that observer', async () => {
    // Prepare
    const { databases } = build({}, new Set(['us-east-1->eu-west-1']));

    // Act
    const fromUsEast = await databases.viewFrom('us-east-1').describe(group, 'eu-west-1');
    const fromApSouth = await databases.viewFrom('ap-south-1').describe(group, 'eu-west-1');
    const fence = await databases.viewFrom('us-east-1').fence(group, 'eu-west-1', 'stop-instance');

    // Assess
    expect(fromUsEast).toMatchObject({ status: 'unreachable', role: 'unknown' });
    expect(fromApSouth).toMatchObject({ status: 'available', role: 'primary' });
    expect(fence).toBe('unreachable');
  });

  it('waits apiLatencyMs of simulated time on every call', async () => {
    // Prepare
    const { clock, database } = build({ apiLatencyMs: 250 });
    let answered = false;

    // Act
    const describing = database.describe(group, 'eu-west-1').then(() => (answered = true));
    await clock.advance(249);
    const early = answered;
    await clock.advance(1);
    await describing;

    // Assess
    expect(early).toBe(false);
    expect(answered).toBe(true);
  });
});

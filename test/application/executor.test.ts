import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { StaleStateError } from '../../src/domain/errors.js';
import type { Traffic } from '../../src/ports/Traffic.js';
import { confirmDown, FAR_REPLICA, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;

describe('executor', () => {
  it('fails over automatically when the primary is confirmed down, performing each step once', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await probeRound(deps, group);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await confirmDown(deps, group, [PRIMARY]);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.state).toBe('failedOver');
    expect(outcome.failover).toMatchObject({ from: PRIMARY, to: REPLICA, outcome: 'completed', replicaLagAtPromotionSeconds: 2 });
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.traffic.calls.changes).toBe(1);
    expect(deps.traffic.changes[0]?.comment).toContain(outcome.failover!.id);
    const timestamps = outcome.failover!.timestamps;
    for (const key of ['detectedAt', 'decidedAt', 'fencedAt', 'promotionStartedAt', 'promotedAt', 'trafficSwitchedAt', 'dnsInSyncAt', 'verifiedAt', 'completedAt'] as const) {
      expect(timestamps[key], key).toBeTypeOf('number');
    }
    expect(outcome.failover!.rtoMs).toBe(timestamps.completedAt! - timestamps.detectedAt!);
    expect(deps.notifier.types()).toEqual(['failover-started', 'failover-completed']);
    const [history] = await deps.eventLog.listFailovers(group.id);
    expect(history).toEqual(outcome.failover);
  });

  it('chooses the highest-priority replica whose lag is within the budget', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY], { lag: { [REPLICA]: 120, [FAR_REPLICA]: 3 } });

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.failover?.to).toBe(FAR_REPLICA);
  });

  it('does not fail over when only one observer of three sees the primary fail', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    for (let round = 0; round < 5; round += 1) {
      clock.advance(5_000);
      await probeRound(deps, group, { observers: ['eu-west-1', 'us-east-1'] });
      await probeRound(deps, group, { down: [PRIMARY], observers: ['ap-southeast-2'] });
    }

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.state).toBe('monitoring');
    expect(deps.database.calls.promote).toBe(0);
  });

  it('blocks and notifies when every replica lags beyond the budget, promoting nothing', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY], { lag: { [REPLICA]: 120, [FAR_REPLICA]: 90 } });

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.state).toBe('blocked');
    expect(deps.database.calls.promote).toBe(0);
    expect(deps.notifier.types()).toEqual(['failover-blocked']);
    expect(deps.notifier.published[0]?.notification.text).toContain('is 120 s, over the 30 s budget');
  });

  it('skips a group whose lease another executor holds', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await deps.stateStore.createIfAbsent({ groupId: group.id, machineVersion: 1, snapshot: null, health: {}, outbox: { events: [], notifications: [] }, nextEventSeq: 1, processedCommandIds: [], updatedAt: clock.now() });
    await deps.stateStore.acquireLease(group.id, 'other', clock.now(), 30_000);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.result).toBe('lease-held');
    expect(deps.stateStore.calls.save).toBe(0);
  });

  it('acts no further after losing a compare-and-set, delivering nothing from the lost write', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    deps.stateStore.failNextSave(new StaleStateError(`group ${group.id}: revision 1 is no longer current`));

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(outcome.result).toBe('stale');
    expect(deps.database.calls.fence + deps.database.calls.promote).toBe(0);
    expect(deps.notifier.calls.publish).toBe(0);
    expect(await deps.eventLog.list(group.id)).toEqual([]);
  });

  it('leaves a slow promotion for the next invocation and resumes it without promoting again', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    const first = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + 10_000 });

    // Act
    clock.advance(MINUTE);
    const second = await reconcileGroup(deps, group, { owner: 'b', deadline: clock.now() + MINUTE });

    // Assess
    expect(first.result).toBe('waiting');
    expect(first.state).toBe('failingOver.awaitingPromotion');
    expect(second.state).toBe('failedOver');
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.traffic.calls.changes).toBe(1);
  });

  it('looks once more just before its deadline when the next poll would fall after it, instead of leaving the rest unused', async () => {
    // Prepare: a 20 s promotion, polls at 0, 1, 2.5, 4.75, 8.1, 13.1 and 18.1 s; the next (23.1 s) is past the deadline
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    const deadline = clock.now() + 22_000;

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline });

    // Assess: the look at 21 s (deadline less the 1 s margin) saw the promotion done
    expect(outcome.failover?.timestamps.promotedAt).toBeDefined();
    expect(outcome.failover?.timestamps.promotedAt).toBeLessThan(deadline - 1_000);
    expect(outcome.state).not.toBe('failingOver.awaitingPromotion');
    expect(deps.database.calls.promoteEffective).toBe(1);
  });

  it('starts each look at a waiting step one polling delay after the previous look started, however long its API call took', async () => {
    // Prepare: GetChange answers in 400 ms; the change is INSYNC 10 s after it was made
    const { deps, group, clock } = inMemoryWorld();
    const looksAt: number[] = [];
    const traffic = deps.traffic;
    const slowTraffic: Traffic = {
      currentRegion: (target) => traffic.currentRegion(target),
      pointTo: (target, region, comment, effect) => traffic.pointTo(target, region, comment, effect),
      changeStatus: async (changeId) => {
        looksAt.push(clock.now());
        await clock.sleep(400);
        return traffic.changeStatus(changeId);
      },
    };
    await confirmDown(deps, group, [PRIMARY]);

    // Act
    const outcome = await reconcileGroup({ ...deps, traffic: slowTraffic }, group, { owner: 'a', deadline: clock.now() + 2 * MINUTE });

    // Assess: 1, 1.5, 2.25 and 3.375 s apart (the policy's delays), not those plus the 400 ms of each call
    const gaps = looksAt.slice(1).map((at, index) => at - looksAt[index]!);
    expect(outcome.state).toBe('failedOver');
    expect(gaps.slice(0, 4)).toEqual([1_000, 1_500, 2_250, 3_375]);
  });

  it("checks the record in verification at once after the DNS look that saw INSYNC, not after the Route 53 slot that look took", async () => {
    // Prepare: the default cadence and budget (the test harness's slower polling left out)
    const { deps, group, clock } = inMemoryWorld();
    const { polling: _polling, ...defaults } = deps;
    const calls: { call: string; at: number }[] = [];
    const traffic = deps.traffic;
    const watched: Traffic = {
      currentRegion: async (target) => {
        calls.push({ call: 'currentRegion', at: clock.now() });
        return traffic.currentRegion(target);
      },
      pointTo: (target, region, comment, effect) => traffic.pointTo(target, region, comment, effect),
      changeStatus: async (changeId) => {
        calls.push({ call: 'changeStatus', at: clock.now() });
        return traffic.changeStatus(changeId);
      },
    };
    await confirmDown(deps, group, [PRIMARY]);

    // Act
    const outcome = await reconcileGroup({ ...defaults, traffic: watched }, group, { owner: 'a', deadline: clock.now() + 2 * MINUTE });

    // Assess: the last GetChange (INSYNC) and the verification's record read at the same moment
    const lastLook = calls.filter((entry) => entry.call === 'changeStatus').at(-1);
    const check = calls.find((entry) => entry.call === 'currentRegion');
    expect(outcome.state).toBe('failedOver');
    expect(check?.at).toBe(lastLook?.at);
  });

  it('lets an unplanned failover that passed the lag guard lose at most its lag (Aurora: AllowDataLoss), and records the window', async () => {
    // Prepare: an automatic failover; no operator allowed data loss.
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess: promote was told the loss is accepted (Aurora refuses FailoverGlobalCluster otherwise: stuck at promoting).
    expect(outcome.state).toBe('failedOver');
    expect(outcome.failover?.allowDataLoss).toBe(false);
    expect(deps.database.lastPromoteOptions).toEqual([expect.objectContaining({ planned: false, allowDataLoss: true })]);
    expect(outcome.failover?.replicaLagAtPromotionSeconds).toBe(2);
  });

  it('promotes again a replica whose promote call never took effect, instead of waiting for a promotion that will not come', async () => {
    // Prepare: the provider answers the first promote call and then loses it.
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    deps.database.dropNextPromotes(1);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + 2 * MINUTE });

    // Assess
    expect(outcome.state).toBe('failedOver');
    expect(deps.database.calls.promoteEffective).toBe(1);
    expect(deps.database.calls.promote).toBe(2);
  });

  it('does not take a backing-up replica for a promotion in progress, and a retry after the backup promotes it', async () => {
    // Prepare: the target is busy with a backup when the failover reaches promotion; it refuses promote until done.
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    deps.database.region(REPLICA).busy = 'backing-up';
    const first = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Act: the backup ends; the operator retries.
    deps.database.region(REPLICA).busy = undefined;
    clock.advance(MINUTE);
    await deps.commands.enqueue({
      id: 'retry-1',
      groupId: group.id,
      type: 'retry',
      principalArn: 'arn:aws:iam::000000000000:user/oncall',
      reason: 'backup finished',
      requestedAt: clock.now(),
    });
    const second = await reconcileGroup(deps, group, { owner: 'b', deadline: clock.now() + 2 * MINUTE });

    // Assess: the stall is at promoting (no promotion was started), and the retry promoted.
    expect(first.state).toBe('stalled');
    expect(first.failover?.timestamps.promotionStartedAt).toBeUndefined();
    expect(second.state).toBe('failedOver');
    expect(deps.database.calls.promoteEffective).toBe(1);
  });

  it('gives the fleet slot back when a failover ends before promotion, so the brake counts only failovers that happened', async () => {
    // Prepare: observers saw a replica within budget, but at the step the database reports it far behind.
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY], { lag: { [REPLICA]: 2, [FAR_REPLICA]: 5 } });
    deps.database.region(REPLICA).replicaLagSeconds = 120;

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess: the failover reserved a slot, was blocked by lag before promoting, and no longer counts.
    expect(outcome.state).toBe('blocked');
    expect(outcome.failover).toMatchObject({ outcome: 'aborted' });
    expect(deps.fleet.calls.tryReserve).toBe(1);
    expect(deps.database.calls.promote).toBe(0);
    expect(await deps.fleet.countSince(0)).toBe(0);
  });

  it('writes an ordered, gap-free event log', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);

    // Act
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    const events = (await deps.eventLog.list(group.id)).reverse();
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.type)).toEqual([
      'HEALTH',
      'FLEET_SLOT_RESERVED',
      'FENCED',
      'PROMOTION_STARTED',
      'PROMOTED',
      'TRAFFIC_SWITCHED',
      'DNS_IN_SYNC',
      'VERIFIED',
    ]);
  });

  it('reports a region going unhealthy as a verdict change, and nothing when no verdict changed', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld();
    await probeRound(deps, group);
    const first = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await confirmDown(deps, group, [FAR_REPLICA]);

    // Act
    const outcome = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    const unchanged = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess
    expect(first.verdictChanges).toEqual([PRIMARY, REPLICA, FAR_REPLICA].map((region) => ({ region, from: 'unknown', to: 'healthy' })));
    expect(outcome.verdictChanges).toEqual([{ region: FAR_REPLICA, from: 'healthy', to: 'unhealthy' }]);
    expect(outcome.state).toBe('monitoring');
    expect(unchanged.verdictChanges).toBeUndefined();
    expect((await deps.stateStore.load(group.id))?.health[FAR_REPLICA]?.verdict).toBe('unhealthy');
  });
});

describe('executor: split brain', () => {
  it('raises one critical alarm when the old primary comes back writable after a failover', async () => {
    // Prepare: fail over, then the old primary's region answers again and its database says it is a primary.
    const { deps, group, clock } = inMemoryWorld();
    await confirmDown(deps, group, [PRIMARY]);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + 60_000 });
    deps.database.region(PRIMARY).reachable = true;
    deps.database.region(PRIMARY).role = 'primary';

    // Act: two reconciles with the old primary writable.
    for (let pass = 0; pass < 2; pass += 1) {
      clock.advance(5_000);
      await probeRound(deps, group);
      await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + 60_000 });
    }

    // Assess
    const alarms = deps.notifier.published.filter(({ notification }) => notification.type === 'split-brain-risk');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.notification.severity).toBe('critical');
    expect(alarms[0]?.notification.text).toContain(`${PRIMARY} reports itself primary`);
    const logged = await deps.eventLog.list(group.id);
    expect(logged.filter((event) => event.type === 'SPLIT_BRAIN_RISK')).toHaveLength(1);
  });
});

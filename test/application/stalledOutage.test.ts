import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { confirmDown, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const MINUTE = 60_000;

/** A group whose operator failover to REPLICA stalled at promoting (the replica refuses while it backs up). */
async function stalledWorld() {
  const world = inMemoryWorld();
  const { deps, group, clock } = world;
  await probeRound(deps, group);
  await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
  deps.database.region(REPLICA).busy = 'backing-up';
  await deps.commands.enqueue({
    id: 'failover-1',
    groupId: group.id,
    type: 'failover',
    targetRegion: REPLICA,
    principalArn: 'arn:aws:iam::000000000000:user/oncall',
    reason: 'move off eu-west-1',
    requestedAt: clock.now(),
  });
  const stalled = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
  return { ...world, stalled };
}

async function pass(world: Awaited<ReturnType<typeof stalledWorld>>) {
  return reconcileGroup(world.deps, world.group, { owner: 'a', deadline: world.clock.now() + MINUTE });
}

describe('a stalled failover whose primary stops taking writes', () => {
  it('tells once, with the way out, when the primary fails during the stall', async () => {
    // Prepare
    const world = await stalledWorld();
    const { deps, group } = world;
    const toldBefore = deps.notifier.types();

    // Act: the primary fails while the failover waits for a person; two passes see it.
    await confirmDown(deps, group, [PRIMARY]);
    const first = await pass(world);
    await confirmDown(deps, group, [PRIMARY]);
    const second = await pass(world);

    // Assess
    expect(world.stalled.state).toBe('stalled');
    expect(toldBefore).toEqual(['failover-started', 'failover-stalled']);
    expect([first.state, second.state]).toEqual(['stalled', 'stalled']);
    expect(deps.notifier.types()).toEqual(['failover-started', 'failover-stalled', 'failover-stalled']);
    const alarm = deps.notifier.published.at(-1)!.notification;
    expect(alarm).toMatchObject({ severity: 'critical', subject: expect.stringContaining(`primary ${PRIMARY} takes no writes`) });
    expect(alarm.text).toContain(`fcp retry ${group.id}`);
    expect(alarm.text).toContain('--allow-data-loss');
    const logged = (await deps.eventLog.list(group.id)).filter((event) => event.type === 'PRIMARY_TAKES_NO_WRITES');
    expect(logged).toHaveLength(1);
    expect(deps.database.calls.promoteEffective).toBe(0);
  });

  it('tells again only when the primary took writes in between and then stopped again', async () => {
    // Prepare: the primary failed during the stall and was told.
    const world = await stalledWorld();
    const { deps, group, clock } = world;
    await confirmDown(deps, group, [PRIMARY]);
    await pass(world);

    // Act: it recovers for long enough to be confirmed, then fails again.
    for (let round = 0; round < group.policy.recoveryThreshold + 1; round += 1) {
      clock.advance(group.policy.probeIntervalSeconds * 1000);
      await probeRound(deps, group);
    }
    const recovered = await pass(world);
    const toldWhileRecovered = deps.notifier.types().length;
    await confirmDown(deps, group, [PRIMARY]);
    await pass(world);

    // Assess
    expect(recovered.state).toBe('stalled');
    expect(toldWhileRecovered).toBe(3);
    expect(deps.notifier.types()).toEqual(['failover-started', 'failover-stalled', 'failover-stalled', 'failover-stalled']);
  });

  it('does not tell separately when the primary was already down as the failover stalled', async () => {
    // Prepare: an automatic failover that stalls at promoting, its primary down from the start.
    const world = inMemoryWorld();
    const { deps, group, clock } = world;
    deps.database.region(REPLICA).busy = 'backing-up';
    await confirmDown(deps, group, [PRIMARY]);
    const stalled = await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Act: the next passes see it still down.
    await confirmDown(deps, group, [PRIMARY]);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });

    // Assess: the stall's own notification was the news.
    expect(stalled.state).toBe('stalled');
    expect(deps.notifier.types()).toEqual(['failover-started', 'failover-stalled']);
  });
});

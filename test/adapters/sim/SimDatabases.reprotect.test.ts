import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';
import { SimDatabases } from '../../../src/adapters/sim/SimDatabases.js';
import { replicaIdentity, withDatabase } from '../../../src/domain/liveTopology.js';
import { threeRegionGroup } from './group.js';

const group = threeRegionGroup();
const spec = { identifier: 'shop-eu-west-1-r1', sourceRegion: 'eu-central-1', operationId: 'cmd-1' };

function build() {
  const clock = new ManualClock(1_000_000);
  const databases = new SimDatabases(
    group,
    clock,
    { promotionSeconds: 60, stopSeconds: 20, apiLatencyMs: 0, writesPerSecond: 10, replicaLagSeconds: 1, regions: {} },
    () => false,
  );
  return { clock, database: databases.viewFrom(undefined) };
}

describe('SimDatabases reprotect', () => {
  it('creates a replica of the named source once, creating for the promotion time and then available', async () => {
    // Prepare
    const { clock, database } = build();
    const replica = withDatabase(group, 'eu-west-1', replicaIdentity(group, 'eu-west-1', 1)!);

    // Act
    const first = await database.createReplica!(group, 'eu-west-1', spec);
    const second = await database.createReplica!(group, 'eu-west-1', spec);
    const creating = await database.describe(replica, 'eu-west-1');
    await clock.advance(60_000);
    const ready = await database.describe(replica, 'eu-west-1');
    const original = await database.describe(group, 'eu-west-1');

    // Assess
    expect([first, second]).toEqual(['created', 'exists']);
    expect(creating).toMatchObject({ role: 'replica', status: 'creating', sourceRegion: 'eu-central-1' });
    expect(ready).toMatchObject({ role: 'replica', status: 'available', sourceRegion: 'eu-central-1', writable: false });
    expect(original.role).toBe('primary');
  });

  it('promotes the created replica, not the configured instance', async () => {
    // Prepare
    const { clock, database } = build();
    const replica = withDatabase(group, 'eu-west-1', replicaIdentity(group, 'eu-west-1', 1)!);
    await database.createReplica!(group, 'eu-west-1', spec);
    await clock.advance(60_000);

    // Act
    const outcome = await database.promote(replica, 'eu-west-1', { failoverId: 'f-2', planned: false, allowDataLoss: true, fromRegion: 'eu-central-1' });
    await clock.advance(60_000);

    // Assess
    expect(outcome).toBe('started');
    expect(await database.describe(replica, 'eu-west-1')).toMatchObject({ role: 'standalone', writable: true });
  });
});

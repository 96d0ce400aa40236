import type { GroupConfig } from '../config/schema.js';
import { withLiveTopology, type LiveTopology } from '../domain/liveTopology.js';
import type { EpochMs, FencingMode, GroupId, RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Database, DatabaseState, DescribeOptions, FenceOutcome, PromoteOptions, PromoteOutcome } from '../ports/Database.js';
import type { StateStore } from '../ports/StateStore.js';

/** How long a group's tracked topology is reused before it is read again: about one probe round. */
export const TOPOLOGY_CACHE_MS = 5_000;

/**
 * The Database port for callers that hold no group record (the probe): each call reaches the database the group
 * record tracks for the region (a reprotect's replica), not the one the configuration file names. The record is
 * read at most once per `maxAgeMs` per group, one read shared by the calls that wait for it. A record that cannot be read leaves the configured identifiers:
 * the probe still observes, and a wrong identifier shows as a failed describe, never as a healthy region.
 *
 * @example
 * const database = trackedDatabase(new AwsDatabase(...), stores.stateStore, systemClock);
 * await database.describe(group, 'eu-west-1'); // orders-eu-west-1-r1 after a reprotect of eu-west-1
 */
export function trackedDatabase(
  database: Database,
  stateStore: Pick<StateStore, 'load'>,
  clock: Clock,
  maxAgeMs: number = TOPOLOGY_CACHE_MS,
): Database {
  const cache = new Map<GroupId, { topology: Promise<LiveTopology | undefined>; readAt: EpochMs }>();
  const live = async (group: GroupConfig): Promise<GroupConfig> => {
    const now = clock.now();
    const cached = cache.get(group.id);
    if (cached !== undefined && now - cached.readAt < maxAgeMs) return withLiveTopology(group, await cached.topology);
    // The read in flight is shared: a round describes a group's regions at once, and one read serves them all.
    const topology = stateStore.load(group.id).then(
      (record) => record?.topology,
      async () => cached?.topology,
    );
    cache.set(group.id, { topology, readAt: now });
    return withLiveTopology(group, await topology);
  };
  const tracked: Database = {
    describe: async (group: GroupConfig, region: RegionName, options?: DescribeOptions): Promise<DatabaseState> =>
      database.describe(await live(group), region, options),
    fence: async (group: GroupConfig, region: RegionName, mode: FencingMode): Promise<FenceOutcome> => database.fence(await live(group), region, mode),
    promote: async (group: GroupConfig, region: RegionName, options: PromoteOptions): Promise<PromoteOutcome> =>
      database.promote(await live(group), region, options),
  };
  return tracked;
}

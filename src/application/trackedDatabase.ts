import type { GroupConfig } from '../config/schema.js';
import { withLiveTopology, type LiveTopology } from '../domain/liveTopology.js';
import type { EpochMs, FencingMode, GroupId, RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Database, DatabaseState, DescribeOptions, FenceOutcome, PromoteOptions, PromoteOutcome } from '../ports/Database.js';
import type { StateStore } from '../ports/StateStore.js';

/** How long a group's tracked topology is reused before it is read again: about one probe round. */
export const TOPOLOGY_CACHE_MS = 5_000;

export interface TrackedDatabaseOptions {
  /** How long a read topology is reused (default `TOPOLOGY_CACHE_MS`). */
  readonly maxAgeMs?: number;
  /**
   * The groups the caller will ask about (the probe's configuration): the first call of a round reads all of them
   * at once. Groups asked about later are added to them.
   */
  readonly groups?: readonly GroupConfig[];
}

/**
 * The Database port for callers that hold no group record (the probe): each call reaches the database the group
 * record tracks for the region (a reprotect's replica), not the one the configuration file names. The records are
 * read at most once per `maxAgeMs` per group: a call that finds its group's topology old reads, in one
 * `loadTopologies` (a few batched requests), that of every known group whose own is old too, so a probe round over
 * 1,000 groups reads them together, and the calls that wait for a read share it. A record that cannot be read leaves
 * the topology read last, else the configured identifiers: the probe still observes, and a wrong identifier shows as
 * a failed describe, never as a healthy region.
 *
 * @example
 * const database = trackedDatabase(new AwsDatabase(...), stores.stateStore, systemClock, { groups: config.groups });
 * await database.describe(group, 'eu-west-1'); // orders-eu-west-1-r1 after a reprotect of eu-west-1
 */
export function trackedDatabase(
  database: Database,
  stateStore: Pick<StateStore, 'loadTopologies'>,
  clock: Clock,
  options: TrackedDatabaseOptions = {},
): Database {
  const maxAgeMs = options.maxAgeMs ?? TOPOLOGY_CACHE_MS;
  const known = new Set<GroupId>((options.groups ?? []).map((group) => group.id));
  const cache = new Map<GroupId, { topology: Promise<LiveTopology | undefined>; readAt: EpochMs }>();
  const isFresh = (groupId: GroupId, now: EpochMs): boolean => {
    const cached = cache.get(groupId);
    return cached !== undefined && now - cached.readAt < maxAgeMs;
  };
  const readAll = (now: EpochMs): void => {
    const stale = [...known].filter((groupId) => !isFresh(groupId, now));
    const previous = new Map(stale.map((groupId) => [groupId, cache.get(groupId)?.topology]));
    const reads = stateStore.loadTopologies(stale);
    for (const groupId of stale) {
      // The read in flight is shared: a round describes every group's regions at once, and one read serves them all.
      const topology = reads.then(
        (answers) => {
          const answer = answers.get(groupId);
          return answer !== undefined && 'topology' in answer ? answer.topology : previous.get(groupId);
        },
        () => previous.get(groupId),
      );
      cache.set(groupId, { topology, readAt: now });
    }
  };
  const live = async (group: GroupConfig): Promise<GroupConfig> => {
    const now = clock.now();
    known.add(group.id);
    if (!isFresh(group.id, now)) readAll(now);
    return withLiveTopology(group, await cache.get(group.id)!.topology);
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

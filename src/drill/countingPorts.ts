import type { Database, PromoteOutcome } from '../ports/Database.js';
import type { Traffic } from '../ports/Traffic.js';

/** What the drill counts of the control plane's effects: the facts `promotions`, `promoteCalls`, `trafficChanges`. */
export interface EffectCounts {
  promoteCalls: number;
  readonly promoteOutcomes: Record<PromoteOutcome, number>;
  trafficChanges: number;
}

/** Zero of everything. */
export function noEffects(): EffectCounts {
  return { promoteCalls: 0, promoteOutcomes: { started: 0, 'in-progress': 0, 'already-promoted': 0 }, trafficChanges: 0 };
}

/**
 * `database` as it is, counting each promote call and its outcome in `counts`. Every method the database has passes
 * through with all its arguments (effect deadlines, reprotect's `createReplica` and `follow`).
 *
 * @example
 * const counts = noEffects();
 * const database = countingDatabase(world.database, counts);
 * counts.promoteOutcomes.started; // promotions the control plane started
 */
export function countingDatabase(database: Database, counts: EffectCounts): Database {
  return {
    describe: (group, region) => database.describe(group, region),
    fence: (group, region, mode, effect) => database.fence(group, region, mode, effect),
    promote: async (group, region, options, effect) => {
      counts.promoteCalls += 1;
      const outcome = await database.promote(group, region, options, effect);
      counts.promoteOutcomes[outcome] += 1;
      return outcome;
    },
    ...(database.createReplica === undefined ? {} : { createReplica: database.createReplica.bind(database) }),
    ...(database.follow === undefined ? {} : { follow: database.follow.bind(database) }),
  };
}

/**
 * `traffic` as it is, counting in `counts` each `pointTo` that changed where traffic goes.
 *
 * @example
 * const traffic = countingTraffic(world.traffic, counts);
 * counts.trafficChanges; // switches the control plane made
 */
export function countingTraffic(traffic: Traffic, counts: EffectCounts): Traffic {
  return {
    currentRegion: (group) => traffic.currentRegion(group),
    changeStatus: (changeId) => traffic.changeStatus(changeId),
    pointTo: async (group, region, comment, effect) => {
      const result = await traffic.pointTo(group, region, comment, effect);
      if (result.changed) counts.trafficChanges += 1;
      return result;
    },
  };
}

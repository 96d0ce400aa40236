import type { GroupConfig } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import type { Database, DatabaseState, FenceOutcome, FollowOutcome, PromoteOutcome } from '../../ports/Database.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../ports/Traffic.js';
import { packagedWithout as refusal } from '../packagedWithout.js';
import { HAPROXY_CHANGE_PREFIX } from './changeIds.js';

/**
 * What a Lambda artifact carries in place of the PostgreSQL adapters (and the `pg` client they need) when the
 * configuration packaged beside it has no `postgres` database and no HAProxy traffic switch: scripts/package.mjs
 * resolves the composition root's imports of `PostgresDatabase` and `HaproxyTraffic` here. The composition only
 * routes a group to them when its configuration says postgres or haproxy, so with that configuration nothing calls
 * them; if something ever does, the call is refused with what to do, never answered with an invented state.
 */
export { HAPROXY_CHANGE_PREFIX };

const MISSING = 'the PostgreSQL adapters';
const BECAUSE = 'its configuration has no postgres database or HAProxy switch';

function packagedWithout(group: GroupConfig, region: RegionName | undefined) {
  return refusal({ groupId: group.id, ...(region === undefined ? {} : { region }) }, MISSING, BECAUSE);
}

/** The Database port of a `postgres` region, absent from this artifact: every call is refused. */
export class PostgresDatabase implements Database {
  describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    return Promise.reject(packagedWithout(group, region));
  }

  fence(group: GroupConfig, region: RegionName): Promise<FenceOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }

  promote(group: GroupConfig, region: RegionName): Promise<PromoteOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }

  follow(group: GroupConfig, region: RegionName): Promise<FollowOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }
}

/** The Traffic port of an HAProxy switch, absent from this artifact: every call is refused. */
export class HaproxyTraffic implements Traffic {
  currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    return Promise.reject(packagedWithout(group, undefined));
  }

  pointTo(group: GroupConfig, region: RegionName): Promise<PointToResult> {
    return Promise.reject(packagedWithout(group, region));
  }

  changeStatus(changeId: string): Promise<ChangeStatus> {
    return Promise.reject(refusal({ changeId }, MISSING, BECAUSE));
  }
}

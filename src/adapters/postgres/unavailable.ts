import type { GroupConfig } from '../../config/schema.js';
import { FatalStepError } from '../../domain/errors.js';
import type { RegionName } from '../../domain/types.js';
import type { Database, DatabaseState, FenceOutcome, FollowOutcome, PromoteOutcome } from '../../ports/Database.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../ports/Traffic.js';
import { HAPROXY_CHANGE_PREFIX } from './changeIds.js';

/**
 * What a Lambda artifact carries in place of the PostgreSQL adapters (and the `pg` client they need) when the
 * configuration packaged beside it has no `postgres` database and no HAProxy traffic switch: scripts/package.mjs
 * resolves the composition root's imports of `PostgresDatabase` and `HaproxyTraffic` here. The composition only
 * routes a group to them when its configuration says postgres or haproxy, so with that configuration nothing calls
 * them; if something ever does, the call is refused with what to do, never answered with an invented state.
 */
export { HAPROXY_CHANGE_PREFIX };

function packagedWithout(group: GroupConfig, region: RegionName | undefined): FatalStepError {
  return new FatalStepError(
    `group ${group.id}${region === undefined ? '' : `, region ${region}`}: this artifact was packaged without the PostgreSQL adapters ` +
      'because its configuration has no postgres database or HAProxy switch; package it again with the configuration that has one',
    { groupId: group.id, ...(region === undefined ? {} : { region }) },
  );
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
    return Promise.reject(new FatalStepError(`change ${changeId}: this artifact was packaged without the HAProxy switch`, {}));
  }
}

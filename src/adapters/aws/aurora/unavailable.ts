import type { GroupConfig } from '../../../config/schema.js';
import type { RegionName } from '../../../domain/types.js';
import type { CreateReplicaOutcome, Database, DatabaseState, FenceOutcome, PromoteOutcome } from '../../../ports/Database.js';
import { packagedWithout as refusal } from '../../packagedWithout.js';

/**
 * What a Lambda artifact carries in place of the Aurora Global Database adapter when the configuration packaged beside
 * it has no `aurora-global` database: scripts/package.mjs resolves the AWS database adapter's import of
 * `AuroraGlobalDatabase` here. `AwsDatabase` routes a region to it only when its configuration says aurora-global, so
 * with that configuration nothing calls it; if something ever does, the call is refused with what to do, never
 * answered with an invented state.
 */
export class AuroraGlobalDatabase implements Database {
  constructor(_options: unknown) {}

  describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    return Promise.reject(packagedWithout(group, region));
  }

  fence(group: GroupConfig, region: RegionName): Promise<FenceOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }

  promote(group: GroupConfig, region: RegionName): Promise<PromoteOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }

  createReplica(group: GroupConfig, region: RegionName): Promise<CreateReplicaOutcome> {
    return Promise.reject(packagedWithout(group, region));
  }
}

function packagedWithout(group: GroupConfig, region: RegionName) {
  return refusal({ groupId: group.id, region }, 'the Aurora Global Database adapter', 'its configuration has no aurora-global database');
}

import type { ControlPlaneConfig } from '../config/schema.js';
import { packagedWithout } from '../adapters/packagedWithout.js';
import type { FailoverGroup } from '../domain/group.js';
import type { ConnectionCheckResult, RegionName } from '../domain/types.js';
import type { DatabaseProbe } from '../ports/DatabaseProbe.js';

/**
 * What a Lambda artifact carries in place of connectionCheck.ts (the connection-check adapter, pg, the Secrets Manager
 * client and the RDS signer) when the configuration packaged beside it has no `database.connectionCheck`:
 * scripts/package.mjs resolves the probe handler's import here. The probe builds a database probe only when some
 * region configures a check, so with that configuration nothing calls this; if something ever does, the check is
 * refused with what to do (the probe round counts a refused check as a failed one), never answered with a result.
 */
export function connectionCheckProbe(_config: ControlPlaneConfig, _clients?: unknown): DatabaseProbe {
  return {
    check: (group: FailoverGroup, region: RegionName): Promise<ConnectionCheckResult> =>
      Promise.reject(packagedWithout({ groupId: group.id, region }, 'the database connection-check adapter', 'its configuration has no database.connectionCheck')),
  };
}

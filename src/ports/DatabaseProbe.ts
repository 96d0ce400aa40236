import type { FailoverGroup } from '../domain/group.js';
import type { ConnectionCheckResult, RegionName } from '../domain/types.js';

/**
 * A data-plane check of a region's database from an observer: open a connection to the endpoint configured in
 * `regions.<region>.database.connectionCheck`, run a trivial read (`SELECT 1`), close, all within the configured
 * `timeoutMs`. Unlike the provider's API, a failure here is evidence the database cannot serve the application.
 *
 * Contract: never throws (a failure is a result with `ok: false` and an `error` naming the cause); `checkedAt` is
 * when the check started; `latencyMs` is how long it took (a timeout counts the time it waited). Called only for
 * regions that configure `connectionCheck`. Optionally, for a replica, the same read may report `replicaLagSeconds`
 * measured at `checkedAt`: the probe round then prefers it to an older CloudWatch datapoint (which is a minute old
 * at best, often older than two probe intervals and then unknown).
 *
 * @example
 * const result = await databaseProbe.check(group, 'eu-west-1');
 * if (!result.ok) console.log(`eu-west-1 database: ${result.error}`);
 */
export interface DatabaseProbe {
  check(group: FailoverGroup, region: RegionName): Promise<ConnectionCheckResult>;
}

import type { DatabaseConfig, GroupConfig } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import { FatalStepError } from '../../domain/errors.js';

/**
 * The database configuration of `region` in `group`, checked to be of `kind`.
 *
 * @example
 * const database = databaseConfigOf(group, 'eu-west-1', 'rds-instance'); // database.instanceId
 */
export function databaseConfigOf<K extends DatabaseConfig['kind']>(
  group: GroupConfig,
  region: RegionName,
  kind: K,
): Extract<DatabaseConfig, { kind: K }> {
  const database = group.regions[region]?.database;
  if (database === undefined) {
    throw new FatalStepError(`group ${group.id} has no region ${region}`, { groupId: group.id, region });
  }
  if (database.kind !== kind) {
    throw new FatalStepError(`group ${group.id} region ${region}: database is ${database.kind}, not ${kind}`, {
      groupId: group.id,
      region,
    });
  }
  return database as Extract<DatabaseConfig, { kind: K }>;
}


import type { ConnectionCheckConfig, ControlPlaneConfig, DatabaseConfig, GroupConfig } from './schema.js';

/**
 * The region a group starts with as primary (validated to be exactly one). Lives apart from the schema so the
 * executor's path into a Lambda bundle does not reach zod.
 *
 * @example
 * initialPrimaryOf(group); // 'eu-west-1'
 */
export function initialPrimaryOf(group: GroupConfig): string {
  const entry = Object.entries(group.regions).find(([, region]) => region.initialPrimary);
  if (entry === undefined) throw new Error(`group ${group.id} has no initial primary`);
  return entry[0];
}

/**
 * The data-plane connection check configured for a database, or undefined. Only RDS kinds have one: a `postgres`
 * database is described over a data-plane connection already, so its describe is the check.
 *
 * @example
 * connectionCheckOf(group.regions['eu-west-1'].database)?.timeoutMs; // 2000, or undefined when none is configured
 */
export function connectionCheckOf(database: DatabaseConfig): ConnectionCheckConfig | undefined {
  return database.kind === 'postgres' ? undefined : database.connectionCheck;
}

/**
 * True when some group needs the PostgreSQL adapters (and the `pg` client): a `postgres` database in a region, or an
 * HAProxy traffic switch. A Lambda artifact packaged with a configuration where this is false leaves them out
 * (scripts/package.mjs).
 *
 * @example
 * usesPostgresAdapters(config); // false for config/example.yaml (RDS instances behind a Route 53 record)
 */
export function usesPostgresAdapters(config: Pick<ControlPlaneConfig, 'groups'>): boolean {
  return config.groups.some(
    (group) => group.trafficSwitch?.kind === 'haproxy' || Object.values(group.regions).some((region) => region.database.kind === 'postgres'),
  );
}

/**
 * True when some region of some group is an Aurora global database: a Lambda artifact packaged with a configuration
 * where this is false leaves the Aurora adapter out (scripts/package.mjs).
 *
 * @example
 * usesAuroraGlobalAdapter(config); // false for config/example.yaml (RDS instances)
 */
export function usesAuroraGlobalAdapter(config: Pick<ControlPlaneConfig, 'groups'>): boolean {
  return config.groups.some((group) => Object.values(group.regions).some((region) => region.database.kind === 'aurora-global'));
}

/**
 * True when some group switches traffic with ARC routing controls (`dns.switch: arc-routing-control`): a Lambda
 * artifact packaged with a configuration where this is false leaves the ARC adapter and its SDK client out.
 *
 * @example
 * usesArcRoutingControlAdapter(config); // false for config/example.yaml (a Route 53 record)
 */
export function usesArcRoutingControlAdapter(config: Pick<ControlPlaneConfig, 'groups'>): boolean {
  return config.groups.some((group) => group.dns.switch === 'arc-routing-control');
}

/**
 * True when some region of some group configures `database.connectionCheck`: a probe artifact packaged with a
 * configuration where this is false leaves the connection check, `pg`, the Secrets Manager client and the RDS signer out.
 *
 * @example
 * usesConnectionCheckAdapter(config); // false for config/example.yaml (no connectionCheck)
 */
export function usesConnectionCheckAdapter(config: Pick<ControlPlaneConfig, 'groups'>): boolean {
  return config.groups.some((group) => Object.values(group.regions).some((region) => connectionCheckOf(region.database) !== undefined));
}

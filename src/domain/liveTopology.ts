import type { DatabaseSetup, FailoverGroup, PostgresSetup } from './group.js';
import { protectingRegions } from './topology.js';
import type { EpochMs, RegionHealth, RegionName } from './types.js';

/**
 * A region's database as the control plane tracks it after a reprotect replaced the one in the configuration file:
 * the RDS instance identifier (`rds-instance`) or the Aurora cluster identifier (`aurora-global`), and its ARN.
 */
export interface TrackedDatabase {
  readonly identifier: string;
  readonly arn: string;
  /** How many reprotects have replaced this region's database: the next one's identifier uses `generation + 1`. */
  readonly generation: number;
  readonly since: EpochMs;
  /** The operator command that created it. */
  readonly commandId: string;
}

/**
 * The group's live topology, saved in the group record: the databases that replaced the configured ones, by region.
 * A region absent here still has the database its configuration names. The primary region is the failover
 * machine's (`context.primaryRegion`, saved in the same record), not repeated here.
 */
export interface LiveTopology {
  readonly databases: Readonly<Record<RegionName, TrackedDatabase>>;
}

/** One reprotect: a new cross-region replica of the primary, created in `region`, saved in the group record. */
export interface ReprotectOperation {
  /** The operator command that asked for it. */
  readonly id: string;
  readonly region: RegionName;
  /** The new replica's identifier: chosen when the command is accepted, so a retry finds it instead of creating another. */
  readonly identifier: string;
  readonly arn: string;
  readonly generation: number;
  /** The primary the new replica follows; the operation fails if the primary moves before it completes. */
  readonly sourceRegion: RegionName;
  readonly principalArn: string;
  readonly reason: string;
  /**
   * How: `create-replica` (absent in records saved before postgres existed) asks the provider for a new replica;
   * `repoint` points the region's existing self-managed server at the primary (`Database.follow`), keeping its identity.
   */
  readonly method?: 'create-replica' | 'repoint';
  /** `requested`: saved, not yet created; `creating`: the provider is building it; then `completed` or `failed`. */
  readonly status: 'requested' | 'creating' | 'completed' | 'failed';
  readonly requestedAt: EpochMs;
  readonly createRequestedAt?: EpochMs;
  readonly completedAt?: EpochMs;
  /** The provider's last status of the new replica, or why the operation failed. */
  readonly detail?: string;
}

/** How well the primary is protected: which regions replicate from it now. */
export type Protection =
  | { readonly kind: 'protected'; readonly primaryRegion: RegionName; readonly regions: readonly RegionName[] }
  | { readonly kind: 'unprotected'; readonly primaryRegion: RegionName; readonly fixes: readonly string[] }
  /** Some replica's source is not reported yet: the group may be protected. */
  | { readonly kind: 'unknown'; readonly primaryRegion: RegionName; readonly reason: string };

/** A region's database identifier and ARN now: the tracked one after a reprotect, else the configured one. */
export function databaseIdentity(group: FailoverGroup, region: RegionName, topology?: LiveTopology): { identifier: string; arn: string } | undefined {
  const tracked = topology?.databases[region];
  if (tracked !== undefined) return { identifier: tracked.identifier, arn: tracked.arn };
  const database = group.regions[region]?.database;
  if (database === undefined) return undefined;
  return configuredIdentity(database);
}

/**
 * A configured database's identifier and ARN: the RDS instance identifier, the Aurora cluster identifier, or for a
 * self-managed `postgres` server its `host:port` (it has no ARN: its `arn` is its `postgres://host:port` address).
 *
 * @example
 * configuredIdentity({ kind: 'postgres', host: '10.0.1.5', connectTimeoutMs: 2000, promoteWaitSeconds: 60 });
 * // { identifier: '10.0.1.5:5432', arn: 'postgres://10.0.1.5:5432' }
 */
export function configuredIdentity(database: DatabaseSetup): { identifier: string; arn: string } {
  if (database.kind === 'rds-instance') return { identifier: database.instanceId, arn: database.instanceArn };
  if (database.kind === 'aurora-global') return { identifier: resourceName(database.clusterArn), arn: database.clusterArn };
  const address = postgresAddress(database);
  return { identifier: address, arn: `postgres://${address}` };
}

const POSTGRES_DEFAULT_PORT = 5432;

function postgresAddress(database: PostgresSetup): string {
  if (database.url !== undefined) {
    const url = new URL(database.url);
    return `${url.hostname}:${url.port === '' ? POSTGRES_DEFAULT_PORT : url.port}`;
  }
  return `${database.host ?? 'localhost'}:${database.port ?? POSTGRES_DEFAULT_PORT}`;
}

/**
 * The group as the adapters must see it now: each region's configured database identifiers replaced by the tracked
 * ones, so every describe, fence and promote reaches the database a reprotect created, not the one it replaced.
 *
 * @example
 * const live = withLiveTopology(group, record.topology);
 * await database.describe(live, 'eu-west-1'); // describes orders-eu-db-r1 after a reprotect of eu-west-1
 */
export function withLiveTopology(group: FailoverGroup, topology: LiveTopology | undefined): FailoverGroup {
  const tracked = Object.entries(topology?.databases ?? {});
  if (tracked.length === 0) return group;
  const regions = { ...group.regions };
  for (const [region, database] of tracked) {
    const config = regions[region];
    if (config === undefined) continue;
    regions[region] = { ...config, database: withIdentity(config.database, database) };
  }
  return { ...group, regions };
}

/** The group with one region's database swapped for `identity`: to look at a replica being created. */
export function withDatabase(group: FailoverGroup, region: RegionName, identity: { identifier: string; arn: string }): FailoverGroup {
  const config = group.regions[region];
  if (config === undefined) return group;
  return { ...group, regions: { ...group.regions, [region]: { ...config, database: withIdentity(config.database, identity) } } };
}

function withIdentity(
  database: DatabaseSetup,
  identity: { identifier: string; arn: string },
): DatabaseSetup {
  // A postgres server is never replaced by a reprotect (it is repointed in place): it keeps its configured address.
  if (database.kind === 'postgres') return database;
  return database.kind === 'rds-instance'
    ? { ...database, instanceId: identity.identifier, instanceArn: identity.arn }
    : { ...database, clusterArn: identity.arn };
}

const MAX_IDENTIFIER = 63;

/**
 * How many times one region's database can be replaced by a reprotect. The deployment grants the control plane's
 * role its RDS actions on exactly these identifiers (`<configured>-r1` ... `-r3`), never on a wildcard; past them,
 * update the configuration to name the current database and redeploy.
 */
export const REPROTECT_GENERATIONS = 3;

/**
 * The identifier of the replica the `generation`th reprotect of `region` creates: the configured identifier with
 * `-r<generation>`, shortened to RDS's 63 characters. Deterministic, so a retry after a crash looks for the same
 * instance instead of creating a second one. The ARN is the configured one with the last name replaced.
 *
 * @example
 * replicaIdentity(group, 'eu-west-1', 1); // { identifier: 'orders-eu-r1', arn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-eu-r1' }
 */
export function replicaIdentity(group: FailoverGroup, region: RegionName, generation: number): { identifier: string; arn: string } | undefined {
  if (group.regions[region]?.database.kind === 'postgres') return undefined;
  const configured = databaseIdentity(group, region);
  if (configured === undefined) return undefined;
  const suffix = `-r${generation}`;
  const base = configured.identifier
    .slice(0, MAX_IDENTIFIER - suffix.length)
    .replace(/--+/g, '-')
    .replace(/-+$/, '');
  const identifier = `${base}${suffix}`;
  const separator = configured.arn.lastIndexOf(':');
  return { identifier, arn: `${configured.arn.slice(0, separator + 1)}${identifier}` };
}

function resourceName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * How protected `primaryRegion` is: protected by the regions whose fresh reports say they replicate from it;
 * unprotected when no region does (losing the primary now loses the group), with the commands that fix it;
 * unknown while a replica's source is not reported (it may well follow the primary).
 *
 * @example
 * protectionOf(health, 'us-east-1', 'orders');
 * // { kind: 'unprotected', fixes: ['fcp reprotect orders --region eu-west-1 --reason "..."'], ... }
 */
export function protectionOf(health: Readonly<Record<RegionName, RegionHealth>>, primaryRegion: RegionName, groupId: string): Protection {
  const regions = protectingRegions(health, primaryRegion);
  if (regions.length > 0) return { kind: 'protected', primaryRegion, regions };
  const others = Object.values(health).filter((region) => region.region !== primaryRegion);
  // Only a region whose fresh reports show a writer (no source at all) is known not to protect; a replica whose
  // source is missing, or a region whose role is not known from fresh reports, leaves protection unknown.
  const unknownSource = others.filter(
    (region) => region.replicationSource === undefined && region.databaseRole !== 'primary' && region.databaseRole !== 'standalone',
  );
  if (others.length === 0 || unknownSource.length > 0) {
    return {
      kind: 'unknown',
      primaryRegion,
      reason:
        others.length === 0
          ? 'no other region has been observed yet'
          : `the replication source of ${unknownSource.map((region) => region.region).join(', ')} is not reported`,
    };
  }
  const fixes = others
    .filter((region) => region.verdict !== 'unhealthy')
    .map((region) => `fcp reprotect ${groupId} --region ${region.region} --reason "..."`);
  return { kind: 'unprotected', primaryRegion, fixes };
}

/**
 * One sentence for status, plan and notifications.
 *
 * @example
 * describeProtection(protection); // 'UNPROTECTED: no region replicates from us-east-1; losing it now loses the group. Fix: fcp reprotect ...'
 */
export function describeProtection(protection: Protection): string {
  switch (protection.kind) {
    case 'protected':
      return `protected: ${protection.regions.join(', ')} replicate${protection.regions.length === 1 ? 's' : ''} from the primary ${protection.primaryRegion}`;
    case 'unknown':
      return `protection unknown: ${protection.reason}`;
    case 'unprotected':
      return (
        `UNPROTECTED: no region replicates from the primary ${protection.primaryRegion}; losing it now loses the group. ` +
        (protection.fixes.length > 0
          ? `Fix: ${protection.fixes.join(' (or) ')}`
          : 'Fix: once another region is healthy again, fcp reprotect <group> --region <region> --reason "..."')
      );
  }
}

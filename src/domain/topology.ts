import type { RegionHealth, RegionName } from './types.js';

/**
 * Why a replica region cannot take over from `primaryRegion` because of what it replicates from, or undefined when
 * it follows the primary (or its source is not known yet: the caller decides what unknown means).
 * A replica that follows anything but the current primary is `orphaned`: promoting it would drop every write made on
 * the primary since it stopped following it.
 *
 * @example
 * orphanReason(health['ap-south-1'], 'us-east-1'); // 'replicates from eu-west-1, not from the primary us-east-1'
 */
export function orphanReason(health: RegionHealth | undefined, primaryRegion: RegionName): string | undefined {
  const source = health?.replicationSource;
  if (source === undefined || source === primaryRegion) return undefined;
  return `replicates from ${source}, not from the primary ${primaryRegion}`;
}

/**
 * The regions that protect `primaryRegion` now: replicas whose fresh reports say they replicate from it.
 * An empty list means the group is unprotected: losing the primary now loses the group.
 *
 * @example
 * protectingRegions(health, 'us-east-1'); // ['eu-west-1']
 */
export function protectingRegions(health: Readonly<Record<RegionName, RegionHealth>>, primaryRegion: RegionName): RegionName[] {
  return Object.values(health)
    .filter((region) => region.region !== primaryRegion && region.databaseRole === 'replica' && region.replicationSource === primaryRegion)
    .map((region) => region.region);
}

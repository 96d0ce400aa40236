import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { packagedWithout } from '../adapters/packagedWithout.js';
import type { RegionName } from '../domain/types.js';
import type { ChangeStatus, PointToResult, Traffic } from '../ports/Traffic.js';

/**
 * What a Lambda artifact carries in place of arcTraffic.ts (the ARC adapter and its SDK client) when the configuration
 * packaged beside it has no group with `dns.switch: arc-routing-control`: scripts/package.mjs resolves the composition
 * root's import here. The traffic port only routes a group to ARC when its configuration says so, and a change id to
 * ARC when ARC made it, so with that configuration nothing calls this; if something ever does, the call is refused
 * with what to do, never answered with an invented state.
 */
export function arcRoutingControlTraffic(_config: ControlPlaneConfig, _clients: unknown): Traffic {
  const refused = (subject: { groupId?: string; region?: RegionName; changeId?: string }) =>
    packagedWithout(subject, 'the ARC routing-control switch', 'its configuration has no group with dns.switch arc-routing-control');
  return {
    currentRegion: (group: GroupConfig): Promise<RegionName | undefined> => Promise.reject(refused({ groupId: group.id })),
    pointTo: (group: GroupConfig, region: RegionName): Promise<PointToResult> => Promise.reject(refused({ groupId: group.id, region })),
    changeStatus: (changeId: string): Promise<ChangeStatus> => Promise.reject(refused({ changeId })),
  };
}

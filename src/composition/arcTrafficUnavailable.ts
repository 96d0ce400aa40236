import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { FatalStepError } from '../domain/errors.js';
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
  const packagedWithout = (subject: string, context: { groupId?: string; region?: RegionName }) =>
    new FatalStepError(
      `${subject}: this artifact was packaged without the ARC routing-control switch because its configuration has no ` +
        'group with dns.switch arc-routing-control; package it again with the configuration that has one',
      context,
    );
  return {
    currentRegion: (group: GroupConfig): Promise<RegionName | undefined> => Promise.reject(packagedWithout(`group ${group.id}`, { groupId: group.id })),
    pointTo: (group: GroupConfig, region: RegionName): Promise<PointToResult> =>
      Promise.reject(packagedWithout(`group ${group.id}, region ${region}`, { groupId: group.id, region })),
    changeStatus: (changeId: string): Promise<ChangeStatus> => Promise.reject(packagedWithout(`change ${changeId}`, {})),
  };
}

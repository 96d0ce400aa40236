import type { GroupConfig, TrafficSwitch } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../ports/Traffic.js';

/**
 * One Traffic port over several switches: each group uses the one its configuration names (`dns.switch`).
 * A change id is routed back to the switch that made it by its prefix.
 *
 * @example
 * const traffic = new TrafficBySwitch({ record: route53Traffic, 'arc-routing-control': arcTraffic }, isRoutingControlChange);
 */
export class TrafficBySwitch implements Traffic {
  constructor(
    private readonly switches: Readonly<Record<TrafficSwitch, Traffic>>,
    /** True when a change id was made by the ARC switch; every other id is a Route 53 change. */
    private readonly isRoutingControlChange: (changeId: string) => boolean,
  ) {}

  currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    return this.switches[group.dns.switch].currentRegion(group);
  }

  pointTo(group: GroupConfig, region: RegionName, comment: string): Promise<PointToResult> {
    return this.switches[group.dns.switch].pointTo(group, region, comment);
  }

  changeStatus(changeId: string): Promise<ChangeStatus> {
    const target = this.isRoutingControlChange(changeId) ? 'arc-routing-control' : 'record';
    return this.switches[target].changeStatus(changeId);
  }
}

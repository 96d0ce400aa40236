import type { GroupConfig } from '../../src/config/schema.js';
import type { RegionName } from '../../src/domain/types.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../src/ports/Traffic.js';
import { SimHostedZone } from '../../src/adapters/sim/SimHostedZone.js';
import { abandonIfLate } from './effectDeadline.js';

/** One simulated hosted zone per group behind one Traffic port; change ids name their group. */
export class SimTraffic implements Traffic {
  private readonly zones = new Map<string, SimHostedZone>();
  /** Record changes made in every zone (the invariants watch it). */
  changes = 0;

  constructor(groups: readonly GroupConfig[], private readonly clock: Clock, timings: { dnsSyncSeconds: number; apiLatencyMs: number }) {
    for (const group of groups) this.zones.set(group.id, new SimHostedZone(group, clock, timings));
  }

  zone(groupId: string): SimHostedZone {
    const zone = this.zones.get(groupId);
    if (zone === undefined) throw new RangeError(`no simulated zone for group ${groupId}`);
    return zone;
  }

  currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    return this.zone(group.id).currentRegion(group);
  }

  async pointTo(group: GroupConfig, region: RegionName, comment: string, effect?: EffectOptions): Promise<PointToResult> {
    abandonIfLate(this.clock, effect, { groupId: group.id, step: 'switchingTraffic' });
    const result = await this.zone(group.id).pointTo(group, region, comment);
    if (result.changed) this.changes += 1;
    return result.changeId === undefined ? result : { ...result, changeId: `${group.id}${result.changeId}` };
  }

  changeStatus(changeId: string): Promise<ChangeStatus> {
    const slash = changeId.indexOf('/');
    return this.zone(changeId.slice(0, slash)).changeStatus(changeId.slice(slash));
  }
}

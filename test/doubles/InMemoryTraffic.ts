import type { GroupConfig } from '../../src/config/schema.js';
import type { RegionName } from '../../src/domain/types.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../src/ports/Traffic.js';
import { assertInTime } from './effectDeadline.js';

/**
 * A DNS record that points at one region; changes become INSYNC `syncMs` after they are made. Counts calls; a change
 * lands only before its effect deadline.
 */
export class InMemoryTraffic implements Traffic {
  readonly calls = { currentRegion: 0, pointTo: 0, changes: 0, changeStatus: 0 };
  readonly changes: { id: string; region: RegionName; comment: string; at: number }[] = [];

  constructor(
    private readonly clock: Clock,
    private pointsAt: RegionName,
    private readonly syncMs = 10_000,
  ) {}

  async currentRegion(_group: GroupConfig): Promise<RegionName | undefined> {
    this.calls.currentRegion += 1;
    return this.pointsAt;
  }

  async pointTo(_group: GroupConfig, region: RegionName, comment: string, effect?: EffectOptions): Promise<PointToResult> {
    this.calls.pointTo += 1;
    if (this.pointsAt === region) return { changed: false };
    assertInTime(this.clock, effect);
    this.pointsAt = region;
    const change = { id: `C${this.changes.length + 1}`, region, comment, at: this.clock.now() };
    this.changes.push(change);
    this.calls.changes += 1;
    return { changed: true, changeId: change.id };
  }

  async changeStatus(changeId: string): Promise<ChangeStatus> {
    this.calls.changeStatus += 1;
    const change = this.changes.find((candidate) => candidate.id === changeId);
    if (change === undefined) throw new Error(`no change ${changeId}`);
    return this.clock.now() - change.at >= this.syncMs ? 'INSYNC' : 'PENDING';
  }
}

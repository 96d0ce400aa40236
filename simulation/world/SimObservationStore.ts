import { withHeartbeats, type ObserverHeartbeat } from '../../src/domain/heartbeats.js';
import { replacesStoredReport } from '../../src/domain/observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../../src/domain/types.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';

/**
 * The observation store of test/doubles/InMemoryObservationStore.ts (one report per group, region and observer; an
 * older report never overwrites a newer one) without its defensive copies: reports are immutable values here, and the
 * simulator reads and writes thousands of them per schedule. One heartbeat per (observer, shard), replaced by each write.
 */
export class SimObservationStore implements ObservationStore {
  private readonly byGroup = new Map<GroupId, Map<string, ObserverReport>>();
  private readonly byShard = new Map<string, Map<RegionName, ObserverHeartbeat>>();

  async putReports(reports: readonly ObserverReport[], now?: EpochMs): Promise<void> {
    for (const report of reports) await this.put(report, now);
  }

  async getReports(groupId: GroupId, observerRegion: RegionName): Promise<ObserverReport[]> {
    return (await this.listForGroup(groupId, [])).filter((report) => report.observerRegion === observerRegion);
  }

  async put(report: ObserverReport, now?: EpochMs): Promise<void> {
    let reports = this.byGroup.get(report.groupId);
    if (reports === undefined) this.byGroup.set(report.groupId, (reports = new Map()));
    const key = `${report.region}\u0000${report.observerRegion}`;
    const stored = reports.get(key);
    if (replacesStoredReport(stored, report, now)) reports.set(key, Object.freeze(report));
  }

  async get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined> {
    return this.byGroup.get(groupId)?.get(`${region}\u0000${observerRegion}`);
  }

  async listForGroup(groupId: GroupId, heartbeats: readonly ObserverHeartbeat[]): Promise<ObserverReport[]> {
    const reports = [...(this.byGroup.get(groupId)?.values() ?? [])];
    return withHeartbeats(reports.sort((a, b) => compare(a.region, b.region) || compare(a.observerRegion, b.observerRegion)), heartbeats);
  }

  async putHeartbeat(heartbeat: ObserverHeartbeat): Promise<void> {
    let heartbeats = this.byShard.get(heartbeat.shard);
    if (heartbeats === undefined) this.byShard.set(heartbeat.shard, (heartbeats = new Map()));
    heartbeats.set(heartbeat.observerRegion, Object.freeze(heartbeat));
  }

  async heartbeats(shard: string): Promise<ObserverHeartbeat[]> {
    return [...(this.byShard.get(shard)?.values() ?? [])];
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { withHeartbeats, type ObserverHeartbeat } from '../../src/domain/heartbeats.js';
import { oneObserverAndGroup, replacesStoredReport } from '../../src/domain/observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../../src/domain/types.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';
import { CallLog } from './CallLog.js';

type Method = 'putReports' | 'getReports' | 'listForGroup' | 'putHeartbeat' | 'heartbeats';

/**
 * ObservationStore in memory: one report per (group, region, observer), one observer's reports of a group saved by
 * one `putReports` call (counted as one write, as in the table). As in the table, a report older than the stored one
 * (by `observedAt`) is ignored, so a slow probe cannot overwrite a newer view. `put` and `get` go through
 * `putReports` and `getReports`, so the counts are the table's requests. Heartbeats: one per (observer, shard), each
 * `putHeartbeat` replaces it.
 *
 * @example
 * const observations = new InMemoryObservationStore();
 * await observations.putReports([report]);
 * expect(await observations.get('g1', 'eu-west-1', 'us-east-1')).toEqual(report);
 * observations.calls.putReports; // 1
 */
export class InMemoryObservationStore extends CallLog<Method> implements ObservationStore {
  constructor() {
    super(['putReports', 'getReports', 'listForGroup', 'putHeartbeat', 'heartbeats']);
  }

  private readonly reports = new Map<string, ObserverReport>();
  private readonly stored = new Map<string, ObserverHeartbeat>();

  async putReports(reports: readonly ObserverReport[], now?: EpochMs): Promise<void> {
    this.enter('putReports');
    oneObserverAndGroup(reports);
    for (const report of reports) {
      const key = keyOf(report.groupId, report.region, report.observerRegion);
      if (replacesStoredReport(this.reports.get(key), report, now)) this.reports.set(key, structuredClone(report));
    }
  }

  async put(report: ObserverReport, now?: EpochMs): Promise<void> {
    await this.putReports([report], now);
  }

  async getReports(groupId: GroupId, observerRegion: RegionName): Promise<ObserverReport[]> {
    this.enter('getReports');
    return structuredClone(
      [...this.reports.values()].filter((report) => report.groupId === groupId && report.observerRegion === observerRegion).sort((a, b) => compare(a.region, b.region)),
    );
  }

  async get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined> {
    return (await this.getReports(groupId, observerRegion)).find((report) => report.region === region);
  }

  async listForGroup(groupId: GroupId, heartbeats: readonly ObserverHeartbeat[]): Promise<ObserverReport[]> {
    this.enter('listForGroup');
    const reports = [...this.reports.values()]
      .filter((report) => report.groupId === groupId)
      .sort((a, b) => compare(a.region, b.region) || compare(a.observerRegion, b.observerRegion));
    return structuredClone(withHeartbeats(reports, heartbeats));
  }

  async putHeartbeat(heartbeat: ObserverHeartbeat): Promise<void> {
    this.enter('putHeartbeat');
    this.stored.set(`${heartbeat.shard}\u0000${heartbeat.observerRegion}`, structuredClone(heartbeat));
  }

  async heartbeats(shard: string): Promise<ObserverHeartbeat[]> {
    this.enter('heartbeats');
    return structuredClone([...this.stored.values()].filter((heartbeat) => heartbeat.shard === shard).sort((a, b) => compare(a.observerRegion, b.observerRegion)));
  }
}

function keyOf(groupId: GroupId, region: RegionName, observerRegion: RegionName): string {
  return `${groupId}\u0000${region}\u0000${observerRegion}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { replacesStoredReport } from '../../src/domain/observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../../src/domain/types.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';
import { CallLog } from './CallLog.js';

type Method = 'put' | 'get' | 'listForGroup';

/**
 * ObservationStore in memory: one report per (group, region, observer). As in the table, a report older than the
 * stored one (by `observedAt`) is ignored, so a slow probe cannot overwrite a newer view.
 *
 * @example
 * const observations = new InMemoryObservationStore();
 * await observations.put(report);
 * expect(await observations.get('g1', 'eu-west-1', 'us-east-1')).toEqual(report);
 */
export class InMemoryObservationStore extends CallLog<Method> implements ObservationStore {
  constructor() {
    super(['put', 'get', 'listForGroup']);
  }

  private readonly reports = new Map<string, ObserverReport>();

  async put(report: ObserverReport, now?: EpochMs): Promise<void> {
    this.enter('put');
    const key = keyOf(report.groupId, report.region, report.observerRegion);
    const stored = this.reports.get(key);
    if (replacesStoredReport(stored, report, now)) this.reports.set(key, structuredClone(report));
  }

  async get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined> {
    this.enter('get');
    return structuredClone(this.reports.get(keyOf(groupId, region, observerRegion)));
  }

  async listForGroup(groupId: GroupId): Promise<ObserverReport[]> {
    this.enter('listForGroup');
    return structuredClone(
      [...this.reports.values()]
        .filter((report) => report.groupId === groupId)
        .sort((a, b) => compare(a.region, b.region) || compare(a.observerRegion, b.observerRegion)),
    );
  }
}

function keyOf(groupId: GroupId, region: RegionName, observerRegion: RegionName): string {
  return `${groupId}\u0000${region}\u0000${observerRegion}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import type { GroupId, ObserverReport, RegionName } from '../../src/domain/types.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';

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
export class InMemoryObservationStore implements ObservationStore {
  readonly calls: Record<Method, number> = { put: 0, get: 0, listForGroup: 0 };
  private readonly reports = new Map<string, ObserverReport>();
  private readonly failures = new Map<Method, unknown>();

  /** Makes the next call of `method` throw `error` without touching the stored reports. */
  failNext(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  async put(report: ObserverReport): Promise<void> {
    this.enter('put');
    const key = keyOf(report.groupId, report.region, report.observerRegion);
    const stored = this.reports.get(key);
    if (stored === undefined || stored.observedAt <= report.observedAt) this.reports.set(key, structuredClone(report));
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

  private enter(method: Method): void {
    this.calls[method] += 1;
    if (this.failures.has(method)) {
      const error = this.failures.get(method);
      this.failures.delete(method);
      throw error;
    }
  }
}

function keyOf(groupId: GroupId, region: RegionName, observerRegion: RegionName): string {
  return `${groupId}\u0000${region}\u0000${observerRegion}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

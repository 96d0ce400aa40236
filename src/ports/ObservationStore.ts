import type { EpochMs, GroupId, ObserverReport, RegionName } from '../domain/types.js';

/**
 * Where probes leave their reports for the orchestrator: one report per (group, region, observer), and one observer's
 * reports of one group kept together, so that a probe round saves each group with one write (issue #11: a write per
 * group × region × observer was most of the DynamoDB bill).
 *
 * @example
 * const previous = await observations.getReports('orders', observerRegion);
 * await observations.putReports(regions.map((region) => nextObserverReport(previous.find(...), { ... })), clock.now());
 */
export interface ObservationStore {
  /**
   * Saves one observer's reports of one group (any of its regions) in one write. Each report is kept unless the stored
   * one of its region is newer (`replacesStoredReport` in src/domain/observations.ts): `now`, the writer's clock, lets
   * a report stamped in its future be replaced. The others of the set are kept all the same.
   */
  putReports(reports: readonly ObserverReport[], now?: EpochMs): Promise<void>;
  /** One report: `putReports([report], now)`. */
  put(report: ObserverReport, now?: EpochMs): Promise<void>;
  /** The observer's stored reports of the group, one per region it has reported on, by region. */
  getReports(groupId: GroupId, observerRegion: RegionName): Promise<ObserverReport[]>;
  get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined>;
  /** Every observer's reports of the group, by region, then observer. */
  listForGroup(groupId: GroupId): Promise<ObserverReport[]>;
}

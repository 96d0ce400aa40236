import type { EpochMs, GroupId, ObserverReport, RegionName } from '../domain/types.js';

/**
 * Where probes leave their reports for the orchestrator: one item per (group, region, observer).
 *
 * @example
 * const previous = await observations.get('orders', 'eu-west-1', observerRegion);
 * await observations.put(nextObserverReport(previous, { groupId: 'orders', region: 'eu-west-1', observerRegion, round }));
 */
export interface ObservationStore {
  /**
   * Keeps the report unless the stored one is newer (`replacesStoredReport` in src/domain/observations.ts): `now`, the
   * writer's clock, lets a report stamped in its future be replaced.
   */
  put(report: ObserverReport, now?: EpochMs): Promise<void>;
  get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined>;
  listForGroup(groupId: GroupId): Promise<ObserverReport[]>;
}

import type { GroupId, ObserverReport, RegionName } from '../domain/types.js';

/**
 * Where probes leave their reports for the orchestrator: one item per (group, region, observer).
 *
 * @example
 * const previous = await observations.get('orders', 'eu-west-1', observerRegion);
 * await observations.put(nextObserverReport(previous, { groupId: 'orders', region: 'eu-west-1', observerRegion, round }));
 */
export interface ObservationStore {
  put(report: ObserverReport): Promise<void>;
  get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined>;
  listForGroup(groupId: GroupId): Promise<ObserverReport[]>;
}

import type { ObserverHeartbeat } from '../domain/heartbeats.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../domain/types.js';

/**
 * Where probes leave their reports for the orchestrator: one report per (group, region, observer), and one observer's
 * reports of one group kept together, so that a probe round saves each group with one write (issue #11: a write per
 * group × region × observer was most of the DynamoDB bill). A round that finds a group unchanged does not write it:
 * the observer's heartbeat of the group's shard vouches for the stored reports instead (src/domain/heartbeats.ts).
 *
 * @example
 * const previous = await observations.getReports('orders', observerRegion);
 * await observations.putReports(regions.map((region) => nextObserverReport(previous.find(...), { ... })), clock.now());
 * const reports = await observations.listForGroup('orders', await observations.heartbeats('default'));
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
  /** The observer's stored reports of the group, one per region it has reported on, by region, as written. */
  getReports(groupId: GroupId, observerRegion: RegionName): Promise<ObserverReport[]>;
  get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined>;
  /**
   * Every observer's reports of the group, by region, then observer, each as its observer's heartbeat vouches for it
   * (`withHeartbeats`): pass the heartbeats of the group's shard, read once for many groups (a pass reads them once
   * per shard). Without them (`[]`) a report unchanged for a while looks as old as it was written, and goes stale.
   */
  listForGroup(groupId: GroupId, heartbeats: readonly ObserverHeartbeat[]): Promise<ObserverReport[]>;
  /** Replaces the observer's heartbeat of the shard: one write, whatever it vouches for. */
  putHeartbeat(heartbeat: ObserverHeartbeat): Promise<void>;
  /** Every observer's heartbeat of the shard (one read); an unreadable one is left out, so its reports age. */
  heartbeats(shard: string): Promise<ObserverHeartbeat[]>;
}

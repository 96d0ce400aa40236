import { HEARTBEAT_READ_MAX_AGE_MS, type ObserverHeartbeat } from '../domain/heartbeats.js';
import { shardOf } from '../domain/shards.js';
import type { EpochMs, ObserverReport } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { ObservationStore } from '../ports/ObservationStore.js';

/** The observers' heartbeats of a shard, however the caller reads them (once per call, or shared by a pass). */
export type HeartbeatSource = (shard: string) => Promise<readonly ObserverHeartbeat[]>;

/**
 * Every observer's reports of the group as its heartbeats vouch for them: what every reader of reports decides on
 * (the orchestrator, status, plan, doctor, drills). `heartbeats` defaults to one read of the group's shard.
 *
 * @example
 * const reports = await groupReports(deps.observations, group);
 */
export async function groupReports(
  observations: ObservationStore,
  group: { readonly id: string; readonly shard?: string | undefined },
  heartbeats: HeartbeatSource = (shard) => observations.heartbeats(shard),
): Promise<ObserverReport[]> {
  return observations.listForGroup(group.id, await heartbeats(shardOf(group)));
}

/**
 * A heartbeat source shared by the groups of a pass: each shard's heartbeats are read once and reused while the read
 * is at most `maxAgeMs` old (`HEARTBEAT_READ_MAX_AGE_MS`), so 1,000 groups cost one read per shard, not 1,000. A
 * failed read is not kept: its caller sees the error, as it would a failed read of the reports.
 *
 * @example
 * const heartbeats = sharedHeartbeats(deps.observations, deps.clock);
 * await Promise.all(groups.map((group) => groupReports(deps.observations, group, heartbeats)));
 */
export function sharedHeartbeats(observations: ObservationStore, clock: Clock, maxAgeMs = HEARTBEAT_READ_MAX_AGE_MS): HeartbeatSource {
  const reads = new Map<string, { readAt: EpochMs; heartbeats: Promise<readonly ObserverHeartbeat[]> }>();
  return (shard) => {
    const now = clock.now();
    const known = reads.get(shard);
    if (known !== undefined && now - known.readAt <= maxAgeMs && known.readAt <= now) return known.heartbeats;
    const heartbeats = observations.heartbeats(shard);
    const read = { readAt: now, heartbeats };
    reads.set(shard, read);
    heartbeats.catch(() => {
      if (reads.get(shard) === read) reads.delete(shard);
    });
    return heartbeats;
  };
}

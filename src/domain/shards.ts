/**
 * Sharding: which orchestrate invocation acts on which group. A group names its shard in the configuration
 * (`shard`, default `default`); the deployment schedules one orchestrate invocation per shard named, each told its
 * shard, and each shard holds its own lease so that two invocations of one shard never run their passes at once.
 * Two shards never act on one group at once: each acts only on its own groups, and every group keeps its own lease
 * (the fence of every save and effect), so a group moved between shards during a deployment is acted on by one at
 * a time, each pass starting from the other's last save. These are the rules; everything else derives from them.
 */
import { ValidationError } from './errors.js';
import type { FailoverGroup } from './group.js';
import { detectionTimingOf, orchestratePassIntervalMs, probeRoundBudgetMs } from './timing.js';
import type { GroupId } from './types.js';

/** The shard of every group that names none: one shard, one orchestrate invocation a minute. */
export const DEFAULT_SHARD = 'default';

/** A shard name: short, lowercase, safe in a log line, a metric dimension and an EventBridge input. */
export const SHARD_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Orchestrate invocations a configuration may ask for (every input is bounded). */
export const MAX_SHARDS = 64;

/**
 * The shard an orchestrate invocation is told (its schedule's input), checked; none (a plain schedule, a manual run)
 * is `default`'s. A malformed one is refused before anything is loaded.
 *
 * @example
 * shardOfEvent(undefined); // 'default'
 */
export function shardOfEvent(shard: unknown): string {
  const named = shard ?? DEFAULT_SHARD;
  if (typeof named !== 'string' || !SHARD_NAME.test(named)) {
    throw new ValidationError('the orchestrate event is malformed', [`shard: must be a shard name such as ${DEFAULT_SHARD} (got ${JSON.stringify(named)?.slice(0, 40)})`]);
  }
  return named;
}

/**
 * The key of a shard's lease in the state store. A group id never holds `/` (its schema forbids it), so this key
 * can never be a group's.
 *
 * @example
 * shardLeaseKey('default'); // 'shard/default'
 */
export function shardLeaseKey(shard: string): GroupId {
  return `shard/${shard}`;
}

/**
 * The shard a group belongs to.
 *
 * @example
 * shardOf({ shard: undefined }); // 'default'
 */
export function shardOf(group: { readonly shard?: string | undefined }): string {
  return group.shard ?? DEFAULT_SHARD;
}

/**
 * The shards named by `groups`, each once, in the order first named: one orchestrate invocation each.
 *
 * @example
 * shardsOf([{ shard: 'b' }, {}, { shard: 'b' }]); // ['b', 'default']
 */
export function shardsOf(groups: readonly { readonly shard?: string | undefined }[]): string[] {
  return [...new Set(groups.map(shardOf))];
}

/**
 * The groups one shard's invocation acts on.
 *
 * @example
 * groupsOfShard(config.groups, 'eu').map((group) => group.id);
 */
export function groupsOfShard<G extends { readonly shard?: string | undefined }>(groups: readonly G[], shard: string): G[] {
  return groups.filter((group) => shardOf(group) === shard);
}

/**
 * The pass interval of one shard's orchestrate invocation: `orchestratePassIntervalMs` over the shard's groups, with
 * the probe round budget of the whole fleet (every observer probes every group in its rounds).
 *
 * @example
 * shardPassIntervalMs(config.groups, 'default'); // 7_500 with the default policy
 */
export function shardPassIntervalMs(groups: readonly FailoverGroup[], shard: string): number {
  const roundBudgetMs = probeRoundBudgetMs(groups.map(detectionTimingOf));
  const own = groupsOfShard(groups, shard);
  return orchestratePassIntervalMs((own.length > 0 ? own : groups).map(detectionTimingOf), roundBudgetMs);
}

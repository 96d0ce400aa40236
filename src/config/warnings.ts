import { groupsOfShard, shardOf, shardPassIntervalMs } from '../domain/shards.js';
import { detectionBoundMs, detectionTimingOf, LAMBDA_TIMEOUT_MS, PROBE_SAFETY_MARGIN_MS, probeRoundBudgetMs, worstCaseDecisionMs } from '../domain/timing.js';
import type { ControlPlaneConfig } from './schema.js';

const seconds = (ms: number) => `${Number((ms / 1_000).toFixed(1))} s`;

/**
 * What a valid configuration cannot promise, for `fcp validate` to print: each group whose decision can take longer,
 * under the deployed schedule, than its probe interval × failureThreshold + one interval (`detectionBoundMs`). Each
 * warning names the fields that set it and the reason, split into its parts.
 *
 * @example
 * configWarnings(config); // ['groups[0] (orders) policy.probeIntervalSeconds 7, policy.failureThreshold 3: ...']
 */
export function configWarnings(config: ControlPlaneConfig): string[] {
  const roundBudgetMs = probeRoundBudgetMs(config.groups.map(detectionTimingOf));
  const passIntervals = new Map<string, number>();
  const warnings: string[] = [];
  config.groups.forEach((group, index) => {
    const shard = shardOf(group);
    let passIntervalMs = passIntervals.get(shard);
    if (passIntervalMs === undefined) passIntervals.set(shard, (passIntervalMs = shardPassIntervalMs(config.groups, shard)));
    const timing = detectionTimingOf(group);
    const worst = worstCaseDecisionMs(timing, roundBudgetMs, passIntervalMs);
    const bound = detectionBoundMs(timing);
    if (worst.totalMs <= bound) return;
    const shardNote = groupsOfShard(config.groups, shard).length < config.groups.length ? ` of shard ${shard}` : '';
    warnings.push(
      `groups[${index}] (${group.id}) policy.probeIntervalSeconds ${group.policy.probeIntervalSeconds}, policy.failureThreshold ${group.policy.failureThreshold}, ` +
        `longest timeout ${timing.longestTimeoutMs} ms (healthEndpoints[].timeoutMs, database.connectionCheck.timeoutMs): ` +
        `a failover decision can take up to ${seconds(worst.totalMs)} after a failure, more than interval × threshold + one interval ` +
        `(${seconds(bound)}), because with probe and orchestrate invoked once a minute the ${group.policy.failureThreshold} failed rounds span up to ` +
        `${seconds(worst.roundsMs)} (a round starts in an invocation only if it can end ${seconds(PROBE_SAFETY_MARGIN_MS)} before its ${seconds(LAMBDA_TIMEOUT_MS)} timeout), the last round ` +
        `lasts up to ${seconds(worst.reportMs)}, and the orchestrator's passes${shardNote} (every ${seconds(passIntervalMs)}) leave gaps up to ${seconds(worst.passWaitMs)}. ` +
        `A longer probe interval, one that divides the minute, or shorter timeouts bring it within the bound`,
    );
  });
  return warnings;
}

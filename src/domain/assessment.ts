import type { FailoverGroup } from './group.js';
import { lagBudgetProblem, lagReferenceAt, lagWithinBudget, usableHealthLag } from './replicaLag.js';
import { orphanReason } from './topology.js';
import type { Assessment, EpochMs, RegionHealth, RegionName } from './types.js';

/**
 * Turns the per-region verdicts into what the failover machine needs: is the primary down, and which replica
 * would take over. A candidate is healthy, reports itself a replica (or an unknown role while reachable), replicates
 * from the current primary (otherwise it is `orphaned`: promoting it would drop every write made on the primary since
 * it stopped following it), has a replica lag measured within two probe intervals (`usableLag`: an older one is
 * unknown) and within the RPO budget, and has the highest failover priority among those.
 *
 * @example
 * const assessment = assessGroup({ group, health, primaryRegion: 'eu-west-1', now, proposedFailoverId: 'fo-1' });
 * if (assessment.primaryVerdict === 'unhealthy' && assessment.candidate) { ... }
 */
export function assessGroup(input: {
  group: FailoverGroup;
  health: Readonly<Record<RegionName, RegionHealth>>;
  primaryRegion: RegionName;
  now: EpochMs;
  proposedFailoverId: string;
}): Assessment {
  const { group, health, primaryRegion, now } = input;
  const budget = group.policy.maxReplicaLagSeconds;
  const primaryHealth = health[primaryRegion];
  const ineligible: { region: RegionName; reason: string }[] = [];
  const eligible: { region: RegionName; replicaLagSeconds: number; priority: number }[] = [];
  let lagWasTheProblem = false;

  for (const [region, regionConfig] of Object.entries(group.regions)) {
    if (region === primaryRegion) continue;
    const regionHealth = health[region];
    const lag = lagOf(regionHealth, now, group.policy.probeIntervalSeconds, lagReferenceAt(health[primaryRegion], now));
    const orphaned = orphanReason(regionHealth, primaryRegion);
    if (regionHealth === undefined || regionHealth.verdict !== 'healthy') {
      ineligible.push({ region, reason: `verdict is ${regionHealth?.verdict ?? 'unknown'}` });
    } else if (regionHealth.databaseRole !== undefined && regionHealth.databaseRole !== 'replica' && regionHealth.databaseRole !== 'unknown') {
      ineligible.push({ region, reason: `database reports role ${regionHealth.databaseRole}, not replica` });
    } else if (orphaned !== undefined) {
      ineligible.push({ region, reason: `orphaned: ${orphaned}` });
    } else if (lag === undefined) {
      lagWasTheProblem = true;
      ineligible.push({
        region,
        reason:
          regionHealth.replicaLagSeconds === undefined
            ? 'replica lag is unknown, so the data-loss window cannot be bounded'
            : `replica lag was measured ${ago(now - (regionHealth.replicaLagMeasuredAt ?? now))} ago, too old to bound the data-loss window`,
      });
    } else if (!lagWithinBudget(lag, budget)) {
      lagWasTheProblem = true;
      ineligible.push({ region, reason: lagBudgetProblem(region, lag, budget)! });
    } else {
      eligible.push({ region, replicaLagSeconds: lag, priority: regionConfig.failoverPriority });
    }
  }

  eligible.sort((a, b) => b.priority - a.priority);
  const [best, ...others] = eligible;
  for (const other of others) {
    ineligible.push({ region: other.region, reason: `eligible, but priority ${other.priority} is below ${best!.priority}` });
  }
  return {
    at: now,
    primaryRegion,
    primaryVerdict: primaryHealth?.verdict ?? 'unknown',
    primaryVerdictSince: primaryHealth?.since ?? now,
    primaryFailingNow: (primaryHealth?.failingObservers.length ?? 0) >= group.policy.observerQuorum,
    primaryReasons: primaryHealth?.reasons ?? [],
    candidate: best && { region: best.region, replicaLagSeconds: best.replicaLagSeconds },
    ineligible,
    noCandidateReason: best === undefined ? (lagWasTheProblem ? 'lag-over-budget' : 'no-eligible-replica') : undefined,
    proposedFailoverId: input.proposedFailoverId,
  };
}

/** The region's lag if it may decide now: measured within two probe intervals (a lag without a time is unknown). */
function lagOf(health: RegionHealth | undefined, now: EpochMs, probeIntervalSeconds: number, referenceAt: EpochMs): number | undefined {
  return usableHealthLag(health, now, probeIntervalSeconds, referenceAt);
}

function ago(ms: number): string {
  return `${Math.round(ms / 1_000)} s`;
}

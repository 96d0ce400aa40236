import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, ObserverReport, RegionHealth, RegionName, Verdict } from '../domain/types.js';
import { evaluateGroup } from '../domain/verdicts.js';

/** A region's verdict changed (or its failing observers or reasons did) after a probe round. */
export interface VerdictChange {
  readonly at: EpochMs;
  readonly region: RegionName;
  readonly verdict: Verdict;
  readonly failingObservers: readonly RegionName[];
  readonly reasons: readonly string[];
}

/**
 * Why things happened or did not: after each probe round, the verdicts the observers' reports give (the rule of
 * src/domain/verdicts.ts, as the executor applies it); each change of a region's verdict, failing observers or reasons
 * is a line of the history.
 *
 * @example
 * const history = new VerdictHistory(group, config.fleet.observerRegions);
 * history.record(await observations.listForGroup(group.id), clock.now());
 * history.changes; // [{ region: 'eu-west-1', verdict: 'unhealthy', ... }]
 */
export class VerdictHistory {
  readonly changes: VerdictChange[] = [];
  private health: Record<RegionName, RegionHealth> = {};

  constructor(
    private readonly group: GroupConfig,
    private readonly observerRegions: readonly RegionName[],
  ) {}

  record(reports: readonly ObserverReport[], now: EpochMs): void {
    const health = evaluateGroup({ group: this.group, previous: this.health, reports, observerRegions: this.observerRegions, now });
    for (const [region, verdict] of Object.entries(health)) {
      const before = this.health[region];
      const changed =
        before === undefined
          ? verdict.verdict !== 'healthy'
          : before.verdict !== verdict.verdict || before.failingObservers.join() !== verdict.failingObservers.join() || before.reasons.join() !== verdict.reasons.join();
      if (changed) {
        this.changes.push({ at: now, region, verdict: verdict.verdict, failingObservers: verdict.failingObservers, reasons: verdict.reasons });
      }
    }
    this.health = health;
  }
}

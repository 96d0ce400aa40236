import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../src/config/warnings.js';
import { detectionBoundMs, detectionTimingOf, orchestratePassIntervalMs, probeRoundBudgetMs, worstCaseDecisionMs } from '../../src/domain/timing.js';
import { drillConfig } from '../application/harness.js';

/** The drill's configuration with its group's probe interval, threshold and every timeout set. */
function configWith(probeIntervalSeconds: number, failureThreshold: number, timeoutMs: number) {
  return drillConfig((draft) => {
    const group = draft.groups[0]! as { policy: { probeIntervalSeconds: number; failureThreshold: number }; regions: Record<string, { healthEndpoints: { timeoutMs: number }[] }> };
    group.policy.probeIntervalSeconds = probeIntervalSeconds;
    group.policy.failureThreshold = failureThreshold;
    for (const region of Object.values(group.regions)) for (const endpoint of region.healthEndpoints) endpoint.timeoutMs = timeoutMs;
  });
}

describe('the detection bound under the deployed schedule', () => {
  it('keeps the default policy (10 s, 3 rounds, 2 s timeouts) within its bound by passing every 7.5 s, and warns of nothing', () => {
    // Prepare
    const config = configWith(10, 3, 2_000);
    const timing = detectionTimingOf(config.groups[0]!);
    const budget = probeRoundBudgetMs([timing]);

    // Act
    const passIntervalMs = orchestratePassIntervalMs([timing], budget);
    const worst = worstCaseDecisionMs(timing, budget, passIntervalMs);

    // Assess: 30 s of rounds, 2 s for the last, 7.5 s to the next pass: 39.5 s ≤ 40 s.
    expect(passIntervalMs).toBe(7_500);
    expect(worst).toEqual({ roundsMs: 30_000, reportMs: 2_000, passWaitMs: 7_500, totalMs: 39_500 });
    expect(worst.totalMs).toBeLessThanOrEqual(detectionBoundMs(timing));
    expect(configWarnings(config)).toEqual([]);
  });

  it('passes less often for a long probe interval, as long as the bound still holds', () => {
    // Prepare
    const timing = detectionTimingOf(configWith(60, 1, 2_000).groups[0]!);

    // Act
    const passIntervalMs = orchestratePassIntervalMs([timing], probeRoundBudgetMs([timing]));

    // Assess: one round a minute; 60 + 2 + 30 s ≤ 120 s.
    expect(passIntervalMs).toBe(30_000);
    expect(worstCaseDecisionMs(timing, probeRoundBudgetMs([timing]), passIntervalMs).totalMs).toBe(92_000);
  });

  it('warns about a probe interval whose rounds leave a longer gap at each minute, naming the fields and each part of the reason', () => {
    // Prepare: 7 s rounds at 0, 7 ... 49 s, then 11 s to the next invocation's first.
    const config = configWith(7, 3, 2_000);

    // Act
    const warnings = configWarnings(config);

    // Assess
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^groups\[0\] \(orders\) policy\.probeIntervalSeconds 7, policy\.failureThreshold 3, longest timeout 2000 ms/);
    expect(warnings[0]).toContain('up to 33 s after a failure, more than interval × threshold + one interval (28 s)');
    expect(warnings[0]).toContain('the 3 failed rounds span up to 25 s');
    expect(warnings[0]).toContain('the last round lasts up to 2 s');
  });
});

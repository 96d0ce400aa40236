import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/drill/output.js';
import type { DrillResult } from '../../src/drill/runDrill.js';
import { primaryRegionOutage } from '../../src/drill/scenarios/library.js';

/** A drill that ended without a failover, enough for the summary; `starvation` as given. */
function result(starvation: DrillResult['trust']['starvation']): DrillResult {
  return {
    scenario: primaryRegionOutage,
    startedAt: 0,
    verdicts: [],
    outcome: 'pass',
    trust: { trusted: true, reasons: [], ...(starvation === undefined ? {} : { starvation }) },
    physics: [],
    endState: { state: 'monitoring', primaryRegion: 'eu-west-1', elapsedMs: 10_000, realMs: 10_000, timedOut: false },
    expectationResults: [{ name: 'end state', pass: true, expected: 'monitoring', actual: 'monitoring' }],
    pass: true,
    facts: {} as DrillResult['facts'],
    events: [],
    notifications: [],
  };
}

describe('renderSummary', () => {
  it('says how long the machine held the simulated clock back', () => {
    // Act
    const text = renderSummary(result({ cpuWaitMs: 1_200, stalledMs: 300, longestStallMs: 300, stalls: [], measured: true }));

    // Assess
    expect(text).toContain('the machine kept the drill waiting 1.5 s of 10.0 s');
  });

  it('prints no clock figures for a drill run in real time, which has no simulated clock to hold back', () => {
    // Act
    const text = renderSummary(result(undefined));

    // Assess
    expect(text).not.toMatch(/stalled|kept the drill waiting|clock stood still/);
    expect(text).toContain('PASS  primary-region-outage: every expectation held');
  });
});

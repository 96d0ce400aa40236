import { describe, expect, it } from 'vitest';
import { outcomeMetrics, probeMetrics, type MetricPoint } from '../../handlers/shared/metrics.js';
import type { ProbeRoundSummary } from '../../src/application/probeRound.js';

/** A custom metric is billed per name and set of dimension values: what a month of these points would be billed as. */
function billedMetrics(points: readonly MetricPoint[]): string[] {
  return [...new Set(points.map(({ name, dimensions }) => `${name} ${JSON.stringify(dimensions ?? {})}`))].sort();
}

function probeSummary(groups: number, observerRegion = 'us-east-1'): ProbeRoundSummary {
  const regions = Array.from({ length: groups }, (_, index) =>
    ['eu-west-1', 'us-east-1', 'ap-southeast-2'].map((region) => ({
      groupId: `group-${index}`,
      region,
      ok: 5,
      failed: region === 'eu-west-1' ? 1 : 0,
      unknown: 0,
      storeErrors: 0,
      latencyMs: { count: 6, p50: 40, max: 90 + index },
    })),
  ).flat();
  return { observerRegion, rounds: 6, startedAt: 0, finishedAt: 55_000, regions, roundDurationsMs: [900, 950], maxRoundDurationMs: 950, errors: [] };
}

describe('the metrics of the handlers', () => {
  it('publishes the same few probe metrics for 1 group or 100, from every observer', () => {
    // Act
    const one = billedMetrics(probeMetrics(probeSummary(1)));
    const hundred = billedMetrics([...probeMetrics(probeSummary(100)), ...probeMetrics(probeSummary(100, 'eu-west-1'))]);

    // Assess
    expect(hundred).toEqual(one);
    expect(one).toEqual(
      ['ProbeErrors', 'ProbeFailed', 'ProbeLatencyMax', 'ProbeRoundDuration', 'ProbeRounds', 'ProbeSucceeded', 'ProbeUnknown'].map((name) => `${name} {}`),
    );
  });

  it('totals the probe results over every group and region, and reports the slowest endpoint', () => {
    // Act
    const points = probeMetrics(probeSummary(100));

    // Assess
    const value = (name: string) => points.filter((point) => point.name === name).map((point) => point.value);
    expect(value('ProbeFailed')).toEqual([100]);
    expect(value('ProbeSucceeded')).toEqual([1_500]);
    expect(value('ProbeLatencyMax')).toEqual([189]);
    expect(value('ProbeRoundDuration')).toEqual([900, 950]);
  });

  it('counts an idle pass of a group in the fleet-wide metrics only', () => {
    // Act
    const points = outcomeMetrics({ groupId: 'orders', result: 'idle', state: 'monitoring', actions: [], notificationFailures: 0 });

    // Assess
    expect(points).toEqual([
      { name: 'FailoverStalled', unit: 'Count', value: 0 },
      { name: 'GroupErrors', unit: 'Count', value: 0 },
    ]);
  });

  it('gives a group a metric per verdict change of a region, and none per observer', () => {
    // Act
    const points = outcomeMetrics({
      groupId: 'orders',
      result: 'acted',
      state: 'monitoring',
      actions: [],
      notificationFailures: 0,
      verdictChanges: [{ region: 'eu-west-1', from: 'healthy', to: 'unhealthy' }],
    });

    // Assess
    expect(points.filter((point) => point.dimensions !== undefined)).toEqual([
      { name: 'VerdictChange', unit: 'Count', value: 1, dimensions: { group: 'orders', region: 'eu-west-1', to: 'unhealthy' } },
    ]);
  });

  it('counts a group that failed with an unexpected error', () => {
    // Act
    const points = outcomeMetrics({ groupId: 'orders', result: 'error', message: 'Error: table is gone' });

    // Assess
    expect(points).toEqual([
      { name: 'FailoverStalled', unit: 'Count', value: 0 },
      { name: 'GroupErrors', unit: 'Count', value: 1 },
    ]);
  });
});

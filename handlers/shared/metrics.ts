import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Outcome } from '../../src/application/orchestrate.js';
import type { ProbeRoundSummary } from '../../src/application/probeRound.js';
import { phaseDurations } from './failoverDurations.js';
import { isFailure } from './outcomes.js';

/**
 * What the control plane tells CloudWatch, in one place: each outcome of a probe invocation or an orchestrator pass
 * mapped to metric points. A custom metric is billed per name × dimension values, so the set is fixed and small:
 * fleet-wide figures carry `service` only (and the alarms match on exactly that); per group there are only the
 * verdict changes of its regions and the durations of a failover's phases. Per-observer and per-region probe detail
 * goes to the log line, not to a metric per observer × group × region.
 */
export interface MetricPoint {
  readonly name: string;
  readonly unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  readonly value: number;
  /** Dimensions beyond `service`; absent for the invocation's fleet-wide metrics. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

export const count = (name: string, value: number, dimensions?: Readonly<Record<string, string>>): MetricPoint => ({
  name,
  unit: MetricUnit.Count,
  value,
  ...(dimensions === undefined ? {} : { dimensions }),
});
export const ms = (name: string, value: number, dimensions?: Readonly<Record<string, string>>): MetricPoint => ({
  ...count(name, value, dimensions),
  unit: MetricUnit.Milliseconds,
});

/**
 * One probe invocation, fleet-wide: rounds, their durations, store errors, the region-rounds that passed, failed or
 * stayed unknown across every group, and the slowest endpoint seen (left out when no round measured one).
 *
 * @example
 * probeMetrics(summary); // [{ name: 'ProbeRounds', unit: 'Count', value: 6 }, ...]
 */
export function probeMetrics(summary: ProbeRoundSummary): MetricPoint[] {
  const total = (field: 'ok' | 'failed' | 'unknown') => summary.regions.reduce((sum, region) => sum + region[field], 0);
  const latencies = summary.regions.flatMap((region) => (region.latencyMs === undefined ? [] : [region.latencyMs.max]));
  return [
    count('ProbeRounds', summary.rounds),
    ...summary.roundDurationsMs.map((durationMs) => ms('ProbeRoundDuration', durationMs)),
    count('ProbeErrors', summary.errors.length),
    count('ProbeSucceeded', total('ok')),
    count('ProbeFailed', total('failed')),
    // The data plane passed but the control plane could not confirm the database: neither succeeded nor failed.
    count('ProbeUnknown', total('unknown')),
    ...(latencies.length === 0 ? [] : [ms('ProbeLatencyMax', Math.max(...latencies))]),
  ];
}

/**
 * One group's pass of the orchestrator. `FailoverStalled` and `GroupErrors` every pass, zero included (the
 * FailoverStalled alarm must see data while all is well); a verdict change once, by the pass that saved it; a
 * failover's completion, RTO and phase durations once, by the pass whose verification completed it (a finished
 * failover stays in the group's context for later passes, but only one executor applies its VERIFIED event).
 *
 * @example
 * outcomeMetrics({ groupId: 'orders', result: 'error', message: 'Error: table is gone' }); // FailoverStalled 0, GroupErrors 1
 */
export function outcomeMetrics(outcome: Outcome): MetricPoint[] {
  if (isFailure(outcome)) return [count('FailoverStalled', 0), count('GroupErrors', 1)];
  const points = [count('FailoverStalled', outcome.state.split('.')[0] === 'stalled' ? 1 : 0), count('GroupErrors', 0)];
  if (outcome.notificationFailures > 0) points.push(count('NotificationFailures', outcome.notificationFailures));
  for (const { region, to } of outcome.verdictChanges ?? []) points.push(count('VerdictChange', 1, { group: outcome.groupId, region, to }));
  const failover = outcome.failover;
  if (failover?.outcome === 'completed' && outcome.actions.includes('VERIFIED')) {
    const group = { group: outcome.groupId };
    points.push(count('FailoverCompleted', 1, group));
    if (failover.rtoMs !== undefined) points.push(ms('FailoverRto', failover.rtoMs, group));
    for (const phase of phaseDurations(failover)) points.push(ms('FailoverPhaseDuration', phase.ms, { ...group, phase: phase.phase }));
  }
  return points;
}

/**
 * Hands points to Powertools: fleet-wide ones are stored and published with the invocation (`logMetrics`); each
 * point with dimensions goes out at once as its own single metric (Powertools clears a single metric's dimensions
 * when it publishes).
 *
 * @example
 * publish(metrics, outcomeMetrics(outcome));
 */
export function publish(metrics: Metrics, points: readonly MetricPoint[]): void {
  for (const { name, unit, value, dimensions } of points) {
    if (dimensions === undefined) {
      metrics.addMetric(name, unit, value);
      continue;
    }
    const single = metrics.singleMetric();
    for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, dimensionValue);
    single.addMetric(name, unit, value);
  }
}

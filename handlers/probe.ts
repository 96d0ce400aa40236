import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { runProbeRounds, type ProbeRoundSummary } from '../src/application/probeRound.js';
import { buildProbeDeps, type ProbeRuntime } from '../src/composition.js';
import { once } from './shared/lazy.js';
import { createTelemetry, publishWithDimensions } from './shared/telemetry.js';

/**
 * Time left unused at the end of each invocation. The next scheduled invocation starts about a minute after this
 * one did; stopping early keeps two invocations of one observer from writing its reports at the same time (which
 * would count a streak twice), and leaves time to publish metrics.
 */
export const PROBE_SAFETY_MARGIN_MS = 5_000;

export interface ProbeHandlerOptions {
  readonly load: () => Promise<ProbeRuntime>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly safetyMarginMs?: number;
}

/**
 * The probe Lambda: probe rounds from this observer region until the invocation's time is nearly used, then
 * metrics (round durations, per-region results and HTTP latency) and one log line. The orchestrator reads the reports
 * on its own schedule; the probe does not invoke it (see docs/deployment.md).
 *
 * @example
 * export const handler = createProbeHandler({ load: () => buildProbeDeps(process.env), ...createTelemetry() });
 */
export function createProbeHandler(options: ProbeHandlerOptions) {
  const runtime = once(options.load);
  const { logger, metrics } = options;
  return async (_event: ScheduledEvent | Record<string, never>, context: Context): Promise<ProbeRoundSummary> => {
    logger.addContext(context);
    try {
      const { deps, observerRegion } = await runtime();
      const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - (options.safetyMarginMs ?? PROBE_SAFETY_MARGIN_MS);
      const summary = await runProbeRounds(deps, { observerRegion, deadline });
      recordProbeMetrics(metrics, summary);
      const failing = summary.regions.filter((region) => region.failed > 0);
      logger.info('probe rounds finished', {
        observerRegion,
        rounds: summary.rounds,
        maxRoundDurationMs: summary.maxRoundDurationMs,
        failing: failing.map(({ groupId, region, ok, failed }) => ({ groupId, region, ok, failed })),
        errors: summary.errors,
      });
      return summary;
    } catch (error) {
      logger.error('probe invocation failed', error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function recordProbeMetrics(metrics: Metrics, summary: ProbeRoundSummary): void {
  metrics.addMetric('ProbeRounds', MetricUnit.Count, summary.rounds);
  for (const durationMs of summary.roundDurationsMs) metrics.addMetric('ProbeRoundDuration', MetricUnit.Milliseconds, durationMs);
  metrics.addMetric('ProbeErrors', MetricUnit.Count, summary.errors.length);
  for (const region of summary.regions) {
    // Per observed region, so a dashboard shows which observer sees which region fail.
    // Latency: the median and the maximum over the invocation's rounds of each round's slowest endpoint, so one EMF
    // line per figure instead of one per round; left out when no round measured one.
    publishWithDimensions(metrics, { observer: summary.observerRegion, group: region.groupId, region: region.region }, [
      { name: 'ProbeSucceeded', unit: MetricUnit.Count, value: region.ok },
      { name: 'ProbeFailed', unit: MetricUnit.Count, value: region.failed },
      // Rounds whose data plane passed but whose database the control plane could not confirm (API error, throttling,
      // a status in between): neither succeeded nor failed.
      { name: 'ProbeUnknown', unit: MetricUnit.Count, value: region.unknown },
      ...(region.latencyMs === undefined
        ? []
        : [
            { name: 'ProbeLatency', unit: MetricUnit.Milliseconds, value: region.latencyMs.p50 },
            { name: 'ProbeLatencyMax', unit: MetricUnit.Milliseconds, value: region.latencyMs.max },
          ]),
    ]);
  }
}

const telemetry = createTelemetry();

export const handler = createProbeHandler({ load: () => buildProbeDeps(process.env), ...telemetry });

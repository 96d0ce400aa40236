import type { Context, ScheduledEvent } from 'aws-lambda';
import { runProbeRounds, type ProbeRoundSummary } from '../src/application/probeRound.js';
import { buildProbeDeps, type ProbeRuntime } from '../src/composition/lambda.js';
import { PROBE_SAFETY_MARGIN_MS } from '../src/domain/timing.js';
import { once } from './shared/lazy.js';
import { logProbeSummary } from './shared/logs.js';
import { probeMetrics, publish } from './shared/metrics.js';
import { createTelemetry, withTelemetry, type Telemetry } from './shared/telemetry.js';

export interface ProbeHandlerOptions extends Telemetry {
  readonly load: () => Promise<ProbeRuntime>;
  readonly safetyMarginMs?: number;
}

/**
 * The probe Lambda: probe rounds from this observer region until the invocation's time is nearly used, then its
 * metrics and one log line. The orchestrator reads the reports on its own schedule (see docs/deployment.md).
 *
 * @example
 * export const handler = createProbeHandler({ load: () => buildProbeDeps(process.env), ...createTelemetry() });
 */
export function createProbeHandler({ load, safetyMarginMs = PROBE_SAFETY_MARGIN_MS, ...telemetry }: ProbeHandlerOptions) {
  const runtime = once(load);
  return withTelemetry(telemetry, 'probe invocation failed', async (_event: ScheduledEvent | Record<string, never>, context: Context): Promise<ProbeRoundSummary> => {
    const { deps, observerRegion } = await runtime();
    const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - safetyMarginMs;
    const summary = await runProbeRounds(deps, { observerRegion, deadline });
    publish(telemetry.metrics, probeMetrics(summary));
    logProbeSummary(telemetry.logger, summary);
    return summary;
  });
}

export const handler = createProbeHandler({ load: () => buildProbeDeps(process.env), ...createTelemetry() });

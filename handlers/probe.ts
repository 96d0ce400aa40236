import type { Context, ScheduledEvent } from 'aws-lambda';
import { runProbeRounds, type ProbeRoundSummary } from '../src/application/probeRound.js';
import { connectionCheckProbe } from '../src/composition/connectionCheck.js';
import { buildProbeDeps, type Environment, type ProbeRuntime } from '../src/composition/lambda.js';
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
 * export const handler = createProbeHandler({ load: () => loadProbeRuntime(process.env), ...createTelemetry() });
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

/**
 * The deployed probe's dependencies: the composition root's, with the data-plane connection check for the regions
 * that configure `database.connectionCheck` (left out of an artifact whose configuration has none).
 *
 * @example
 * const { deps, observerRegion } = await loadProbeRuntime(process.env);
 */
export function loadProbeRuntime(env: Environment): Promise<ProbeRuntime> {
  return buildProbeDeps(env, { createDatabaseProbe: connectionCheckProbe });
}

export const handler = createProbeHandler({ load: () => loadProbeRuntime(process.env), ...createTelemetry() });

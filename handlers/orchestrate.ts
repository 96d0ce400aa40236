import type { Context, ScheduledEvent } from 'aws-lambda';
import type { ExecutorDeps } from '../src/application/executor.js';
import { orchestrateUntil, type Outcome } from '../src/application/orchestrate.js';
import { buildExecutorDeps } from '../src/composition/lambda.js';
import { MIN_PASS_MS, ORCHESTRATE_SAFETY_MARGIN_MS } from '../src/domain/timing.js';
import { once } from './shared/lazy.js';
import { count, publish } from './shared/metrics.js';
import { failIfAnyGroupFailed, recordOutcome } from './shared/outcomes.js';
import { createTelemetry, executorLogger, withTelemetry, type Telemetry } from './shared/telemetry.js';

export interface OrchestrateHandlerOptions extends Telemetry {
  readonly load: () => Promise<ExecutorDeps>;
  readonly safetyMarginMs?: number;
  /** Time between passes; by default the shortest `policy.probeIntervalSeconds` of the configured groups. */
  readonly passIntervalMs?: number;
}

/**
 * The orchestrator Lambda: executor passes over every group, one per probe interval, until the invocation's time is
 * nearly used (the probe does not invoke it). Overlapping invocations are safe: each group is leased to one executor.
 * Throws after its last pass if a group ended in an unexpected error, so the Errors alarm sees it.
 *
 * @example
 * export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...createTelemetry() });
 */
export function createOrchestrateHandler({ load, safetyMarginMs = ORCHESTRATE_SAFETY_MARGIN_MS, passIntervalMs, ...telemetry }: OrchestrateHandlerOptions) {
  const runtime = once(load);
  return withTelemetry(telemetry, 'orchestrate invocation failed', async (_event: ScheduledEvent | Record<string, never>, context: Context) => {
    const deps: ExecutorDeps = { ...(await runtime()), logger: executorLogger(telemetry.logger) };
    const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - safetyMarginMs;
    const intervalMs = passIntervalMs ?? Math.min(...deps.config.groups.map((group) => group.policy.probeIntervalSeconds * 1_000));
    const onOutcome = (outcome: Outcome) => recordOutcome(telemetry, outcome);
    const { passes, outcomes } = await orchestrateUntil(deps, { owner: context.awsRequestId, deadline, intervalMs, minPassMs: MIN_PASS_MS, onOutcome });
    publish(telemetry.metrics, [count('OrchestratorPasses', passes)]);
    failIfAnyGroupFailed(outcomes);
    return { passes, outcomes };
  });
}

export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...createTelemetry() });

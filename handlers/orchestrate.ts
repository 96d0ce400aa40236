import type { Context, ScheduledEvent } from 'aws-lambda';
import type { ExecutorDeps } from '../src/application/executor.js';
import { orchestrateShard, type Outcome } from '../src/application/orchestrate.js';
import { buildExecutorDeps } from '../src/composition/lambda.js';
import { shardOfEvent, shardPassIntervalMs } from '../src/domain/shards.js';
import { MIN_PASS_MS, ORCHESTRATE_SAFETY_MARGIN_MS } from '../src/domain/timing.js';
import { once } from './shared/lazy.js';
import { count, publish } from './shared/metrics.js';
import { failIfAnyGroupFailed, recordOutcome } from './shared/outcomes.js';
import { createTelemetry, executorLogger, withTelemetry, type Telemetry } from './shared/telemetry.js';

export interface OrchestrateHandlerOptions extends Telemetry {
  readonly load: () => Promise<ExecutorDeps>;
  readonly safetyMarginMs?: number;
  /** Time between passes; by default the shard's `shardPassIntervalMs` (detection within its bound). */
  readonly passIntervalMs?: number;
}

/** The schedule's input: the shard this invocation acts on (serverless.yml, one schedule per shard). */
export interface OrchestrateEvent {
  readonly shard?: unknown;
}

/**
 * The orchestrator Lambda: executor passes over the groups of one shard (the event's `shard`, default `default`),
 * one per probe interval, until the invocation's time is nearly used (the probe does not invoke it). The invocation
 * holds its shard's lease; overlapping invocations are safe besides: each group is leased to one executor.
 * Throws after its last pass if a group ended in an unexpected error, so the Errors alarm sees it.
 *
 * @example
 * export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...createTelemetry() });
 */
export function createOrchestrateHandler({ load, safetyMarginMs = ORCHESTRATE_SAFETY_MARGIN_MS, passIntervalMs, ...telemetry }: OrchestrateHandlerOptions) {
  const runtime = once(load);
  return withTelemetry(telemetry, 'orchestrate invocation failed', async (event: ScheduledEvent | OrchestrateEvent, context: Context) => {
    const shard = shardOfEvent((event as OrchestrateEvent).shard);
    const deps: ExecutorDeps = { ...(await runtime()), logger: executorLogger(telemetry.logger) };
    const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - safetyMarginMs;
    const intervalMs = passIntervalMs ?? shardPassIntervalMs(deps.config.groups, shard);
    const onOutcome = (outcome: Outcome) => recordOutcome(telemetry, outcome);
    const { passes, outcomes } = await orchestrateShard(deps, { shard, owner: context.awsRequestId, deadline, intervalMs, minPassMs: MIN_PASS_MS, onOutcome });
    publish(telemetry.metrics, [count('OrchestratorPasses', passes)]);
    failIfAnyGroupFailed(outcomes);
    return { passes, outcomes };
  });
}

export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...createTelemetry() });

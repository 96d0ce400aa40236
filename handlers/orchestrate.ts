import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { ExecutorDeps } from '../src/application/executor.js';
import { orchestrateUntil, type GroupFailure, type Outcome } from '../src/application/orchestrate.js';
import { buildExecutorDeps } from '../src/composition.js';
import { phaseDurations } from './shared/failoverDurations.js';
import { once } from './shared/lazy.js';
import { createTelemetry, executorLogger, publishWithDimensions } from './shared/telemetry.js';
import { MIN_PASS_MS, ORCHESTRATE_SAFETY_MARGIN_MS } from '../src/domain/timing.js';

/** Margins live with the lease arithmetic in src/domain/timing.ts. */
export { MIN_PASS_MS, ORCHESTRATE_SAFETY_MARGIN_MS };

export type { Outcome };

export interface OrchestrateHandlerOptions {
  readonly load: () => Promise<ExecutorDeps>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly safetyMarginMs?: number;
  /** Time between passes; by default the shortest `policy.probeIntervalSeconds` of the configured groups. */
  readonly passIntervalMs?: number;
}

export interface OrchestrateResult {
  readonly passes: number;
  /** The outcomes of the last pass, one per group. */
  readonly outcomes: readonly Outcome[];
}

/**
 * The orchestrator Lambda. Runs the executor over every group in passes, one per probe interval, until the
 * invocation's time is nearly used: the probe does not invoke the orchestrator (no Lambda client is bundled), so
 * this loop is what lets a new verdict act within one probe interval instead of waiting for the next schedule.
 * Overlapping invocations are safe: each group is leased to one executor at a time.
 * Throws after its last pass if a group ended in an unexpected error, so the Errors alarm sees it.
 *
 * @example
 * export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...createTelemetry() });
 */
export function createOrchestrateHandler(options: OrchestrateHandlerOptions) {
  const runtime = once(options.load);
  const { logger, metrics } = options;
  return async (_event: ScheduledEvent | Record<string, never>, context: Context): Promise<OrchestrateResult> => {
    logger.addContext(context);
    try {
      const loaded = await runtime();
      const deps: ExecutorDeps = { ...loaded, logger: executorLogger(logger) };
      const { clock } = deps;
      const deadline = clock.now() + context.getRemainingTimeInMillis() - (options.safetyMarginMs ?? ORCHESTRATE_SAFETY_MARGIN_MS);
      const intervalMs = options.passIntervalMs ?? Math.min(...deps.config.groups.map((group) => group.policy.probeIntervalSeconds * 1_000));
      const { passes, outcomes } = await orchestrateUntil(deps, {
        owner: context.awsRequestId,
        deadline,
        intervalMs,
        minPassMs: MIN_PASS_MS,
        onOutcome: (outcome) => recordOutcome(logger, metrics, outcome),
      });
      metrics.addMetric('OrchestratorPasses', MetricUnit.Count, passes);
      const failures = outcomes.filter(isFailure);
      if (failures.length > 0) {
        throw new Error(`${failures.length} group(s) failed: ${failures.map((failure) => `${failure.groupId}: ${failure.message}`).join('; ')}`);
      }
      return { passes, outcomes };
    } catch (error) {
      logger.error('orchestrate invocation failed', error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function isFailure(outcome: Outcome): outcome is GroupFailure {
  return outcome.result === 'error';
}

function isStalled(outcome: Outcome): boolean {
  return !isFailure(outcome) && outcome.state.split('.')[0] === 'stalled';
}

function recordOutcome(logger: Logger, metrics: Metrics, outcome: Outcome): void {
  // Every pass of every group, zero included, so the FailoverStalled alarm sees data while all is well.
  metrics.addMetric('FailoverStalled', MetricUnit.Count, isStalled(outcome) ? 1 : 0);
  metrics.addMetric('GroupErrors', MetricUnit.Count, isFailure(outcome) ? 1 : 0);
  if (isFailure(outcome)) {
    // `message` is a reserved Powertools key (it would be dropped): the failure goes under `error`.
    logger.error('group failed', { groupId: outcome.groupId, error: outcome.message });
    return;
  }
  const entry = {
    groupId: outcome.groupId,
    result: outcome.result,
    state: outcome.state,
    actions: outcome.actions,
    waitingFor: outcome.waitingFor,
    failoverId: outcome.failover?.id,
    detail: outcome.message,
  };
  if (outcome.result === 'idle') logger.debug('group outcome', entry);
  else logger.info('group outcome', entry);
  // Reported by the pass that saved the new verdict only, so each change is counted once.
  for (const { region, from, to } of outcome.verdictChanges ?? []) {
    publishWithDimensions(metrics, { group: outcome.groupId, region, to }, [{ name: 'VerdictChange', unit: MetricUnit.Count, value: 1 }]);
    logger.info('verdict changed', { groupId: outcome.groupId, region, from, to });
  }
  if (outcome.notificationFailures > 0) {
    metrics.addMetric('NotificationFailures', MetricUnit.Count, outcome.notificationFailures);
  }
  const failover = outcome.failover;
  // Measured by the pass whose verification completed it: a finished failover stays in the group's context for
  // every later pass (and invocation) to see, but only one executor applies its VERIFIED event.
  if (failover?.outcome === 'completed' && outcome.actions.includes('VERIFIED')) {
    const dimensions = { group: outcome.groupId };
    publishWithDimensions(metrics, dimensions, [
      { name: 'FailoverCompleted', unit: MetricUnit.Count, value: 1 },
      ...(failover.rtoMs === undefined ? [] : [{ name: 'FailoverRto', unit: MetricUnit.Milliseconds, value: failover.rtoMs }]),
    ]);
    for (const { phase, ms } of phaseDurations(failover)) {
      publishWithDimensions(metrics, { ...dimensions, phase }, [{ name: 'FailoverPhaseDuration', unit: MetricUnit.Milliseconds, value: ms }]);
    }
    logger.info('failover completed', { groupId: outcome.groupId, failover });
  }
}

const telemetry = createTelemetry();

export const handler = createOrchestrateHandler({ load: () => buildExecutorDeps(process.env), ...telemetry });

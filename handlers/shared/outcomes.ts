import type { GroupFailure, Outcome } from '../../src/application/orchestrate.js';
import { logOutcome } from './logs.js';
import { outcomeMetrics, publish } from './metrics.js';
import type { Telemetry } from './telemetry.js';

/** Whether a pass ended in an unexpected error (the group is reported, the others go on). */
export function isFailure(outcome: Outcome): outcome is GroupFailure {
  return outcome.result === 'error';
}

/**
 * Throws after the last pass when a group ended in an unexpected error, so the function's Errors alarm sees it.
 *
 * @example
 * failIfAnyGroupFailed(outcomes); // Error: 1 group(s) failed: orders: Error: table is gone
 */
export function failIfAnyGroupFailed(outcomes: readonly Outcome[]): void {
  const failures = outcomes.filter(isFailure);
  if (failures.length === 0) return;
  throw new Error(`${failures.length} group(s) failed: ${failures.map((failure) => `${failure.groupId}: ${failure.message}`).join('; ')}`);
}

/**
 * Logs and counts one group's pass as it ends (the orchestrator's `onOutcome`).
 *
 * @example
 * await orchestrateUntil(deps, { ...options, onOutcome: (outcome) => recordOutcome(telemetry, outcome) });
 */
export function recordOutcome({ logger, metrics }: Telemetry, outcome: Outcome): void {
  logOutcome(logger, outcome);
  publish(metrics, outcomeMetrics(outcome));
}

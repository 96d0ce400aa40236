/**
 * Every time budget and safety margin of the control plane, in one place. The lease rule ("every side effect runs
 * under a lease with time left for its worst case") is only as good as the arithmetic between these numbers, so they
 * live together and every other use is derived from them. `leaseAllowsEffects` states the arithmetic.
 */

/** How long an executor holds a group's lease before it must renew it. */
export const LEASE_TTL_MS = 30_000;

/**
 * Kept unused before every deadline the executor works to: the invocation's end (so the last save lands inside it)
 * and the lease's end (so an effect's deadline falls before another executor may take the group).
 */
export const SAFETY_MARGIN_MS = 2_000;

/**
 * The longest one side effect may run (a fence, a promote call, a DNS change, one notification): its AWS calls are
 * aborted when this passes. The executor renews the lease before an effect unless the lease has this plus
 * `SAFETY_MARGIN_MS` left, so an effect can never outlive the lease it started under.
 */
export const EFFECT_BUDGET_MS = 20_000;

/** One AWS SDK call: attempts (throttling and 5xx are retried by the SDK) and the per-attempt timeouts. */
export const AWS_MAX_ATTEMPTS = 3;
export const AWS_CONNECTION_TIMEOUT_MS = 2_000;
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

/** Time the orchestrator Lambda leaves unused at its end: the executor's last save and the metrics land inside it. */
export const ORCHESTRATE_SAFETY_MARGIN_MS = 3_000;
/** Time the operator Lambda leaves unused at its end. */
export const OPERATOR_SAFETY_MARGIN_MS = 3_000;

/**
 * The longest an operator command runs the executor inline before answering (the Lambda and `fcp --local` alike);
 * the orchestrator continues after. With
 * the margin it stays under the HTTP API's 30 s integration timeout (the function's timeout is 29 s).
 */
export const OPERATOR_INLINE_BUDGET_MS = 20_000;
/**
 * Time the probe Lambda leaves unused at its end. The next scheduled invocation starts about a minute after this one
 * did; stopping early keeps two invocations of one observer from writing its reports at once (a streak counted twice).
 */
export const PROBE_SAFETY_MARGIN_MS = 5_000;
/**
 * A pass that changes nothing that decides anything writes nothing, but saves the group's measurements (replica lag,
 * last sign of life, reasons) at least this often, so the record `fcp status` reads is never older than this plus one
 * pass. One write per group per minute in a quiet steady state.
 */
export const STATE_REFRESH_MS = 60_000;

/** An orchestrator pass is not started with less time than this left: an idle pass takes well under a second. */
export const MIN_PASS_MS = 2_000;
/**
 * How often an orchestrate invocation asks again for its shard's lease while an earlier invocation of the same shard
 * still holds it (each ask is one refused conditional write).
 */
export const SHARD_LEASE_RETRY_MS = 2_000;
/** Time a probe round keeps free after its longest endpoint timeout, for the database call and the store writes. */
export const PROBE_ROUND_MARGIN_MS = 1_000;

/**
 * The budget one side effect gets under a lease of `leaseTtlMs` with `marginMs` kept free: `EFFECT_BUDGET_MS`, or
 * less when the lease is too short for it (tests and drills run with short leases).
 *
 * @example
 * effectBudgetMs(30_000, 2_000); // 20_000
 * effectBudgetMs(10_000, 1_000); // 8_000
 */
export function effectBudgetMs(leaseTtlMs: number, marginMs: number): number {
  return Math.min(EFFECT_BUDGET_MS, leaseTtlMs - 2 * marginMs);
}

/**
 * True when a freshly renewed lease leaves room for a whole effect and the margin: the configuration the executor
 * refuses to run without.
 *
 * @example
 * leaseAllowsEffects(LEASE_TTL_MS, SAFETY_MARGIN_MS); // true
 */
export function leaseAllowsEffects(leaseTtlMs: number, marginMs: number): boolean {
  return effectBudgetMs(leaseTtlMs, marginMs) > 0;
}

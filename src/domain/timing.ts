import type { FailoverGroup } from './group.js';

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

/**
 * The deployed schedule (serverless.yml): the probe and the orchestrator are each invoked once a minute, with a 60 s
 * timeout; each loops inside its invocation (rounds, passes) until its safety margin.
 */
export const SCHEDULE_PERIOD_MS = 60_000;
export const LAMBDA_TIMEOUT_MS = 60_000;
/** Pass intervals the orchestrator chooses among: whole fractions of the minute, so every gap is the same. */
const MAX_PASSES_PER_MINUTE = 30;

/** What detection of one group depends on, from its configuration. */
export interface DetectionTiming {
  readonly probeIntervalMs: number;
  readonly failureThreshold: number;
  /** The longest health-endpoint or connection-check timeout of the group: how long a round that meets a hang lasts. */
  readonly longestTimeoutMs: number;
}

/**
 * The group's detection timing.
 *
 * @example
 * detectionTimingOf(group); // { probeIntervalMs: 10_000, failureThreshold: 3, longestTimeoutMs: 2_000 }
 */
export function detectionTimingOf(group: Pick<FailoverGroup, 'policy' | 'regions'>): DetectionTiming {
  let longestTimeoutMs = 0;
  for (const region of Object.values(group.regions)) {
    for (const endpoint of region.healthEndpoints) longestTimeoutMs = Math.max(longestTimeoutMs, endpoint.timeoutMs);
    // A postgres database is described over its data-plane connection; the RDS kinds may name a connection check.
    const check = 'connectionCheck' in region.database ? region.database.connectionCheck : undefined;
    longestTimeoutMs = Math.max(longestTimeoutMs, check?.timeoutMs ?? 0);
  }
  return { probeIntervalMs: group.policy.probeIntervalSeconds * 1_000, failureThreshold: group.policy.failureThreshold, longestTimeoutMs };
}

/**
 * The detection goal (issue #11): from the moment a region fails to the orchestrator's decision, at most
 * `failureThreshold` intervals to count the failed rounds and one interval more.
 *
 * @example
 * detectionBoundMs({ probeIntervalMs: 10_000, failureThreshold: 3, longestTimeoutMs: 2_000 }); // 40_000
 */
export function detectionBoundMs(timing: DetectionTiming): number {
  return timing.probeIntervalMs * (timing.failureThreshold + 1);
}

/**
 * When the rounds of one probe invocation start, from its start: one every interval while a round still fits
 * before the invocation's end (`runProbeRounds`: the round's budget is the longest timeout of the fleet plus
 * `PROBE_ROUND_MARGIN_MS`).
 *
 * @example
 * probeRoundOffsetsMs(10_000, 3_000); // [0, 10_000, 20_000, 30_000, 40_000, 50_000]
 */
export function probeRoundOffsetsMs(intervalMs: number, roundBudgetMs: number): number[] {
  const deadline = LAMBDA_TIMEOUT_MS - PROBE_SAFETY_MARGIN_MS;
  const offsets: number[] = [];
  for (let at = 0; at + roundBudgetMs <= deadline; at += intervalMs) offsets.push(at);
  return offsets;
}

/**
 * When the passes of one orchestrate invocation start, from its start (`orchestrateUntil`: the first always, then
 * one every interval while `MIN_PASS_MS` still fits before the invocation's end).
 *
 * @example
 * orchestratePassOffsetsMs(10_000); // [0, 10_000, 20_000, 30_000, 40_000, 50_000]
 */
export function orchestratePassOffsetsMs(passIntervalMs: number): number[] {
  const deadline = LAMBDA_TIMEOUT_MS - ORCHESTRATE_SAFETY_MARGIN_MS;
  const offsets = [0];
  while (offsets.at(-1)! + passIntervalMs + MIN_PASS_MS < deadline) offsets.push(offsets.at(-1)! + passIntervalMs);
  return offsets;
}

/** The longest time `count` consecutive gaps of a schedule repeating every minute can span. */
function longestSpanMs(offsets: readonly number[], count: number): number {
  const gaps = offsets.map((at, index) => (offsets[index + 1] ?? offsets[0]! + SCHEDULE_PERIOD_MS) - at);
  let longest = 0;
  for (let start = 0; start < gaps.length; start += 1) {
    let span = 0;
    for (let step = 0; step < count; step += 1) span += gaps[(start + step) % gaps.length]!;
    longest = Math.max(longest, span);
  }
  return longest;
}

/** The worst case of one group's decision time and its three parts. */
export interface DecisionWorstCase {
  /** From the failure to the start of the `failureThreshold`-th failed round: the failure begins just after a round. */
  readonly roundsMs: number;
  /** That round meets the hang and ends with its longest timeout; only then is its report stored. */
  readonly reportMs: number;
  /** The orchestrator's pass just before the report is stored; the next comes one pass gap later. */
  readonly passWaitMs: number;
  readonly totalMs: number;
}

/**
 * The longest a decision can take under the deployed schedule, whatever the failure's start and whatever the phases
 * of the probe and orchestrate invocations (EventBridge starts them at unrelated seconds): the longest span of
 * `failureThreshold` probe-round gaps, then the round's own duration, then the longest gap between passes. With a
 * quorum, the decision waits for the slowest observer of the quorum, which is at worst this.
 *
 * @example
 * worstCaseDecisionMs({ probeIntervalMs: 10_000, failureThreshold: 3, longestTimeoutMs: 2_000 }, 3_000, 7_500).totalMs; // 39_500
 */
export function worstCaseDecisionMs(timing: DetectionTiming, roundBudgetMs: number, passIntervalMs: number): DecisionWorstCase {
  const rounds = probeRoundOffsetsMs(timing.probeIntervalMs, roundBudgetMs);
  const roundsMs = rounds.length === 0 ? Number.POSITIVE_INFINITY : longestSpanMs(rounds, timing.failureThreshold);
  const passWaitMs = longestSpanMs(orchestratePassOffsetsMs(passIntervalMs), 1);
  const reportMs = timing.longestTimeoutMs;
  return { roundsMs, reportMs, passWaitMs, totalMs: roundsMs + reportMs + passWaitMs };
}

/**
 * The orchestrator's pass interval for a set of groups (one shard): the longest whole fraction of the minute, no
 * longer than the shortest probe interval, whose passes keep every group's decision within `detectionBoundMs`.
 * When no interval can, the one that misses it least is chosen, and `fcp validate` warns about the groups that miss it.
 *
 * @example
 * orchestratePassIntervalMs([{ probeIntervalMs: 10_000, failureThreshold: 3, longestTimeoutMs: 2_000 }], 3_000); // 7_500
 */
export function orchestratePassIntervalMs(timings: readonly DetectionTiming[], roundBudgetMs: number): number {
  const shortestIntervalMs = Math.min(...timings.map((timing) => timing.probeIntervalMs));
  const candidates = Array.from({ length: MAX_PASSES_PER_MINUTE }, (_, index) => SCHEDULE_PERIOD_MS / (index + 1)).filter(
    (passIntervalMs) => Number.isInteger(passIntervalMs) && passIntervalMs <= shortestIntervalMs && passIntervalMs >= MIN_PASS_MS,
  );
  if (candidates.length === 0) return Math.max(MIN_PASS_MS, shortestIntervalMs);
  // How far the worst group misses its bound with this interval (0 or less: every group meets it).
  const overrunMs = (passIntervalMs: number) =>
    Math.max(...timings.map((timing) => worstCaseDecisionMs(timing, roundBudgetMs, passIntervalMs).totalMs - detectionBoundMs(timing)));
  const meeting = candidates.find((passIntervalMs) => overrunMs(passIntervalMs) <= 0);
  if (meeting !== undefined) return meeting;
  // None can (the probe's gaps alone miss the bound): the interval that misses it least, with the fewest passes.
  return candidates.reduce((best, candidate) => (overrunMs(candidate) < overrunMs(best) ? candidate : best));
}

/**
 * A probe round's budget in a fleet: the longest timeout of any group's endpoints or checks plus the margin
 * (`runProbeRounds` waits this long for a round before its invocation's end).
 *
 * @example
 * probeRoundBudgetMs([{ probeIntervalMs: 10_000, failureThreshold: 3, longestTimeoutMs: 2_000 }]); // 3_000
 */
export function probeRoundBudgetMs(timings: readonly DetectionTiming[]): number {
  return Math.max(0, ...timings.map((timing) => timing.longestTimeoutMs)) + PROBE_ROUND_MARGIN_MS;
}

import type { GroupId, ObserverReport, RegionName, RoundResult } from './types.js';

/**
 * Why a round failed, in words an on-call engineer reads in a notification. Empty when the round passed.
 * A region fails a round when any HTTP probe fails, when its database reports itself not ok (two signals: an
 * application that answers while its database is down is still down), or when a drill injected a fault.
 *
 * @example
 * roundFailureReasons({ observedAt: 0, http: [{ url: 'https://a/health', ok: false, latencyMs: 2000, error: 'timeout' }] });
 * // ['https://a/health: timeout']
 */
export function roundFailureReasons(round: RoundResult): string[] {
  const reasons: string[] = [];
  for (const probe of round.http) {
    if (!probe.ok) reasons.push(`${probe.url}: ${probe.error ?? (probe.status === undefined ? 'failed' : `status ${probe.status}`)}`);
  }
  if (round.database !== undefined && !round.database.ok) {
    const database = round.database;
    reasons.push(`database ${database.role} is ${database.status}${database.error === undefined ? '' : `: ${database.error}`}`);
  }
  if (round.injectedFault !== undefined) reasons.push(`drill fault injected: ${round.injectedFault}`);
  return reasons;
}

/**
 * Folds one probe round into an observer's running report: a passing round resets the failure streak and extends the
 * success streak, a failing round the other way round.
 *
 * @example
 * const report = nextObserverReport(undefined, { groupId: 'orders', region: 'eu-west-1', observerRegion: 'us-east-1', round });
 * report.consecutiveFailures; // 1 when the round failed, 0 otherwise
 */
export function nextObserverReport(
  previous: ObserverReport | undefined,
  input: { groupId: GroupId; region: RegionName; observerRegion: RegionName; round: RoundResult },
): ObserverReport {
  const failureReasons = roundFailureReasons(input.round);
  const ok = failureReasons.length === 0;
  return {
    groupId: input.groupId,
    region: input.region,
    observerRegion: input.observerRegion,
    observedAt: input.round.observedAt,
    ok,
    consecutiveFailures: ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
    consecutiveSuccesses: ok ? (previous?.consecutiveSuccesses ?? 0) + 1 : 0,
    failureReasons,
    last: input.round,
  };
}

import type { FailoverRecord } from './types.js';

/** Outcomes that close a failover record: nothing after them may reopen it. */
const CLOSED_RANK = 1_000;

/**
 * How far a failover record has got: a closed record (completed, aborted, rejected) outranks every open one, and
 * among records of the same kind the one with more timestamps is further on. Record writes are conditional on this:
 * a record never moves backwards, so a stale executor's late delivery of an older copy changes nothing.
 *
 * @example
 * failoverProgress({ ...record, outcome: 'in-progress', timestamps: { detectedAt, decidedAt } }); // 2
 * failoverProgress({ ...record, outcome: 'completed', timestamps }); // 1000 + the number of timestamps
 */
export function failoverProgress(record: FailoverRecord): number {
  const stamps = Object.values(record.timestamps).filter((time) => typeof time === 'number').length;
  return (record.outcome === 'in-progress' ? 0 : CLOSED_RANK) + stamps;
}

/**
 * True when `next` may replace `stored`: it is as far on or further. Equal progress may be written again (an
 * outbox delivered twice writes the same record twice).
 *
 * @example
 * mayReplaceFailover(completed, inProgress); // false
 */
export function mayReplaceFailover(stored: FailoverRecord | undefined, next: FailoverRecord): boolean {
  return stored === undefined || failoverProgress(next) >= failoverProgress(stored);
}

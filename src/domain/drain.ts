import type { DatabaseSetup } from './group.js';
import type { ReplicaLagReading } from './replicaLag.js';
import type { EpochMs, FailoverRecord } from './types.js';

/**
 * A planned switchover loses no write: the old primary is fenced read-only, the target drains to lag 0, and only then
 * is it promoted. These rules say when a lag reading proves the drain, and when that proof may decide the promotion
 * without a second reading.
 */

/** Fence outcomes after which the old primary takes no write: the fence took effect (now or in an earlier attempt). */
const EFFECTIVE_FENCE_OUTCOMES: readonly string[] = ['fenced', 'already-fenced'];

/**
 * True when a failover's fence outcome means the old primary takes no write since: it was fenced now, or already.
 * Skipped, unreachable, failed or timed-out fences (`not fenced: ...`) and a failover not yet fenced do not.
 *
 * @example
 * fenceTookEffect('already-fenced'); // true
 * fenceTookEffect('unreachable'); // false: it may come back writable
 */
export function fenceTookEffect(outcome: string | undefined): boolean {
  return outcome !== undefined && EFFECTIVE_FENCE_OUTCOMES.includes(outcome);
}

/**
 * True when `reading` proves the target has every write: a lag of 0 measured at or after the moment the fence took
 * effect (`fencedAt`). A reading from before the fence proves nothing (the primary took writes after it), nor does one
 * without a fence time.
 *
 * @example
 * drainedBy({ seconds: 0, measuredAt: fencedAt + 1_000 }, fencedAt); // true
 * drainedBy({ seconds: 0, measuredAt: fencedAt - 1 }, fencedAt); // false: taken before the fence
 */
export function drainedBy(reading: ReplicaLagReading | undefined, fencedAt: EpochMs | undefined): boolean {
  return reading !== undefined && fencedAt !== undefined && reading.seconds === 0 && reading.measuredAt >= fencedAt;
}

/**
 * True when a planned switchover's promotion may rest on the drain's reading instead of a new lag read: the fence took
 * effect (the old primary has taken no write since `fencedAt`, so a lag of 0 measured after it stays 0), the drain
 * passed after it (`drainedAt`, recorded only on a reading `drainedBy` accepts), and the target's kind drains on a
 * reading (an Aurora switchover waits for the replica itself and records no reading). Anything else reads again:
 * an unplanned failover, a fence that was skipped, failed, timed out or found the primary unreachable, a drain not
 * recorded after the fence.
 *
 * @example
 * drainDecidesPromotion({ planned: true, fenceOutcome: 'fenced', timestamps: { fencedAt: 10, drainedAt: 20 } }, { kind: 'rds-instance', ... }); // true
 */
export function drainDecidesPromotion(
  failover: Pick<FailoverRecord, 'planned' | 'fenceOutcome' | 'timestamps'>,
  target: Pick<DatabaseSetup, 'kind'> | undefined,
): boolean {
  const { fencedAt, drainedAt } = failover.timestamps;
  return (
    failover.planned &&
    target !== undefined &&
    target.kind !== 'aurora-global' &&
    fenceTookEffect(failover.fenceOutcome) &&
    fencedAt !== undefined &&
    drainedAt !== undefined &&
    drainedAt >= fencedAt
  );
}

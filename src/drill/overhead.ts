import type { EpochMs, LoggedEvent } from '../domain/types.js';

/**
 * A stretch of a failover's recovery window during which it waited on something other than the control plane:
 * the (simulated) provider finishing a promotion, a replica catching up after a read-only fence, DNS propagating a
 * change, a provider API refusing every call or throttling the control plane's calls, or an operator deciding.
 * `endedAt` undefined: still going when the drill ended.
 */
export interface OutsideWait {
  readonly kind: 'promotion' | 'replication' | 'dns-sync' | 'aws-unavailable' | 'aws-throttled' | 'operator';
  /** The replica a `replication` wait is about: only the failover's target counts. */
  readonly region?: string;
  readonly startedAt: EpochMs;
  readonly endedAt?: EpochMs;
}

/** The states in which a failover waits for an operator's command (approve, retry, failover --allow-data-loss). */
const OPERATOR_STATES = ['awaitingApproval', 'stalled', 'blocked'] as const;

/**
 * The operator's share of a failover: from each entry into a state that waits for an operator to the first operator
 * command queued after it (`commandsAt`). The time from the command being queued to the executor taking it is the
 * control plane's, not the operator's. With no command known, the wait ends when the group leaves the state.
 *
 * @example
 * operatorWaits(events, [proposedAt + 14_000]); // [{ kind: 'operator', startedAt: proposedAt, endedAt: proposedAt + 14_000 }]
 */
export function operatorWaits(events: readonly LoggedEvent[], commandsAt: readonly EpochMs[]): OutsideWait[] {
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  const waits: OutsideWait[] = [];
  let enteredAt: EpochMs | undefined;
  for (const event of ordered) {
    const waiting = OPERATOR_STATES.some((state) => event.state === state || event.state.startsWith(`${state}.`));
    if (waiting && enteredAt === undefined) enteredAt = event.at;
    if (!waiting && enteredAt !== undefined) {
      const command = commandsAt.filter((at) => at >= enteredAt!).sort((a, b) => a - b)[0];
      waits.push({ kind: 'operator', startedAt: enteredAt, endedAt: Math.min(command ?? event.at, event.at) });
      enteredAt = undefined;
    }
  }
  if (enteredAt !== undefined) waits.push({ kind: 'operator', startedAt: enteredAt });
  return waits;
}

/**
 * How much of [from, to) the waits cover, each counted once where they overlap (a promotion still running while a
 * successor executor waits out a dead one's lease is one wait, not two).
 *
 * @example
 * coveredMs(0, 100, [{ kind: 'promotion', startedAt: 10, endedAt: 50 }, { kind: 'dns-sync', startedAt: 40, endedAt: 60 }]); // 50
 */
export function coveredMs(from: EpochMs, to: EpochMs, waits: readonly OutsideWait[]): number {
  const clipped = waits
    .map((wait) => [Math.max(from, wait.startedAt), Math.min(to, wait.endedAt ?? to)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reach = from;
  for (const [start, end] of clipped) {
    if (end <= reach) continue;
    covered += end - Math.max(start, reach);
    reach = end;
  }
  return covered;
}

import { nextLookSlot, type LookScope } from '../domain/lookCadence.js';
import type { EpochMs } from '../domain/types.js';

/**
 * The completion looks of one process (an orchestrate or operator Lambda, a drill), across all its groups: each look
 * takes the next free slot of every rate-limited API it calls (`nextLookSlot`), so a regional outage with many groups
 * in flight slows each group's looks down instead of getting the account throttled. Give every executor of the process
 * the same budget (`ExecutorDeps.looks`; `executorDeps` in src/composition makes one).
 *
 * @example
 * const looks = new LookBudget();
 * const at = looks.reserve(lookScopes(group, 'awaitingPromotion', 'us-east-1'), clock.now(), deadline);
 * if (at !== undefined) await clock.sleep(at - clock.now());
 */
export class LookBudget {
  readonly #nextFreeAt = new Map<string, EpochMs>();

  /**
   * Grants the first slot from `earliestAt` on, or nothing (and takes nothing) when that slot is after `latestAt`.
   * The slot is the caller's from then on: the look starts at it.
   */
  reserve(scopes: readonly LookScope[], earliestAt: EpochMs, latestAt: EpochMs): EpochMs | undefined {
    const slot = nextLookSlot(earliestAt, scopes, this.#nextFreeAt);
    if (slot.at > latestAt) return undefined;
    for (const [key, at] of slot.nextFreeAt) this.#nextFreeAt.set(key, at);
    return slot.at;
  }
}

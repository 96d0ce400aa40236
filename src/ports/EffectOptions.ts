import type { EpochMs } from '../domain/types.js';

/**
 * How long a side effect may take. The executor passes it to every effect it performs under the lease: the effect
 * either lands by `deadline` or not at all. Adapters give `signal` to the SDK (`client.send(command, { abortSignal })`)
 * so an AWS call still running when the lease is about to end is abandoned; in-memory doubles compare `deadline`
 * with their clock.
 *
 * @example
 * const effect = await holdLease(); // { signal, deadline }
 * await database.fence(group, region, 'stop-instance', effect);
 */
export interface EffectOptions {
  /** Aborted when the effect's time is up. */
  readonly signal?: AbortSignal;
  /** The time, on the caller's clock, after which the effect must not land. */
  readonly deadline?: EpochMs;
}

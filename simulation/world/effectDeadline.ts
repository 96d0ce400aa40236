import { RetryableStepError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';

/**
 * What the AWS adapters do with an effect's time (`abandonedIfAborted` before every write call): a write sent after
 * the effect's deadline is never sent; the call throws as an abandoned call does. On the virtual clock only: the
 * effect's `signal` runs on wall time, which a simulation never consults (one seed, one trace).
 *
 * @example
 * abandonIfLate(this.clock, effect, { groupId: group.id, region, step: 'fencing' }); // right before the write lands
 */
export function abandonIfLate(clock: Clock, effect: EffectOptions | undefined, context: { groupId: string; region?: string; step: string }): void {
  if (effect?.deadline === undefined || clock.now() <= effect.deadline) return;
  throw new RetryableStepError(`abandoned: the effect's deadline passed ${clock.now() - effect.deadline} ms before the write call (the lease it ran under is ending)`, context);
}

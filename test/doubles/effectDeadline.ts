import { RetryableStepError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { EffectOptions } from '../../src/ports/EffectOptions.js';

/**
 * What the real adapters do with an effect's deadline, on a test clock: an effect whose deadline has passed (or whose
 * signal was aborted) by the time it would land does not land, and the call throws as an abandoned AWS call does.
 *
 * @example
 * assertInTime(this.clock, effect); // call right before the double changes anything
 */
export function assertInTime(clock: Clock, effect: EffectOptions | undefined): void {
  const late = effect?.deadline !== undefined && clock.now() > effect.deadline;
  if (late || effect?.signal?.aborted === true) {
    throw new RetryableStepError(`abandoned: the effect's deadline ${effect?.deadline ?? '(aborted)'} passed at ${clock.now()}`);
  }
}

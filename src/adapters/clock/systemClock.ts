import type { Clock } from '../../ports/Clock.js';

/**
 * The wall clock: the real `Clock` of every deployed entry point (the Lambda functions and `fcp drill`), and the
 * default of adapters built without an injected clock.
 *
 * @example
 * const deadline = systemClock.now() + 50_000;
 * await systemClock.sleep(1_000);
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

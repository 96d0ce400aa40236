import type { InvariantName } from './invariants.js';
import { runSchedule, type RunOptions } from './runner.js';
import type { Schedule } from './schedule.js';

/**
 * The smallest schedule (fewest faults) that still breaks `invariant`: drops faults one at a time and keeps every drop
 * after which the schedule still fails the same way, until no single fault can go (a 1-minimal schedule).
 *
 * @example
 * const small = await shrink(schedule, 'split-brain-alarm'); // often one or two faults
 */
export async function shrink(
  schedule: Schedule,
  invariant: InvariantName,
  options: { maxRuns?: number; run?: RunOptions } = {},
): Promise<{ schedule: Schedule; runs: number }> {
  let current = schedule;
  let runs = 0;
  const maxRuns = options.maxRuns ?? 60;
  const fails = async (candidate: Schedule): Promise<boolean> => {
    runs += 1;
    const result = await runSchedule(candidate, options.run);
    return result.violations.some((violation) => violation.invariant === invariant);
  };
  let changed = true;
  while (changed && runs < maxRuns) {
    changed = false;
    for (let index = current.faults.length - 1; index >= 0 && runs < maxRuns; index -= 1) {
      const candidate = { ...current, faults: current.faults.filter((_, position) => position !== index) };
      if (await fails(candidate)) {
        current = candidate;
        changed = true;
      }
    }
  }
  return { schedule: current, runs };
}

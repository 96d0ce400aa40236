import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runSchedules } from '../../simulation/pool.js';
import { explainFailures, summarize } from '../../simulation/report.js';

// Random schedules on every core. SIMULATION_SEED=random plays a fresh base seed (printed first, with the command that
// replays the run); SIMULATION_SEED=<n> replays one; SIMULATION_SCHEDULES sets the count. Without them `npm test`
// plays the pinned window below: fresh seeds still meet one open split-brain-alarm class about 3 times in 10,000
// (docs/simulation.md, "Open"), so 10,000 fresh schedules per run would fail CI nearly every time. Switch the default
// to 'random' and 10,000 once "Open" is empty.
const PINNED_BASE_SEED = 730_504_478;
const DEFAULT_SCHEDULES = 2_500;
const schedules = Number(process.env.SIMULATION_SCHEDULES ?? DEFAULT_SCHEDULES);
const seedSetting = process.env.SIMULATION_SEED;
const baseSeed = seedSetting === 'random' ? randomInt(2 ** 31) : seedSetting === undefined ? PINNED_BASE_SEED : Number(seedSetting);
const replayRun = `SIMULATION_SEED=${baseSeed} SIMULATION_SCHEDULES=${schedules} npx vitest run test/simulation/schedules.test.ts (or: npm run simulate -- --seed ${baseSeed} --schedules ${schedules})`;
console.log(`simulation: base seed ${baseSeed}, ${schedules} schedules; replay: ${replayRun}`);

describe('random fault schedules', () => {
  it(`break no invariant in ${schedules} schedules from base seed ${baseSeed}`, { timeout: 60 * 60_000 }, async () => {
    // Act
    const started = performance.now();
    const batch = await runSchedules({ baseSeed, schedules, workers: 2 });
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const summary = `${summarize(batch)}\n${seconds.toFixed(0)} s wall, ${(batch.cpuMs / batch.schedules).toFixed(0)} ms CPU per schedule (base seed ${baseSeed})`;
    console.log(summary);
    expect(batch.schedules).toBe(schedules);
    if (batch.failed.length > 0) {
      const seeds = batch.failed.map((failure) => `  seed ${failure.seed} (${failure.invariants.join(', ')}): npm run simulate -- --seed ${failure.seed} --schedules 1`);
      const explained = await explainFailures(batch, { outDir: 'reports/simulation', traceLines: 40 });
      expect.fail(`${summary}\nreplay the run: ${replayRun}\nreplay each failing schedule:\n${seeds.join('\n')}\n\n${explained}`);
    }
  });
});

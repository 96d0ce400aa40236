import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runSchedules } from '../../simulation/pool.js';
import { explainFailures, summarize } from '../../simulation/report.js';

// 10,000 random schedules on every core, from a fresh base seed each run (printed first, so any failure replays with
// `npm run simulate -- --seed <base> --schedules 10000`, or one schedule with the replay file it prints).
// SIMULATION_SEED replays a base seed; SIMULATION_SCHEDULES changes the count for a local run (CI keeps 10,000).
const schedules = Number(process.env.SIMULATION_SCHEDULES ?? 10_000);
const baseSeed = process.env.SIMULATION_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.SIMULATION_SEED);
console.log(`simulation: base seed ${baseSeed}, ${schedules} schedules (replay: npm run simulate -- --seed ${baseSeed} --schedules ${schedules})`);

describe('random fault schedules', () => {
  it(`break no invariant in ${schedules} schedules`, { timeout: 60 * 60_000 }, async () => {
    // Act
    const started = performance.now();
    const batch = await runSchedules({ baseSeed, schedules, workers: 2 });
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const summary = `${summarize(batch)}\n${seconds.toFixed(0)} s wall, ${(batch.cpuMs / batch.schedules).toFixed(0)} ms CPU per schedule (base seed ${baseSeed})`;
    console.log(summary);
    expect(batch.schedules).toBe(schedules);
    if (batch.failed.length > 0) {
      const explained = await explainFailures(batch, { outDir: 'reports/simulation', traceLines: 40 });
      expect.fail(`${summary}\n\n${explained}`);
    }
  });
});

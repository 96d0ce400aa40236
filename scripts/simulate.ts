#!/usr/bin/env -S node --import tsx
// Deterministic simulation of the control plane (docs/simulation.md).
//   npm run simulate -- --schedules 10000 [--seed S] [--workers N]   random schedules (one worker per core by default) from base seed S
//   npm run simulate -- --replay reports/simulation/<file>.json     one schedule, with its full trace
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runSchedules } from '../simulation/pool.js';
import { explainFailures, readSchedule, summarize } from '../simulation/report.js';
import { runSchedule } from '../simulation/runner.js';
import { generateSchedule } from '../simulation/schedule.js';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    replay: { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: 'reports/simulation' },
    trace: { type: 'boolean', default: false },
  },
});

if (values.replay !== undefined || (values.seed !== undefined && values.schedules === '1')) {
  const schedule = values.replay !== undefined ? readSchedule(values.replay) : generateSchedule(Number(values.seed));
  const result = await runSchedule(schedule, { trace: true });
  console.log(result.trace.join('\n'));
  console.log(`\n1 schedules, ${result.violations.length === 0 ? 0 : 1} violations (seed ${schedule.seed}, ${schedule.faults.length} faults)`);
  process.exit(result.violations.length === 0 ? 0 : 1);
}

const schedules = Number(values.schedules);
const workers = Number(values.workers);
const baseSeed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
if (!Number.isInteger(schedules) || schedules < 1) throw new Error(`--schedules: ${values.schedules} is not a positive whole number`);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers: ${values.workers} is not a positive whole number`);
if (!Number.isInteger(baseSeed) || baseSeed < 0) throw new Error(`--seed: ${values.seed} is not a whole number ≥ 0`);
console.log(`simulate: base seed ${baseSeed}, ${schedules} schedules on ${workers} worker(s) (replay: --seed ${baseSeed} --schedules ${schedules})`);
const started = performance.now();
const batch = await runSchedules({
  baseSeed,
  schedules,
  workers,
  onProgress: (done) => {
    if (done % 1000 === 0) console.log(`  ${done} / ${schedules}`);
  },
});
const seconds = (performance.now() - started) / 1000;
console.log(summarize(batch));
console.log(`${seconds.toFixed(1)} s wall, ${(batch.cpuMs / batch.schedules).toFixed(0)} ms CPU per schedule, ${(batch.schedules / seconds).toFixed(1)} schedules/s`);
if (batch.failed.length > 0) {
  console.log(`\n${await explainFailures(batch, { outDir: values.out })}`);
  process.exit(1);
}

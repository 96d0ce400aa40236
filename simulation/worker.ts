import type { BatchResult, FailedSchedule, WorkerTask } from './pool.js';
import { runSchedule } from './runner.js';
import { generateSchedule } from './schedule.js';

// One simulation worker (a child process of pool.ts): plays each chunk of seeds it is sent and answers with the
// chunk's result (failures, steps, CPU), until the pool sends `done`.
process.on('message', async (task: WorkerTask) => {
  if (task.done === true) {
    process.exit(0);
  }
  const started = process.cpuUsage();
  const failed: FailedSchedule[] = [];
  let steps = 0;
  for (const seed of task.seeds ?? []) {
    const result = await runSchedule(generateSchedule(seed));
    steps += result.stats.steps;
    if (result.violations.length > 0) {
      failed.push({ seed, invariants: result.violations.map((violation) => violation.invariant), messages: result.violations.map((violation) => violation.message) });
    }
  }
  const cpu = process.cpuUsage(started);
  const result: BatchResult = { schedules: task.seeds?.length ?? 0, failed, steps, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.send?.({ result });
});

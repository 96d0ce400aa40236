import type { BatchResult, FailedSchedule, WorkerTask } from './pool.js';
import { runSchedule } from './runner.js';
import { generateSchedule } from './schedule.js';

// One simulation worker (a child process of pool.ts): plays the seeds it is sent, reports progress and failures.
process.once('message', async (task: WorkerTask) => {
  const started = process.cpuUsage();
  const failed: FailedSchedule[] = [];
  let steps = 0;
  let sinceProgress = 0;
  for (const seed of task.seeds) {
    const result = await runSchedule(generateSchedule(seed));
    steps += result.stats.steps;
    if (result.violations.length > 0) {
      failed.push({ seed, invariants: result.violations.map((violation) => violation.invariant), messages: result.violations.map((violation) => violation.message) });
    }
    sinceProgress += 1;
    if (sinceProgress === 100) {
      process.send?.({ progress: sinceProgress });
      sinceProgress = 0;
    }
  }
  if (sinceProgress > 0) process.send?.({ progress: sinceProgress });
  const cpu = process.cpuUsage(started);
  const result: BatchResult = { schedules: task.seeds.length, failed, steps, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.send?.({ result }, () => process.exit(0));
});

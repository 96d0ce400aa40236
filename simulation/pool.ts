import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InvariantName } from './invariants.js';

/** What a worker reports for one schedule that broke an invariant. */
export interface FailedSchedule {
  readonly seed: number;
  readonly invariants: readonly InvariantName[];
  readonly messages: readonly string[];
}

export interface BatchResult {
  readonly schedules: number;
  readonly failed: readonly FailedSchedule[];
  readonly steps: number;
  readonly cpuMs: number;
}

export interface WorkerTask {
  readonly seeds: readonly number[];
}

/** The seed of the `index`-th schedule of a run with `baseSeed`. */
export function seedAt(baseSeed: number, index: number): number {
  return (baseSeed + index) >>> 0;
}

/**
 * Runs `schedules` schedules from `baseSeed` on `workers` child processes (one per core), interleaved so each gets a
 * fair share of large and small ones, and gathers the failures. Each child is a fresh Node with tsx, so the run is
 * the same whatever process started it (a vitest worker, the CLI).
 *
 * @example
 * const result = await runSchedules({ baseSeed: 42, schedules: 10_000, workers: 2 });
 * result.failed.length; // 0 on correct code
 */
export async function runSchedules(input: { baseSeed: number; schedules: number; workers: number; onProgress?: (done: number) => void }): Promise<BatchResult> {
  const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const tasks: number[][] = Array.from({ length: Math.max(1, input.workers) }, () => []);
  for (let index = 0; index < input.schedules; index += 1) tasks[index % tasks.length]!.push(seedAt(input.baseSeed, index));
  let done = 0;
  const results = await Promise.all(
    tasks.map(
      (seeds) =>
        new Promise<BatchResult>((resolve, reject) => {
          const child = fork(workerFile, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          let result: BatchResult | undefined;
          child.on('message', (message: { progress?: number; result?: BatchResult }) => {
            if (message.progress !== undefined) {
              done += message.progress;
              input.onProgress?.(done);
            }
            if (message.result !== undefined) result = message.result;
          });
          child.on('error', reject);
          child.on('exit', (code) => (result === undefined ? reject(new Error(`simulation worker exited with code ${code} before reporting`)) : resolve(result)));
          child.send({ seeds } satisfies WorkerTask);
        }),
    ),
  );
  return {
    schedules: results.reduce((sum, result) => sum + result.schedules, 0),
    failed: results.flatMap((result) => result.failed).sort((a, b) => a.seed - b.seed),
    steps: results.reduce((sum, result) => sum + result.steps, 0),
    cpuMs: results.reduce((sum, result) => sum + result.cpuMs, 0),
  };
}

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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

/** A chunk of seeds for a worker to play, or the word that no chunk is left. */
export interface WorkerTask {
  readonly seeds?: readonly number[];
  readonly done?: true;
}

/** Seeds per chunk: small enough that the workers finish together, large enough that messages cost nothing. */
const CHUNK = 25;

/** The seed of the `index`-th schedule of a run with `baseSeed`. */
export function seedAt(baseSeed: number, index: number): number {
  return (baseSeed + index) >>> 0;
}

/**
 * Runs `schedules` schedules from `baseSeed` on `workers` child processes (one per core) and gathers the failures.
 * Each worker asks for the next chunk of seeds when it is done with one, so a worker on a busier core simply plays
 * fewer: the result does not depend on who played which seed (one seed, one trace). Each child is a fresh Node running
 * the worker's bundle (`bundledWorker`), so the run is the same whatever process started it (a vitest worker, the CLI).
 *
 * @example
 * const result = await runSchedules({ baseSeed: 42, schedules: 10_000, workers: 2 });
 * result.failed.length; // 0 on correct code
 */
export async function runSchedules(input: { baseSeed: number; schedules: number; workers: number; onProgress?: (done: number) => void }): Promise<BatchResult> {
  const worker = await bundledWorker();
  try {
    return await runOn(worker, input);
  } finally {
    worker.cleanup();
  }
}

interface WorkerEntry {
  readonly file: string;
  readonly cleanup: () => void;
}

/**
 * The worker as one esbuild bundle run by plain Node: the same code, without tsx's per-function helpers
 * (`__name` wrappers on every closure), which cost ≈ 10 % of the CPU per schedule. Built once per run, in a
 * temporary directory removed afterwards (`cleanup`).
 */
async function bundledWorker(): Promise<WorkerEntry> {
  const source = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const directory = mkdtempSync(join(tmpdir(), 'simulation-worker-'));
  const file = join(directory, 'worker.mjs');
  await build({
    entryPoints: [source],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'error',
    // Bundled CommonJS dependencies (xstate's build) call require: give the ES module one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return { file, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}

async function runOn(worker: WorkerEntry, input: { baseSeed: number; schedules: number; workers: number; onProgress?: (done: number) => void }): Promise<BatchResult> {
  let next = 0;
  let done = 0;
  const takeChunk = (): number[] => {
    const seeds: number[] = [];
    for (; next < input.schedules && seeds.length < CHUNK; next += 1) seeds.push(seedAt(input.baseSeed, next));
    return seeds;
  };
  const results = await Promise.all(
    Array.from(
      { length: Math.max(1, Math.min(input.workers, Math.ceil(input.schedules / CHUNK))) },
      () =>
        new Promise<BatchResult[]>((resolve, reject) => {
          const child = fork(worker.file, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          const results: BatchResult[] = [];
          let finished = false;
          const sendNext = (): void => {
            const seeds = takeChunk();
            if (seeds.length > 0) {
              child.send({ seeds } satisfies WorkerTask);
              return;
            }
            finished = true;
            child.send({ done: true } satisfies WorkerTask);
          };
          child.on('message', (message: { result?: BatchResult }) => {
            if (message.result === undefined) return;
            results.push(message.result);
            const before = done;
            done += message.result.schedules;
            if (Math.floor(done / 1000) > Math.floor(before / 1000)) input.onProgress?.(Math.floor(done / 1000) * 1000);
            sendNext();
          });
          child.on('error', reject);
          child.on('exit', (code) => (finished && code === 0 ? resolve(results) : reject(new Error(`simulation worker exited with code ${code} before its last chunk`))));
          sendNext();
        }),
    ),
  );
  const all = results.flat();
  return {
    schedules: all.reduce((sum, result) => sum + result.schedules, 0),
    failed: all.flatMap((result) => result.failed).sort((a, b) => a.seed - b.seed),
    steps: all.reduce((sum, result) => sum + result.steps, 0),
    cpuMs: all.reduce((sum, result) => sum + result.cpuMs, 0),
  };
}

/**
 * How fast `fcp` answers, as an operator runs it: a new node process each time, the prebuilt CLI (bin/fcp.js →
 * dist/cli/). Goals (#13 §3): --help and --version ≤ 300 ms, `fcp --local status` ≤ 500 ms. Wall-clock medians on a
 * shared machine: the CPU time (user + system of the child) is printed beside it, and node's own start as a floor.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { reconcileGroup } from '../src/application/executor.js';
import { serveOperatorApiLocally } from '../src/cli/localServer.js';
import { inMemoryWorld, probeRound } from '../test/application/harness.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin', 'fcp.js');
const RUNS = 9;

async function timed(args: readonly string[], cwd: string): Promise<{ wallMs: number; cpuMs: number }> {
  const started = performance.now();
  // `time`-like CPU figures without a shell: the child reports its own resource usage on exit.
  const { stderr } = await run(process.execPath, ['--import', 'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write(`\\ncpu ${(u.userCPUTime+u.systemCPUTime)/1000}`)})', ...args], { cwd });
  const wallMs = performance.now() - started;
  const cpuMs = Number(/cpu ([\d.]+)$/.exec(stderr)?.[1] ?? NaN);
  return { wallMs, cpuMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(label: string, args: readonly string[], cwd: string, goalMs?: number): Promise<void> {
  await timed(args, cwd); // the first run may build dist/cli/ and warms the file cache
  const samples: { wallMs: number; cpuMs: number }[] = [];
  for (let index = 0; index < RUNS; index += 1) samples.push(await timed(args, cwd));
  const wall = median(samples.map((sample) => sample.wallMs));
  const cpu = median(samples.map((sample) => sample.cpuMs));
  const verdict = goalMs === undefined ? '' : `  goal ≤ ${goalMs} ms: ${wall <= goalMs ? 'met' : 'NOT met'}`;
  console.log(`${label.padEnd(28)} median ${wall.toFixed(0).padStart(4)} ms wall, ${cpu.toFixed(0).padStart(4)} ms CPU over ${RUNS} runs${verdict}`);
}

/**
 * Prints the CLI start-up figures.
 *
 * @example
 * await cliBench();
 */
export async function cliBench(): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'fcp-bench-'));
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
  const server = await serveOperatorApiLocally(world.deps, { port: 0, principalArn: 'arn:aws:iam::000000000000:user/bench', cwd });
  try {
    await measure('node -e 0 (the floor)', ['-e', '0'], cwd);
    await measure('fcp --version', [bin, '--version'], cwd, 300);
    await measure('fcp --help', [bin, '--help'], cwd, 300);
    await measure('fcp --local status orders', [bin, '--local', 'status', 'orders'], cwd, 500);
  } finally {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  }
}

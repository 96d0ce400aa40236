// Bundle size and cold import time of each Lambda handler, as deployed (esbuild, minified, ESM, platform node).
//
//   npx tsx scripts/bundle-report.ts [--runs 15] [probe orchestrate operator]
//
// Import time is measured in a fresh `node` process per run: the time from just before `await import(bundle)` to
// just after, i.e. the module's load and top-level evaluation (what a Lambda cold start adds on top of the runtime's
// own start). Process time is the whole `node` process, start to exit. Both are medians over the runs.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleHandler } from './package.mjs';

interface Report {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly importMs: number;
  readonly processMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function coldImport(bundlePath: string): { importMs: number; processMs: number } {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundlePath).href)}); console.log(performance.now() - t);`;
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`importing ${bundlePath} failed:\n${child.stderr}`);
  return { importMs: Number(child.stdout.trim()), processMs };
}

async function report(handler: string, runs: number, directory: string): Promise<Report> {
  const { code } = await bundleHandler(handler);
  const bundlePath = join(directory, `${handler}.mjs`);
  await writeFile(bundlePath, code);
  const samples = Array.from({ length: runs }, () => coldImport(bundlePath));
  return {
    handler,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    importMs: median(samples.map((sample) => sample.importMs)),
    processMs: median(samples.map((sample) => sample.processMs)),
  };
}

async function main(args: readonly string[]): Promise<void> {
  const runsFlag = args.indexOf('--runs');
  const runs = runsFlag === -1 ? 15 : Number(args[runsFlag + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const named = args.filter((_arg, index) => runsFlag === -1 || (index !== runsFlag && index !== runsFlag + 1));
  const handlers = named.length > 0 ? named : ['probe', 'orchestrate', 'operator'];
  const directory = await mkdtemp(join(tmpdir(), 'bundle-report-'));
  try {
    console.log(`node ${process.version}, ${runs} cold imports per handler (medians)\n`);
    console.log('| handler | bundle (bytes) | gzip (bytes) | cold import (ms) | node process (ms) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const handler of handlers) {
      const row = await report(handler, runs, directory);
      console.log(`| ${row.handler} | ${row.bytes} | ${row.gzipBytes} | ${row.importMs.toFixed(1)} | ${row.processMs.toFixed(1)} |`);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));

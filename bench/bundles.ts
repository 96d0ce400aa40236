/**
 * Lambda bundle figures (issue #11): each handler as scripts/package.mjs builds it, its size against the 400 KB goal
 * (SDK bundled), and the CPU its cold `import` costs against the 80 ms goal, measured as the CPU of a fresh `node`
 * that imports the bundle minus that of an empty `node` started in the same run (interleaved, medians).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { adaptersUsedBy, ALL_ADAPTERS, bundleHandler, type OptionalAdapters } from '../scripts/package.mjs';

export const HANDLERS = ['probe', 'orchestrate', 'operator'] as const;
export const BUNDLE_GOAL_BYTES = 400_000;
export const IMPORT_CPU_GOAL_MS = 80;
/** The configuration the figures are for: the one `osls deploy` packages by default (serverless.yml `config`). */
export const MEASURED_CONFIG = 'config/example.yaml';

export interface BundleFigure {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** CPU (user + system) of `node` importing the bundle, minus an empty `node`'s, medians. */
  readonly importCpuMs: number;
  /** Wall time of the `await import(bundle)` itself, median. */
  readonly importMs: number;
  readonly emptyNodeCpuMs: number;
  readonly metafile: Metafile;
}

interface Sample {
  readonly cpuMs: number;
  readonly importMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One fresh `node`: its whole CPU up to the end of the import (or of nothing, for the empty baseline). */
function freshNode(bundlePath: string | undefined): Sample {
  const load = bundlePath === undefined ? '' : `await import(${JSON.stringify(pathToFileURL(bundlePath).href)});`;
  const script = `const t = performance.now(); ${load} const took = performance.now() - t; const cpu = process.cpuUsage(); console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1e3, importMs: took }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  if (child.status !== 0) throw new Error(`importing ${bundlePath ?? 'nothing'} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim()) as Sample;
}

/**
 * Builds and measures each handler's bundle; `runs` fresh processes per handler, each paired with an empty one.
 * `adapters`: the optional adapter families the artifact carries (by default: those `MEASURED_CONFIG` uses).
 *
 * @example
 * const [probe] = await measureBundles(['probe'], 9); // probe.bytes, probe.importCpuMs
 */
export async function measureBundles(handlers: readonly string[] = HANDLERS, runs = 9, adapters?: OptionalAdapters): Promise<BundleFigure[]> {
  const kept = adapters ?? (await adaptersUsedBy(MEASURED_CONFIG));
  const directory = await mkdtemp(join(tmpdir(), 'bundles-'));
  try {
    const figures: BundleFigure[] = [];
    for (const handler of handlers) {
      const { code, metafile } = await bundleHandler(handler, { adapters: kept });
      const bundlePath = join(directory, `${handler}.mjs`);
      await writeFile(bundlePath, code);
      const loaded: Sample[] = [];
      const empty: Sample[] = [];
      for (let run = 0; run < runs; run += 1) {
        empty.push(freshNode(undefined));
        loaded.push(freshNode(bundlePath));
      }
      const emptyNodeCpuMs = median(empty.map((sample) => sample.cpuMs));
      figures.push({
        handler,
        bytes: code.byteLength,
        gzipBytes: gzipSync(code, { level: 9 }).byteLength,
        importCpuMs: median(loaded.map((sample) => sample.cpuMs)) - emptyNodeCpuMs,
        importMs: median(loaded.map((sample) => sample.importMs)),
        emptyNodeCpuMs,
        metafile,
      });
    }
    return figures;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * What a bundle holds, by package (or project folder), largest first: bytes that made it into the output.
 *
 * @example
 * contents(figure.metafile).slice(0, 5); // [['@smithy/core', 120000], ['@aws-sdk/client-rds', 101000], ...]
 */
export function contents(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = match?.[1] ?? path.replace(/^(\.\.\/)+/, '').split('/').slice(0, 2).join('/');
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const kb = (bytes: number) => `${(bytes / 1_000).toFixed(0)} KB`;

/**
 * The bench lines: size and import CPU of each handler next to the goals.
 *
 * @example
 * await bundleBench(); // bundle probe: 436 KB (goal ≤ 400 KB) ...
 */
export async function bundleBench(runs = 9): Promise<void> {
  const asPackaged = await adaptersUsedBy(MEASURED_CONFIG);
  const sizes = async (adapters: OptionalAdapters) =>
    (await Promise.all(HANDLERS.map(async (handler) => `${handler} ${kb((await bundleHandler(handler, { adapters })).code.byteLength)}`))).join(', ');
  const left = Object.entries(asPackaged).filter(([, used]) => !used).map(([family]) => family);
  console.log(
    `bundles as ${MEASURED_CONFIG} packages them (adapters it does not use left out: ${left.join(', ') || 'none'}; ` +
      `with a postgres group: ${await sizes({ ...asPackaged, postgres: true })}; with every adapter: ${await sizes(ALL_ADAPTERS)})`,
  );
  for (const figure of await measureBundles(HANDLERS, runs)) {
    const sizeOk = figure.bytes <= BUNDLE_GOAL_BYTES ? 'ok' : 'OVER';
    const cpuOk = figure.importCpuMs <= IMPORT_CPU_GOAL_MS ? 'ok' : 'OVER';
    console.log(
      `bundle ${figure.handler}: ${kb(figure.bytes)} (goal ≤ ${kb(BUNDLE_GOAL_BYTES)}: ${sizeOk}), gzip ${kb(figure.gzipBytes)}; ` +
        `cold import ${figure.importCpuMs.toFixed(0)} ms CPU over an empty node's ${figure.emptyNodeCpuMs.toFixed(0)} ms ` +
        `(goal ≤ ${IMPORT_CPU_GOAL_MS} ms: ${cpuOk}), ${figure.importMs.toFixed(0)} ms wall; median of ${runs}`,
    );
  }
}

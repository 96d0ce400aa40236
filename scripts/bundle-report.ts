// Bundle size, cold import and contents of each Lambda handler, as deployed (esbuild, minified, ESM, platform node).
//
//   npx tsx scripts/bundle-report.ts [--runs 9] [--top 12] [--postgres | --all-adapters] [probe orchestrate operator]
//
// As config/example.yaml packages them (the adapters it does not use left out: PostgreSQL, Aurora, ARC); --postgres:
// with the PostgreSQL adapters as well; --all-adapters: with every optional adapter (any configuration).
//
// Cold import CPU: a fresh `node` that imports the bundle, minus an empty `node` started in the same run (medians;
// bench/bundles.ts). Contents: esbuild's metafile, the bytes each package (or project folder) put into the bundle.
import { adaptersUsedBy, ALL_ADAPTERS } from './package.mjs';
import { BUNDLE_GOAL_BYTES, contents, HANDLERS, IMPORT_CPU_GOAL_MS, MEASURED_CONFIG, measureBundles } from '../bench/bundles.js';

function flag(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index === -1 ? fallback : Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main(args: readonly string[]): Promise<void> {
  const runs = flag(args, '--runs', 9);
  const top = flag(args, '--top', 12);
  const asPackaged = await adaptersUsedBy(MEASURED_CONFIG);
  const variant = args.includes('--all-adapters') ? 'with every optional adapter' : args.includes('--postgres') ? 'with the PostgreSQL adapters' : undefined;
  const adapters = args.includes('--all-adapters') ? ALL_ADAPTERS : args.includes('--postgres') ? { ...asPackaged, postgres: true } : asPackaged;
  const named = args.filter((arg, index) => !arg.startsWith('--') && !['--runs', '--top'].includes(args[index - 1] ?? ''));
  const figures = await measureBundles(named.length > 0 ? named : HANDLERS, runs, adapters);
  console.log(
    `node ${process.version}, ${runs} cold imports per handler (medians), ${variant ?? `as ${MEASURED_CONFIG} packages them`}; ` +
      `goals: ≤ ${BUNDLE_GOAL_BYTES} bytes, ≤ ${IMPORT_CPU_GOAL_MS} ms CPU\n`,
  );
  console.log('| handler | bundle (bytes) | gzip (bytes) | import CPU over empty node (ms) | import wall (ms) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const figure of figures) {
    console.log(`| ${figure.handler} | ${figure.bytes} | ${figure.gzipBytes} | ${figure.importCpuMs.toFixed(0)} | ${figure.importMs.toFixed(0)} |`);
  }
  for (const figure of figures) {
    console.log(`\n${figure.handler}: largest parts (bytes in the bundle)`);
    for (const [part, bytes] of contents(figure.metafile).slice(0, top)) console.log(`  ${String(bytes).padStart(7)}  ${part}`);
  }
}

await main(process.argv.slice(2));

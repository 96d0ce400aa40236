#!/usr/bin/env node
// Builds the fcp CLI into dist/cli/ with esbuild: one ES module per lazily imported part (code splitting), so that
// `fcp --help` parses commander and the command table only, and the AWS SDK loads when a command needs it.
// Run by `npm ci` / `npm install` (the `prepare` script) and by bin/fcp.js when dist/cli/ is missing or older than a
// source it was built from, so a fresh clone works after `npm ci` alone, with or without --ignore-scripts.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the built CLI lives, and the list of sources it was built from (bin/fcp.js compares their times). */
export const CLI_DIR = join(root, 'dist', 'cli');
export const MANIFEST = 'inputs.json';

/**
 * Builds dist/cli/ and answers how long it took. Builds in a private folder and renames it into place, so two `fcp`
 * started at once on a fresh clone never run a half-written build.
 *
 * @example
 * await buildCli(); // { ms: 412, files: 9 }
 */
export async function buildCli() {
  const started = performance.now();
  const { build } = await import('esbuild');
  const staging = `${CLI_DIR}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    // CommonJS dependencies (the AWS SDK) call require() for Node built-ins; an ES module has none of its own.
    banner: { js: "import { createRequire as __fcpCreateRequire } from 'node:module'; const require = __fcpCreateRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile.inputs).filter((path) => !path.includes('node_modules/'));
  writeFileSync(join(staging, MANIFEST), `${JSON.stringify({ builtAt: Date.now(), inputs: [...inputs, 'package.json', 'package-lock.json'] })}\n`);
  mkdirSync(dirname(CLI_DIR), { recursive: true });
  rmSync(CLI_DIR, { recursive: true, force: true });
  try {
    renameSync(staging, CLI_DIR);
  } catch (error) {
    // Another fcp renamed its build into place first: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  }
  return { ms: Math.round(performance.now() - started), files: Object.keys(result.metafile.outputs).length };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { ms, files } = await buildCli();
    console.log(`fcp CLI built into ${CLI_DIR} (${files} files) in ${ms} ms`);
  } catch (error) {
    // `npm ci --omit=dev` has no esbuild: the install must not fail for it; bin/fcp.js runs the source through tsx.
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.log('esbuild is not installed (a production install): fcp runs from its TypeScript source through tsx');
  }
}

#!/usr/bin/env node
// fcp runs prebuilt from dist/cli/ (esbuild, see scripts/build-cli.mjs): starting it parses no TypeScript. The build
// is made by `npm ci` (prepare) or, when missing or older than any source it was built from, here before running.
// Without esbuild (a production install), it runs from the TypeScript source through tsx, as before.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const entry = new URL('dist/cli/main.js', root);

function builtAndFresh() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    return inputs.every((path) => statSync(new URL(path, root)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

if (builtAndFresh()) {
  await import(entry);
} else {
  let built = false;
  try {
    const { buildCli } = await import('../scripts/build-cli.mjs');
    await buildCli();
    built = true;
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  if (built) {
    await import(entry);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}

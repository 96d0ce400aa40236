#!/usr/bin/env node
// Fails when an import arrow points the wrong way (see ../shared/STYLE.md, "The shape of the house"):
//   handlers -> application -> state-machines, domain, ports;  adapters -> ports, domain;
//   @aws-sdk/* only under src/adapters/ (and the composition root, src/composition.ts).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** Layer of a project file, by path. */
function layerOf(file) {
  const path = relative(root, file).split('\\').join('/');
  if (path.startsWith('state-machines/')) return 'machine';
  if (path.startsWith('handlers/')) return 'handlers';
  if (path.startsWith('simulation/')) return 'simulation';
  if (path.startsWith('test/doubles/')) return 'doubles';
  if (path.replace(/\.js$/, '.ts') === 'src/composition.ts') return 'composition';
  const match = /^src\/([^/]+)\//.exec(path);
  return match ? match[1] : undefined;
}

// What each layer may import from the project. Anything not listed is forbidden.
const allowed = {
  domain: ['domain', 'config'],
  config: ['config', 'domain'],
  ports: ['ports', 'domain', 'config'],
  machine: ['machine', 'domain', 'config'],
  application: ['application', 'machine', 'domain', 'ports', 'config'],
  adapters: ['adapters', 'ports', 'domain', 'config'],
  composition: ['composition', 'adapters', 'application', 'ports', 'domain', 'config', 'machine'],
  cli: ['cli', 'application', 'machine', 'domain', 'ports', 'config', 'composition', 'adapters', 'drill', 'ui'],
  // The dashboard (fcp ui): a local web server over the operator API; it reuses the drill report's renderers.
  ui: ['ui', 'application', 'domain', 'ports', 'config', 'adapters', 'drill'],
  // The local drill serves the operator API (src/cli/localServer.ts) for `fcp --local`.
  drill: ['drill', 'application', 'machine', 'domain', 'ports', 'config', 'composition', 'adapters', 'cli'],
  handlers: ['handlers', 'application', 'composition', 'domain', 'ports', 'config'],
  // The deterministic simulator (docs/simulation.md) runs the use cases unchanged over the in-memory doubles and the
  // pure simulated world; nothing in src/ may import it, and it never builds a real adapter (no composition, no SDK).
  simulation: ['simulation', 'application', 'machine', 'domain', 'ports', 'config', 'adapters', 'doubles'],
};
const mayImportAwsSdk = new Set(['adapters', 'composition']);
// The simulation imports adapters only from the pure simulated world.
const simulationAdapters = /^src\/adapters\/sim\//;
const pureLayers = new Set(['machine', 'domain']);
const nodeBuiltins = /^node:/;

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const importPattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
let checked = 0;
for (const top of ['src', 'state-machines', 'handlers', 'simulation']) {
  for (const file of sourceFiles(join(root, top))) {
    const layer = layerOf(file);
    if (layer === undefined || allowed[layer] === undefined) {
      problems.push(`${relative(root, file)}: not in a known layer (add it to scripts/check-dependencies.mjs)`);
      continue;
    }
    checked += 1;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2];
      const where = `${relative(root, file)} imports ${specifier}`;
      if (specifier.startsWith('.')) {
        const target = layerOf(resolve(dirname(file), specifier));
        if (!allowed[layer].includes(target)) problems.push(`${where}: ${layer} may not depend on ${target}`);
        else if (layer === 'simulation' && target === 'adapters' && !simulationAdapters.test(relative(root, resolve(dirname(file), specifier)))) {
          problems.push(`${where}: the simulation uses only the pure simulated adapters (src/adapters/sim/)`);
        }
      } else if (specifier.startsWith('@aws-sdk/') && !mayImportAwsSdk.has(layer)) {
        problems.push(`${where}: @aws-sdk/* belongs under src/adapters/ only`);
      } else if (pureLayers.has(layer) && nodeBuiltins.test(specifier)) {
        problems.push(`${where}: ${layer} is pure and may not use Node built-ins`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency rules: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`dependency rules: ${checked} files checked, no arrow points the wrong way`);

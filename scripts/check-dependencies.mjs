#!/usr/bin/env node
// Fails when an import arrow points the wrong way (see ../shared/STYLE.md, "The shape of the house"):
//   handlers -> application -> state-machines, domain, ports;  adapters -> ports, domain;
//   @aws-sdk/* only under src/adapters/ (and the composition root, src/composition/).
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
  // The command line runs the drills (`npm start` is src/cli/localDrill.ts, `fcp drill` the staging drill).
  cli: ['cli', 'application', 'machine', 'domain', 'ports', 'config', 'composition', 'adapters', 'drill', 'ui'],
  // The dashboard (fcp ui): a local web server over the operator API; it reuses the drill report's renderers.
  ui: ['ui', 'application', 'domain', 'ports', 'config', 'adapters', 'drill'],
  // The drill never imports the command line: the CLI drives the drill, not the other way round.
  drill: ['drill', 'application', 'machine', 'domain', 'ports', 'config', 'composition', 'adapters'],
  handlers: ['handlers', 'application', 'composition', 'domain', 'ports', 'config'],
  // The deterministic simulator (docs/simulation.md) runs the use cases unchanged over the in-memory doubles and the
  // pure simulated world; nothing in src/ may import it, and it never builds a real adapter (no composition, no SDK).
  simulation: ['simulation', 'application', 'machine', 'domain', 'ports', 'config', 'adapters', 'doubles'],
};
const mayImportAwsSdk = new Set(['adapters', 'composition']);
// The drill and the dashboard run on adapters the composition root builds (src/composition/localDrill.ts and
// postgresDrill.ts wire the drills): they may name an adapter's type, never import one to build or call it.
const adapterTypesOnly = new Set(['drill', 'ui']);
// The simulation imports adapters only from the pure simulated world.
const simulationAdapters = /^src\/adapters\/sim\//;
const pureLayers = new Set(['machine', 'domain']);
const nodeBuiltins = /^node:/;

/** `import type { X } from`, `export type { X } from`, or braces holding only `type` names: erased at compile time. */
function isTypeOnly(statement) {
  if (/^(?:import|export)\s+type\s/.test(statement)) return true;
  const names = /^import\s*\{([^}]*)\}\s*from/.exec(statement)?.[1];
  return names !== undefined && names.split(',').filter((name) => name.trim() !== '').every((name) => /^\s*type\s/.test(name));
}

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

// Two layers that import each other are one layer in disguise. The known pair is on its way out (#14, "domain and
// ports stop importing config types"); no new pair may appear.
const knownCycles = new Set(['config<->domain']);
for (const [layer, targets] of Object.entries(allowed)) {
  for (const target of targets) {
    const pair = [layer, target].sort().join('<->');
    if (target !== layer && allowed[target]?.includes(layer) && !knownCycles.has(pair)) {
      console.error(`dependency rules: ${layer} and ${target} may import each other (a cycle); allow one direction only`);
      process.exit(1);
    }
  }
}
const edges = new Set();

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
        if (target !== layer) edges.add(`${layer}->${target}`);
        if (!allowed[layer].includes(target)) problems.push(`${where}: ${layer} may not depend on ${target}`);
        else if (target === 'adapters' && adapterTypesOnly.has(layer) && !isTypeOnly(match[0])) {
          problems.push(`${where}: ${layer} imports adapters as types only; the composition root (src/composition/) builds them`);
        }
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

for (const edge of edges) {
  const [from, to] = edge.split('->');
  if (edges.has(`${to}->${from}`) && !knownCycles.has([from, to].sort().join('<->')) && from < to) {
    problems.push(`${from} and ${to} import each other: a cycle between layers`);
  }
}

// The core speaks the domain's types. The configuration maps into them at the edge (src/config/schema.ts holds a
// parsed group to src/domain/group.ts), so the domain, the ports and the machine never import src/config/, not even
// for a type: a config change then cannot reach the rules without passing that check. (Stricter than the table
// above, which lets them import config; this block is kept apart from it.)
const configFreeLayers = new Set(['domain', 'ports', 'machine']);
for (const top of ['src', 'state-machines']) {
  for (const file of sourceFiles(join(root, top))) {
    const layer = layerOf(file);
    if (!configFreeLayers.has(layer)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith('.') && layerOf(resolve(dirname(file), specifier)) === 'config') {
        problems.push(`${relative(root, file)} imports ${specifier}: ${layer} may not depend on config; use the domain's types (src/domain/group.ts)`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency rules: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`dependency rules: ${checked} files checked, no arrow points the wrong way`);

// The drills' acceptance test on a busy machine (issue #14): every scenario, `--runs` times at the default factor,
// while CPU-heavy jobs run in parallel; counts the verdicts. A busy run may say "not trusted"; a FAIL is a false
// verdict (every scenario passes on a quiet machine: test/drill/scenarios.dynamodb.test.ts).
//
//   node --import tsx scripts/drill-stress.ts [--runs 30] [--scenario <name>]... [--burners 2] [--json <file>]
//
// Exit 0 when no run gave a false verdict, 1 otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../src/drill/dynamodbLocal.js';
import { DEFAULT_CLOCK_FACTOR, runDrill, type DrillOutcome } from '../src/drill/runDrill.js';
import { SCENARIOS } from '../src/drill/scenarios/library.js';
import { localDrillStores } from '../src/drill/stores.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    scenario: { type: 'string', multiple: true },
    burners: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const burnerCount = Number(values.burners);
const scenarios = values.scenario === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => values.scenario?.includes(scenario.name));
if (!(runs >= 1) || !(burnerCount >= 0) || scenarios.length === 0) {
  console.error('usage: drill-stress.ts [--runs n ≥ 1] [--scenario <name>]... [--burners n ≥ 0] [--json <file>]');
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The CPU-heavy job in parallel: busy loops, one per burner, each a process of its own. */
function startBurners(count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'let x = 0; for (;;) { x = (x * 31 + 7) % 1_000_003; }'], { stdio: 'ignore' }),
  );
}

interface Tally {
  pass: number;
  fail: number;
  'not-trusted': number;
  realMs: number[];
  failures: string[];
}

const local = await startDynamoDbLocal();
const burners = startBurners(burnerCount);
const stopAll = async () => {
  for (const burner of burners) burner.kill('SIGKILL');
  await local.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

const tallies = new Map<string, Tally>();
const started = Date.now();
try {
  for (let run = 1; run <= runs; run += 1) {
    for (const scenario of scenarios) {
      const tally = tallies.get(scenario.name) ?? { pass: 0, fail: 0, 'not-trusted': 0, realMs: [], failures: [] };
      tallies.set(scenario.name, tally);
      const { stores, close } = await localDrillStores(local.endpoint, `stress-${scenario.name}-${run}`);
      let outcome: DrillOutcome;
      try {
        const result = await runDrill({ scenario, stores, factor: DEFAULT_CLOCK_FACTOR });
        outcome = result.outcome;
        tally.realMs.push(result.endState.realMs);
        if (outcome === 'fail') {
          const failed = [...result.expectationResults, ...result.physics].filter((check) => !check.pass);
          tally.failures.push(`run ${run}: ${failed.map((check) => `${check.name}: ${check.actual}`).join('; ')}`);
        }
        if (outcome === 'not-trusted') tally.failures.push(`run ${run} not trusted: ${result.trust.reasons.join('; ')}`);
      } finally {
        close();
      }
      tally[outcome] += 1;
      console.log(`run ${run}/${runs} ${scenario.name.padEnd(48)} ${outcome}`);
    }
  }
} finally {
  await stopAll();
}

const rows = [...tallies].map(([name, tally]) => ({
  scenario: name,
  runs: tally.pass + tally.fail + tally['not-trusted'],
  pass: tally.pass,
  notTrusted: tally['not-trusted'],
  falseVerdicts: tally.fail,
  medianRealSeconds: median(tally.realMs) / 1000,
  notes: tally.failures,
}));
console.log(`\n${burnerCount} CPU burner(s) in parallel, factor ×${DEFAULT_CLOCK_FACTOR}, ${((Date.now() - started) / 60_000).toFixed(1)} min\n`);
console.log('| scenario | runs | pass | not trusted | false verdicts | median real time |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  console.log(`| ${row.scenario} | ${row.runs} | ${row.pass} | ${row.notTrusted} | ${row.falseVerdicts} | ${row.medianRealSeconds.toFixed(1)} s |`);
}
for (const row of rows) for (const note of row.notes) console.log(`${row.scenario}: ${note}`);
const falseVerdicts = rows.reduce((sum, row) => sum + row.falseVerdicts, 0);
console.log(`\nfalse verdicts: ${falseVerdicts} of ${rows.reduce((sum, row) => sum + row.runs, 0)} runs (goal: 0)`);
if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(rows, null, 2)}\n`);
process.exitCode = falseVerdicts === 0 ? 0 : 1;

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

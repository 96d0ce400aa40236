import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { startDynamoDbLocal, type DynamoDbLocal } from '../drill/dynamodbLocal.js';
import { serveFaults } from '../drill/interactiveFaults.js';
import { isReportPath, progressLine, renderResultFile, renderSummary } from '../drill/output.js';
import { DEFAULT_CLOCK_FACTOR, DRILL_PRINCIPAL, startDrill } from '../drill/runDrill.js';
import { DEFAULT_SCENARIO, SCENARIOS } from '../drill/scenarios/library.js';
import { localDrillStores } from '../drill/stores.js';
import { serveDrillLive, type LiveDrillServer } from './localServer.js';
import { runPostgresWorld } from '../drill/postgres/main.js';

// `npm start`: the local drill. DynamoDB Local (a JVM) holds the control plane's state; the world is simulated on
// 127.0.0.1. Exit 0 when the scenario's expectations hold, 1 when they do not, 2 on a usage error, 3 when the machine
// was too busy for the result to be trusted (no verdict either way).
const EXIT_CODES = { pass: 0, fail: 1, 'not-trusted': 3 } as const;

interface Options {
  readonly scenario: string;
  readonly list?: boolean;
  readonly report?: string;
  readonly factor?: number;
  readonly keepRunning?: boolean;
  readonly world: string;
}

let local: DynamoDbLocal | undefined;
/** `.fcp/local.json` once written: removed at exit, so `fcp --local` never finds a server that is gone. */
let endpointFile: string | undefined;
process.once('exit', () => {
  if (endpointFile !== undefined) rmSync(endpointFile, { force: true });
});

// Ctrl-C and kill: stop the JVM first (an 'exit' handler in startDynamoDbLocal covers normal exits and errors).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping DynamoDB Local\n`);
    void (local?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
// The AWS SDK warns about Node 20 on the first client; the drill only talks to DynamoDB Local, the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const program = new Command('npm start --')
  .description('Run a failover drill locally: the real control plane against a simulated three-region world.')
  .option('--scenario <name>', 'the scenario to play (see --list)', DEFAULT_SCENARIO)
  .option('--list', 'list the scenarios and exit')
  .option('--report <file>', 'also write the report to <file>: .md, .json or .html', (path: string) => {
    if (!isReportPath(path)) throw new InvalidArgumentError('the extension must be .md, .json or .html');
    return path;
  })
  .option('--factor <n>', `simulated time runs n times faster than real time (default ${DEFAULT_CLOCK_FACTOR}, or 1 with --keep-running)`, (value: string) => {
    const factor = Number(value);
    if (!(factor >= 1)) throw new InvalidArgumentError('must be a number of at least 1');
    return factor;
  })
  .option('--world <sim|postgres>', 'sim: the simulated world; postgres: real PostgreSQL servers, HAProxy, kill -9 (see docs/drills.md)', 'sim')
  .option('--keep-running', 'after the scenario, keep the world and the control plane running in real time for fcp --local (Ctrl-C stops)')
  .exitOverride();

process.exitCode = await main();

async function main(): Promise<number> {
  let options: Options;
  try {
    options = program.parse(process.argv).opts<Options>();
  } catch {
    return 2;
  }
  if (options.world === 'postgres') return runPostgresWorld(options, (started) => (local = started));
  if (options.world !== 'sim') {
    console.error(`--world must be sim or postgres, not ${options.world}`);
    return 2;
  }
  if (options.list === true) {
    for (const scenario of SCENARIOS) console.log(`${scenario.name.padEnd(26)} ${scenario.description}`);
    return 0;
  }
  const scenario = SCENARIOS.find((candidate) => candidate.name === options.scenario);
  if (scenario === undefined) {
    console.error(`no scenario named ${options.scenario}; scenarios: ${SCENARIOS.map((candidate) => candidate.name).join(', ')}`);
    return 2;
  }
  console.log('starting DynamoDB Local...');
  local = await startDynamoDbLocal();
  console.log(`DynamoDB Local (pid ${local.pid ?? 'unknown'}) at ${local.endpoint}`);
  try {
    const { stores, close } = await localDrillStores(local.endpoint, 'failover-control-plane-drill');
    try {
      const session = await startDrill({
        scenario,
        stores,
        // A person at the keyboard reads cooldowns and timestamps in real time.
        factor: options.factor ?? (options.keepRunning === true ? 1 : DEFAULT_CLOCK_FACTOR),
        onProgress: (progress) => {
          const line = progressLine(progress);
          if (line !== undefined) console.log(line);
        },
      });
      let result;
      // The operator API serves the drill from its start: `fcp ui --local` in another terminal watches it live.
      const live = await serveDrillLive(session.deps, { principalArn: DRILL_PRINCIPAL, cwd: process.cwd() });
      endpointFile = live.endpointFile;
      console.log(`operator API for the drill at ${live.url} (in .fcp/local.json): npx fcp ui --local in another terminal shows it live`);
      try {
        result = await session.run();
        console.log(renderSummary(result));
        if (options.report !== undefined) {
          await writeFile(options.report, renderResultFile(result, options.report));
          console.log(`report written to ${options.report}`);
        }
        if (options.keepRunning === true) await keepServing(session, live);
      } finally {
        await live.close();
        await session.close();
      }
      return EXIT_CODES[result.outcome];
    } finally {
      close();
    }
  } finally {
    await local.stop();
  }
}

/**
 * Keeps serving the operator API (already up since the drill started) and adds the fault server, over the drill's
 * world, until Ctrl-C (the signal handler above stops the JVM and exits; `.fcp/local.json` goes with the process).
 */
async function keepServing(session: Awaited<ReturnType<typeof startDrill>>, server: LiveDrillServer): Promise<void> {
  const faults = await serveFaults(session.faultControl(), 0);
  await server.announce({ faultsUrl: faults.url });
  const group = session.group.id;
  console.log(
    [
      '',
      `operator API for the drill at ${server.url} (in .fcp/local.json); the world keeps running. Try, in another terminal:`,
      `  npx fcp ui --local                            # the dashboard`,
      `  npx fcp --local status ${group}`,
      `  npx fcp --local plan ${group}`,
      `  npx fcp --local ack ${group} --reason "drill reviewed"`,
      `  npx fcp --local failover ${group} --to ap-southeast-2 --reason "drill: second failover" --yes`,
      `  npx fcp --local history ${group}`,
      `  npx fcp --local inject region-outage us-east-1      # a fault now; fcp --local clear undoes it`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
  await session.keepRunning(new Promise<void>(() => {}));
}

import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodbLocal.js';
import { isReportPath, progressLine, renderResultFile, renderSummary } from './output.js';
import { DEFAULT_CLOCK_FACTOR, runDrill } from './runDrill.js';
import { DEFAULT_SCENARIO, SCENARIOS } from './scenarios/library.js';
import { localDrillStores } from './stores.js';

// `npm start`: the local drill. DynamoDB Local (a JVM) holds the control plane's state; the world is simulated on
// 127.0.0.1. Exit 0 when the scenario's expectations hold, 1 when they do not, 2 on a usage error.

interface Options {
  readonly scenario: string;
  readonly list?: boolean;
  readonly report?: string;
  readonly factor: number;
}

let local: DynamoDbLocal | undefined;

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
  .option('--factor <n>', 'simulated time runs n times faster than real time', (value: string) => {
    const factor = Number(value);
    if (!(factor >= 1)) throw new InvalidArgumentError('must be a number of at least 1');
    return factor;
  }, DEFAULT_CLOCK_FACTOR)
  .exitOverride();

process.exitCode = await main();

async function main(): Promise<number> {
  let options: Options;
  try {
    options = program.parse(process.argv).opts<Options>();
  } catch {
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
      const result = await runDrill({
        scenario,
        stores,
        factor: options.factor,
        onProgress: (progress) => {
          const line = progressLine(progress);
          if (line !== undefined) console.log(line);
        },
      });
      console.log(renderSummary(result));
      if (options.report !== undefined) {
        await writeFile(options.report, renderResultFile(result, options.report));
        console.log(`report written to ${options.report}`);
      }
      return result.pass ? 0 : 1;
    } finally {
      close();
    }
  } finally {
    await local.stop();
  }
}

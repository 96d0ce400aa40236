import { writeFile } from 'node:fs/promises';
import { startDynamoDbLocal, type DynamoDbLocal } from '../dynamodbLocal.js';
import { progressLine, renderResultFile, renderSummary } from '../output.js';
import { localDrillStores } from '../stores.js';
import { findPostgresBinaries } from './binaries.js';
import { ensureHaproxy, HaproxyMissingError } from './LocalHaproxy.js';
import { runPostgresDrill, type PostgresDrillResult } from './runPostgresDrill.js';
import { DEFAULT_POSTGRES_SCENARIO, POSTGRES_SCENARIOS } from './scenarios.js';

interface PostgresWorldCliOptions {
  readonly scenario: string;
  readonly list?: boolean;
  readonly report?: string;
}

/**
 * `npm start -- --world postgres`: a drill on real PostgreSQL servers, a real HAProxy and DynamoDB Local, in real time.
 * `onDynamoDb` hands the started DynamoDB Local to the caller's signal handler. HAProxy is installed with apt-get when
 * missing (the console says so). Exit 0 pass, 1 fail, 2 usage or HAProxy missing and not installable, with how to
 * install it.
 */
export async function runPostgresWorld(options: PostgresWorldCliOptions, onDynamoDb: (local: DynamoDbLocal) => void): Promise<number> {
  if (options.list === true) {
    for (const scenario of POSTGRES_SCENARIOS) console.log(`${scenario.name.padEnd(38)} ${scenario.description}`);
    return 0;
  }
  // The sim world's default scenario name means "the default" here too.
  const wanted = POSTGRES_SCENARIOS.some((scenario) => scenario.name === options.scenario) ? options.scenario : DEFAULT_POSTGRES_SCENARIO;
  if (wanted !== options.scenario && options.scenario !== 'primary-region-outage') {
    console.error(`no postgres scenario named ${options.scenario}; scenarios: ${POSTGRES_SCENARIOS.map((scenario) => scenario.name).join(', ')}`);
    return 2;
  }
  const scenario = POSTGRES_SCENARIOS.find((candidate) => candidate.name === wanted)!;
  try {
    const binaries = await findPostgresBinaries();
    const haproxy = await ensureHaproxy({ log: (line) => console.log(line) });
    console.log(`PostgreSQL from ${binaries.source}; HAProxy ${haproxy}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return error instanceof HaproxyMissingError ? 2 : 1;
  }
  console.log('starting DynamoDB Local...');
  const local = await startDynamoDbLocal();
  onDynamoDb(local);
  try {
    const { stores, close } = await localDrillStores(local.endpoint, 'failover-control-plane-postgres-drill');
    try {
      console.log('starting three PostgreSQL servers (a primary, two streaming replicas), HAProxy, health endpoints, a write load...');
      const result = await runPostgresDrill({
        scenario,
        stores,
        onProgress: (progress) => {
          // The simulated world's first line speaks of a clock factor; this world runs in real time.
          const line =
            progress.kind === 'started'
              ? `drill ${progress.scenario.name}: ${progress.scenario.description}\ngroup ${progress.groupId}; real time, real processes\n`
              : progressLine(progress);
          if (line !== undefined) console.log(line);
        },
      });
      console.log(renderSummary(result));
      console.log(measuredLines(result));
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

function measuredLines(result: PostgresDrillResult): string {
  const lines = [
    '',
    `measured by the clients: ${result.acknowledgedWrites} writes acknowledged through HAProxy` +
      (result.facts.lostWrites === undefined ? '' : `, ${result.facts.lostWrites} of them missing on ${result.facts.primaryRegion} (lost)`),
  ];
  if (result.killToFirstWriteMs !== undefined) lines.push(`kill -9 → first acknowledged write after it: ${(result.killToFirstWriteMs / 1000).toFixed(2)} s`);
  if (result.trafficRegion !== undefined) lines.push(`a client connecting through HAProxy now lands on ${result.trafficRegion}`);
  return lines.join('\n');
}

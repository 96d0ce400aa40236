import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../adapters/clock/systemClock.js';
import { createDynamoDbStores, DynamoDbDrillReportStore } from '../adapters/aws/dynamodb/index.js';
import { ENV } from '../config/environment.js';
import { loadConfig } from '../config/load.js';
import { UnknownGroupError, ValidationError } from '../domain/errors.js';
import { DrillRefusedError } from '../drill/errors.js';
import { formatDuration } from '../drill/format.js';
import { renderTimelineText } from '../drill/render/text.js';
import type { DrillReport } from '../drill/report.js';
import { awaitStagingDrill, startStagingDrill, STAGING_SCENARIOS, type StagingDrillDeps } from '../drill/stagingDrill.js';
import { EXIT } from './render.js';

/** Where the staging drill's dependencies come from: `--config`, `--table`, `--table-region` or the environment. */
export interface DrillConnectionOptions {
  readonly config?: string;
  readonly table?: string;
  readonly tableRegion?: string;
}

export type StagingDrillDepsFactory = (options: DrillConnectionOptions, env: Readonly<Record<string, string | undefined>>) => Promise<StagingDrillDeps>;

export interface DrillCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface DrillOptions extends DrillConnectionOptions {
  readonly scenario: string;
  readonly allowProduction?: boolean;
  readonly duration: number;
  readonly as?: string;
  readonly json?: boolean;
}

const DEFAULT_DURATION_SECONDS = 600;

/**
 * Adds `fcp drill <group>` to the program: a time-boxed staging drill against real AWS. It injects a fault in the
 * control plane's table (the probes then see the group's primary region fail), waits for the failover, prints the
 * report and saves it. Exit codes: 0 the failover completed and the report passed, 1 it did not, 2 usage (unknown
 * group, bad duration, missing principal), 3 refused (a production group without the safeguards, a busy group).
 *
 * @example
 * registerDrillCommand(program, io, state, stagingDrillDepsFromAws);
 */
export function registerDrillCommand(program: Command, io: DrillCommandIo, state: { exitCode: number }, deps: StagingDrillDepsFactory): Command {
  return program
    .command('drill <group>')
    .description('staging drill against AWS: fail the primary region in the probes\' eyes for --duration, report the failover')
    .option('--scenario <name>', `what to drill (${STAGING_SCENARIOS.join(', ')})`, STAGING_SCENARIOS[0])
    .option('--allow-production', 'allow a production group (it must also be in approval mode)')
    .option('--duration <seconds>', 'the injected fault expires after this long, even if this command dies', positiveSeconds, DEFAULT_DURATION_SECONDS)
    .option('--as <principal ARN>', 'your IAM identity, recorded with the drill (default: $FCP_PRINCIPAL_ARN)')
    .option('--config <file>', `the control-plane configuration (default: $${ENV.config})`)
    .option('--table <name>', `the control-plane table (default: $${ENV.tableName})`)
    .option('--table-region <region>', `where the table lives (default: $${ENV.tableRegion}, else $AWS_REGION)`)
    .option('--json', 'print the stored drill (with its report) as JSON')
    .action(async (groupId: string, options: DrillOptions) => {
      state.exitCode = await runDrillCommand(io, deps, groupId, options);
    });
}

async function runDrillCommand(io: DrillCommandIo, depsFor: StagingDrillDepsFactory, groupId: string, options: DrillOptions): Promise<number> {
  const principalArn = options.as ?? io.env.FCP_PRINCIPAL_ARN;
  if (principalArn === undefined || principalArn === '') {
    io.stderr('fcp drill: say who runs the drill: --as <your IAM principal ARN> or FCP_PRINCIPAL_ARN');
    return EXIT.usage;
  }
  try {
    const deps = await depsFor(options, io.env);
    const drill = await startStagingDrill(deps, {
      groupId,
      scenario: options.scenario,
      principalArn,
      allowProduction: options.allowProduction === true,
      durationSeconds: options.duration,
    });
    const note = (text: string) => (options.json ? io.stderr : io.stdout)(text);
    note(
      `drill ${drill.id}: ${drill.scenario} on ${drill.groupId}: ${drill.region} fails in the probes' eyes until ${new Date(drill.expiresAt).toISOString()} (${formatDuration(drill.expiresAt - drill.startedAt)}); waiting for the failover...`,
    );
    const stored = await awaitStagingDrill(deps, drill, {
      onProgress: (progress) => {
        if (progress.kind === 'event') note(`  +${formatDuration(progress.event.at - drill.startedAt)}  ${progress.event.state}  ${progress.event.message}`);
      },
    });
    if (options.json) io.stdout(JSON.stringify(stored, null, 2));
    else io.stdout(stored.report === undefined ? `no failover happened (${stored.outcome}); the fault is cleared` : renderTimelineText(stored.report));
    return stored.outcome === 'completed' && stored.report?.pass === true ? EXIT.ok : EXIT.error;
  } catch (error) {
    if (error instanceof DrillRefusedError) {
      io.stderr(`fcp drill: refused: ${error.message}`);
      return EXIT.refused;
    }
    if (error instanceof ValidationError || error instanceof UnknownGroupError) {
      io.stderr(`fcp drill: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
}

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a whole number of seconds');
  return seconds;
}

/**
 * The real dependencies: the configuration file, the control-plane table in AWS (default credential chain), the
 * wall clock. Reads the environment names the deployed functions use (src/config/environment.ts).
 *
 * @example
 * registerDrillCommand(program, io, state, stagingDrillDepsFromAws);
 */
export const stagingDrillDepsFromAws: StagingDrillDepsFactory = async (options, env) => {
  const configPath = options.config ?? env[ENV.config];
  const tableName = options.table ?? env[ENV.tableName];
  const region = options.tableRegion ?? env[ENV.tableRegion] ?? env.AWS_REGION;
  const missing = [
    ...(configPath === undefined ? [`--config: the control-plane configuration file (or ${ENV.config})`] : []),
    ...(tableName === undefined ? [`--table: the control-plane table (or ${ENV.tableName})`] : []),
    ...(region === undefined ? [`--table-region: where the table lives (or ${ENV.tableRegion} or AWS_REGION)`] : []),
  ];
  if (configPath === undefined || tableName === undefined || region === undefined) {
    throw new ValidationError('fcp drill needs to know where the control plane keeps its state', missing);
  }
  const stores = createDynamoDbStores({ tableName, region });
  return {
    config: await loadConfig(configPath),
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    faults: stores.faultStore,
    reports: new DynamoDbDrillReportStore<DrillReport>(stores.client, tableName),
    clock: systemClock,
  };
};

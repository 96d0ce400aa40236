import type { Command } from 'commander';
import type { DoctorDeps, DoctorReport } from '../application/doctor.js';
import { ValidationError } from '../domain/errors.js';
import { EXIT } from './render.js';

/** Where doctor's deployment is: `--config`, `--table`, `--table-region`, `--stage`, `--account` or the environment. */
export interface DoctorOptions {
  readonly group?: string;
  readonly json?: boolean;
  readonly config?: string;
  readonly table?: string;
  readonly tableRegion?: string;
  readonly stage?: string;
  readonly account?: string;
}

export type DoctorDepsFactory = (options: DoctorOptions, env: Readonly<Record<string, string | undefined>>) => Promise<DoctorDeps>;

export interface DoctorCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const MARK = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/**
 * Adds `fcp doctor [--group G] [--json]`: the preflight of src/application/doctor.ts with the operator's own AWS
 * credentials (it only reads, and simulates IAM policies). Exit 0 when nothing failed, 1 when a check failed, 2 when
 * the deployment cannot be found from the options.
 *
 * @example
 * registerDoctorCommand(program, io, state, doctorDepsFromAws);
 */
export function registerDoctorCommand(program: Command, io: DoctorCommandIo, state: { exitCode: number }, depsFor: DoctorDepsFactory): Command {
  return program
    .command('doctor')
    .description('preflight: permissions, replication, DNS, subscriptions, observers, lag metric and fencing of each group, with the fix')
    .option('--group <group>', 'check one group only')
    .option('--json', 'print the report as JSON')
    .option('--config <file>', 'the control-plane configuration (default: $FCP_CONFIG)')
    .option('--table <name>', 'the control-plane table (default: $FCP_TABLE_NAME)')
    .option('--table-region <region>', 'where the table lives (default: $AWS_REGION)')
    .option('--stage <stage>', 'the deployment stage, which names the roles (default: $FCP_STAGE)')
    .option('--account <id>', "the deployment's AWS account (default: the account of the first group's topic)")
    .action(async (options: DoctorOptions) => {
      state.exitCode = await runDoctorCommand(io, depsFor, options);
    });
}

async function runDoctorCommand(io: DoctorCommandIo, depsFor: DoctorDepsFactory, options: DoctorOptions): Promise<number> {
  let deps: DoctorDeps;
  try {
    deps = await depsFor(options, io.env);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    io.stderr(`fcp doctor: ${error.message}${error.issues.map((issue) => `\n  ${issue}`).join('')}`);
    return EXIT.usage;
  }
  if (options.group !== undefined && !deps.config.groups.some((group) => group.id === options.group)) {
    io.stderr(`fcp doctor: --group: ${options.group} is not configured (groups: ${deps.config.groups.map((group) => group.id).join(', ')})`);
    return EXIT.usage;
  }
  const { runDoctor } = await import('../application/doctor.js');
  const report = await runDoctor(deps, options.group === undefined ? {} : { groupId: options.group });
  io.stdout(options.json === true ? JSON.stringify(report, null, 2) : renderDoctorReport(report));
  return report.ok ? EXIT.ok : EXIT.error;
}

/**
 * The report as text: one line per check, the fix under each failure or warning, a summary last.
 *
 * @example
 * renderDoctorReport(report); // 'orders\n  ok    dns  orders.example.com points at the primary eu-west-1\n...'
 */
export function renderDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  let group: string | undefined;
  for (const check of report.checks) {
    if (check.groupId !== group) {
      group = check.groupId;
      lines.push(group);
    }
    lines.push(`  ${MARK[check.status]}  ${check.check}: ${check.detail}`);
    if (check.fix !== undefined && check.status !== 'pass') lines.push(`        fix: ${check.fix}`);
  }
  const failed = report.checks.filter((check) => check.status === 'fail').length;
  const warned = report.checks.filter((check) => check.status === 'warn').length;
  lines.push(failed === 0 ? `all ${report.checks.length} checks passed${warned > 0 ? ` (${warned} warning(s))` : ''}` : `${failed} of ${report.checks.length} checks FAILED`);
  return lines.join('\n');
}

/**
 * The real dependencies, from the options or the environment; the account defaults to the one in the first group's
 * topic ARN.
 *
 * @example
 * registerDoctorCommand(program, io, state, doctorDepsFromAws);
 */
export const doctorDepsFromAws: DoctorDepsFactory = async (options, env) => {
  const configPath = options.config ?? env.FCP_CONFIG;
  const tableName = options.table ?? env.FCP_TABLE_NAME;
  const tableRegion = options.tableRegion ?? env.AWS_REGION;
  const stage = options.stage ?? env.FCP_STAGE;
  const missing = [
    ...(configPath === undefined ? ['--config: the control-plane configuration file (or FCP_CONFIG)'] : []),
    ...(tableName === undefined ? ['--table: the control-plane table (or FCP_TABLE_NAME)'] : []),
    ...(tableRegion === undefined ? ['--table-region: where the table lives (or AWS_REGION)'] : []),
    ...(stage === undefined ? ['--stage: the deployment stage, which names the roles (or FCP_STAGE)'] : []),
  ];
  if (configPath === undefined || tableName === undefined || tableRegion === undefined || stage === undefined) {
    throw new ValidationError('fcp doctor needs to know which deployment to check', missing);
  }
  const { loadConfig } = await import('../config/load.js');
  const account = options.account ?? (await loadConfig(configPath)).groups[0]?.notifications.topicArn.split(':')[4];
  if (account === undefined || !/^\d{12}$/.test(account)) {
    throw new ValidationError('fcp doctor needs the deployment account', ['--account: the 12-digit account the stacks are deployed in']);
  }
  const { buildDoctorDeps } = await import('../composition/doctor.js');
  return buildDoctorDeps({ configPath, tableName, tableRegion, stage, account });
};

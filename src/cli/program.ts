import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { OperatorReply, OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { CommandAnswer, PendingCommands } from '../application/operatorApi.js';
import { operatorPaths } from '../application/operatorRoutes.js';
import type { GroupPlan } from '../application/plan.js';
import type { FailoverHistoryEntry, GroupStatus } from '../application/status.js';
import { ValidationError } from '../domain/errors.js';
import type { OperatorCommandType } from '../ports/CommandQueue.js';
// Heavy modules (the AWS SDK, the config schema, the drill) are imported by the commands that use them, so that
// `fcp --help` and `fcp status` load only what they run (see bench/cli.ts).
import { completionScript, SHELLS, type Shell } from './completion.js';
import { resolveConnection, UsageError, type Connection, type ConnectionOptions } from './connection.js';
import { doctorDepsFromAws, registerDoctorCommand } from './doctorCommand.js';
import { followEvents } from './events.js';
import { registerLocalFaultCommands } from './localFaults.js';
import {
  EXIT,
  exitCodeFor,
  renderApiError,
  renderCommandAnswer,
  renderGroupStatus,
  renderHistory,
  renderPendingCommands,
  renderPlan,
  renderPreview,
  renderStatusSummary,
} from './render.js';

/** Everything `fcp` touches outside itself, injectable so the whole program runs in a test. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when a person can answer a prompt (stdin and stdout are terminals). */
  readonly interactive: boolean;
  /** Asks a yes/no question; true only for an explicit yes. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly connect: (connection: Connection) => OperatorTransport;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly newIdempotencyKey: () => string;
  readonly sleep: (ms: number) => Promise<void>;
  /** Ends `--watch` and waiting for a queued command (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** What `fcp --version` prints. */
  readonly version?: string;
}

interface CommonOptions extends ConnectionOptions {
  readonly json?: boolean;
}

interface CommandOptions extends CommonOptions {
  readonly reason: string;
  readonly to?: string;
  readonly allowDataLoss?: boolean;
  readonly yes?: boolean;
  readonly idempotencyKey?: string;
  readonly wait: number;
}

/** Commands that start, stop or discard a failover, or create a billable database: shown first and confirmed unless --yes. */
const DESTRUCTIVE = new Set<OperatorCommandType>(['failover', 'switchover', 'abort', 'reject', 'reprotect']);
const WATCH_INTERVAL_MS = 2_000;
const POLL_INTERVAL_MS = 2_000;
const SEND_ATTEMPTS = 3;
const FOLLOW_INTERVAL_MS = 1_000;

const EXIT_CODES_HELP = `
Exit codes:
  0  ok (the command was accepted, or queued and then accepted)
  1  error (API unreachable, not confirmed, server error, authentication)
  2  usage (bad option or field, unknown group, no terminal to confirm in without --yes)
  3  refused (422): not allowed as asked; the message says why and what to do
  4  conflict (409): the group is busy with something the command conflicts with

Endpoint: --endpoint <operator API URL> or FCP_ENDPOINT; requests are SigV4-signed (service execute-api) with the default
AWS credential chain or --profile. --local talks to the local drill server named in .fcp/local.json, unsigned.
Every command is recorded with your IAM identity and --reason. See docs/operator-runbook.md.`;

/**
 * Runs `fcp` with `argv` (without the node and script names) and answers the exit code. Never calls process.exit.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), realIo);
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const state = { exitCode: EXIT.ok as number };
  const program = createProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`fcp: ${error.message}`);
      return EXIT.usage;
    }
    io.stderr(`fcp: ${(await isUnreachable(error)) ? (error as Error).message : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return EXIT.error;
  }
}

/**
 * The commander program. Actions set `state.exitCode`; errors propagate to `runCli`.
 *
 * @example
 * const program = createProgram(io, { exitCode: 0 });
 */
export function createProgram(io: CliIo, state: { exitCode: number }): Command {
  const program = new Command('fcp')
    .description('Operate the failover control plane: status, history, dry-run plans and commands.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text.trimEnd()), writeErr: (text) => io.stderr(text.trimEnd()) })
    .version(io.version ?? 'unknown', '-V, --version', 'print the version of fcp')
    .addHelpText('after', EXIT_CODES_HELP)
    // `fcp --local status` as well as `fcp status --local`: the flag before the command applies to it.
    .option('--local', 'talk to the local drill server (.fcp/local.json), unsigned; also accepted after the command')
    .hook('preAction', (root, action) => {
      if (root.opts<{ local?: boolean }>().local === true) action.setOptionValue('local', true);
    });

  withCommon(program.command('status [group]').description('each group: state, primary, region verdicts and lag, failover in progress'))
    .option('--watch', `refresh every ${WATCH_INTERVAL_MS / 1000} s until Ctrl-C`)
    .action(async (group: string | undefined, options: CommonOptions & { watch?: boolean }) => {
      const transport = await open(io, options);
      for (;;) {
        const reply = await transport.send({ method: 'GET', path: group === undefined ? operatorPaths.allGroups() : operatorPaths.group(group) });
        if (options.watch === true && !options.json) io.stdout('\u001b[2J\u001b[H');
        // Watched as JSON: one document per line (JSON Lines), so `| jq -c` or a script reads each refresh whole.
        const printed = options.watch === true && options.json === true ? { ...options, json: false, jsonLines: true } : options;
        state.exitCode = print(io, printed, reply, (body) =>
          group === undefined ? renderAllStatus((body as { groups: GroupStatus[] }).groups) : renderGroupStatus(body as GroupStatus),
        );
        if (options.watch !== true || state.exitCode !== EXIT.ok || interrupted(io)) return;
        await io.sleep(WATCH_INTERVAL_MS);
        if (interrupted(io)) return;
      }
    });

  withCommon(program.command('history [group]').description('failovers, newest first, with step timings, RTO and data-loss window'))
    .option('--limit <n>', `how many failovers, 1 to ${MAX_HISTORY_LIMIT}`, historyLimit, 20)
    .action(async (group: string | undefined, options: CommonOptions & { limit: number }) => {
      const transport = await open(io, options);
      const reply = await transport.send({
        method: 'GET',
        path: group === undefined ? operatorPaths.allHistory() : operatorPaths.history(group),
        query: { limit: String(options.limit) },
      });
      state.exitCode = print(io, options, reply, (body) => renderHistory((body as { failovers: FailoverHistoryEntry[] }).failovers));
    });

  withCommon(program.command('plan <group>').description('dry run: what the control plane would do right now, and why (changes nothing)'))
    .action(async (group: string, options: CommonOptions) => {
      const transport = await open(io, options);
      const reply = await transport.send({ method: 'GET', path: `/groups/${encodeURIComponent(group)}/plan` });
      state.exitCode = print(io, options, reply, (body) => renderPlan(body as GroupPlan));
    });

  commandVerb(program, io, state, 'failover', 'fail over now to --to (or the best healthy replica); confirms first')
    .option('--to <region>', 'target region (default: the healthy replica with the highest priority)')
    .option('--allow-data-loss', "accept losing the target's replica lag worth of writes");
  commandVerb(program, io, state, 'switchover', 'planned switchover with no data loss: fence, drain, promote; confirms first').requiredOption(
    '--to <region>',
    'target region',
  );
  commandVerb(program, io, state, 'approve', 'approve the failover the control plane proposes (approval mode)');
  commandVerb(program, io, state, 'reject', 'reject the proposed failover; this incident is not proposed again; confirms first');
  commandVerb(program, io, state, 'abort', 'abort a failover before its promotion; confirms first');
  commandVerb(program, io, state, 'retry', 'retry the step a stalled failover stopped at');
  commandVerb(program, io, state, 'pause', 'pause automatic failover (manual commands still work)');
  commandVerb(program, io, state, 'resume', 'resume automatic failover');
  commandVerb(program, io, state, 'acknowledge', 'acknowledge a completed failover; re-arms automatic failover', 'ack');
  reprotectCommand(program, io, state);

  withCommon(program.command('commands <group>').description('pending commands: queued, not yet taken by the executor (fcp cancel removes one)'))
    .action(async (group: string, options: CommonOptions) => {
      const transport = await open(io, options);
      const reply = await transport.send({ method: 'GET', path: `/groups/${encodeURIComponent(group)}/commands` });
      state.exitCode = print(io, options, reply, (body) => renderPendingCommands(body as PendingCommands));
    });

  withCommon(program.command('cancel <command-id>').description('cancel a pending command (see fcp commands); recorded with your identity'))
    .requiredOption('--reason <text>', 'why: recorded with your identity in the event log')
    .requiredOption('--group <group>', 'the group holding the command (IAM grants commands per group)')
    .option('--idempotency-key <key>', 'reuse a key to retry a request safely (default: a new UUID)')
    .action(async (commandId: string, options: CommonOptions & { reason: string; group: string; idempotencyKey?: string }) => {
      const transport = await open(io, options);
      const reply = await sendWithRetries(io, transport, {
        method: 'POST',
        path: operatorPaths.command(options.group, 'cancel'),
        body: { reason: options.reason, targetCommandId: commandId },
        idempotencyKey: options.idempotencyKey ?? io.newIdempotencyKey(),
      });
      state.exitCode = print(io, options, reply, (answer) => renderCommandAnswer(answer as CommandAnswer));
    });

  program
    .command('validate <config>')
    .description('check a configuration file; prints each problem (exit 2 when invalid)')
    .option('--json', 'print JSON')
    .action(async (path: string, options: { json?: boolean }) => {
      const { loadConfig } = await import('../config/load.js');
      const { configWarnings } = await import('../config/warnings.js');
      try {
        const config = await loadConfig(path);
        const ids = config.groups.map((group) => group.id);
        const warnings = configWarnings(config);
        io.stdout(options.json ? JSON.stringify({ valid: true, groups: ids, warnings }) : `${path} is valid: ${ids.length} group(s): ${ids.join(', ')}`);
        if (!options.json) for (const warning of warnings) io.stderr(`warning: ${warning}`);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        if (options.json) io.stdout(JSON.stringify({ valid: false, issues: error.issues }));
        else io.stderr(error.message);
        state.exitCode = EXIT.usage;
      }
    });

  withCommon(program.command('events <group>').description('the event log of a group, oldest first: who did what and why'))
    .option('--follow', `keep printing events as they are logged (every ${FOLLOW_INTERVAL_MS / 1000} s) until Ctrl-C`)
    .action(async (group: string, options: CommonOptions & { follow?: boolean }) => {
      const transport = await open(io, options);
      state.exitCode = await followEvents(io, transport, group, { json: options.json === true, follow: options.follow === true, intervalMs: FOLLOW_INTERVAL_MS });
    });

  program
    .command('ui')
    .description('a live dashboard in your browser, served on 127.0.0.1: every group, its failover step by step, the event log, and the commands (dry run first, typed confirmation)')
    .option('--port <n>', 'the local port (0: any free one)', portNumber, 7311)
    .option('--config <file>', 'the configuration, for the targets past failovers are judged by (with --local: ./config/drill.yaml)')
    .option('--endpoint <url>', 'operator API URL (default: $FCP_ENDPOINT)')
    .option('--profile <name>', 'AWS profile whose credentials sign the requests')
    .option('--region <region>', 'region for SigV4 (default: the operator API region)')
    .option('--local', 'the local drill server (.fcp/local.json), unsigned')
    .action(async (options: ConnectionOptions & { port: number; config?: string }) => {
      const transport = await open(io, options);
      const { runDashboard } = await import('../ui/run.js');
      state.exitCode = await runDashboard(io, transport, options);
    });

  program
    .command('completion <shell>')
    .description(`print a shell completion script (${SHELLS.join(', ')}): eval "$(fcp completion bash)" in ~/.bashrc`)
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: shell ${shell} is not supported; use one of ${SHELLS.join(', ')}`);
      io.stdout(completionScript(program, shell as Shell));
    });

  lazyDrillCommand(program, io, state);
  registerLocalFaultCommands(program, io, state);
  registerDoctorCommand(program, io, state, doctorDepsFromAws);
  return program;
}

/**
 * `fcp drill`: its module loads the drill's request checks (zod) and, at the end, the report builder, so it is
 * imported only when a drill runs. The command here passes everything after `drill` to the real one, which parses it
 * (and answers `fcp drill --help`).
 */
function lazyDrillCommand(program: Command, io: CliIo, state: { exitCode: number }): void {
  program
    .command('drill')
    .description('run a time-boxed staging drill through the operator API and print its report (fcp drill --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { registerDrillCommand } = await import('./drillCommand.js');
      const drill = new Command('fcp')
        .exitOverride()
        .configureOutput({ writeOut: (text) => io.stdout(text.trimEnd()), writeErr: (text) => io.stderr(text.trimEnd()) })
        // `fcp --local drill ...`: the flag before the command applies to it, as for every other command.
        .hook('preAction', (_root, action) => {
          if (program.opts<{ local?: boolean }>().local === true) action.setOptionValue('local', true);
        });
      registerDrillCommand(drill, io, state, (options) => open(io, options));
      await drill.parseAsync(['drill', ...args], { from: 'user' });
    });
}

async function isUnreachable(error: unknown): Promise<boolean> {
  if (!(error instanceof Error) || error.name !== 'OperatorApiUnreachableError') return false;
  const { OperatorApiUnreachableError } = await import('../adapters/operator-client/OperatorClient.js');
  return error instanceof OperatorApiUnreachableError;
}

function interrupted(io: CliIo): boolean {
  return io.signal?.aborted === true;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number');
  return parsed;
}

function portNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new InvalidArgumentError('must be a TCP port, 0 to 65535');
  return parsed;
}

/** The most failovers the operator API answers in one history request. */
const MAX_HISTORY_LIMIT = 200;

function historyLimit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_HISTORY_LIMIT) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_HISTORY_LIMIT} (the API answers at most ${MAX_HISTORY_LIMIT} failovers)`);
  }
  return parsed;
}

function withCommon(command: Command): Command {
  return command
    .option('--endpoint <url>', 'operator API URL (default: $FCP_ENDPOINT)')
    .option('--profile <name>', 'AWS profile whose credentials sign the requests')
    .option('--region <region>', 'region for SigV4 (default: the operator API region)')
    .option('--local', 'the local drill server (.fcp/local.json), unsigned')
    .option('--json', 'print the API answer as JSON');
}

function commandVerb(
  program: Command,
  io: CliIo,
  state: { exitCode: number },
  type: OperatorCommandType,
  description: string,
  alias?: string,
): Command {
  const command = withCommon(program.command(`${alias ?? type} <group>`).description(description))
    .requiredOption('--reason <text>', 'why: recorded with your identity in the event log')
    .option('--idempotency-key <key>', 'reuse a key to retry a request safely (default: a new UUID)')
    .addOption(new Option('--wait <seconds>', 'how long to wait for a queued command to be taken').argParser(wholeNumber).default(60));
  if (DESTRUCTIVE.has(type)) command.option('--yes', 'do not ask for confirmation (the plan is still printed)');
  if (alias !== undefined) command.alias(type);
  return command.action(async (group: string, options: CommandOptions) => {
    state.exitCode = await sendCommand(io, type, group, options);
  });
}

/**
 * `fcp reprotect <group> --region <r>`: a new read replica of the primary in region r. `--region` names the replica's
 * region here, so the SigV4 region override of the other commands is `--api-region`.
 */
function reprotectCommand(program: Command, io: CliIo, state: { exitCode: number }): Command {
  return program
    .command('reprotect <group>')
    .description('after a failover: create a new read replica of the primary in --region, so the group is protected again; confirms first')
    .requiredOption('--region <region>', 'the region to create the replica in (not the primary)')
    .requiredOption('--reason <text>', 'why: recorded with your identity in the event log')
    .option('--endpoint <url>', 'operator API URL (default: $FCP_ENDPOINT)')
    .option('--profile <name>', 'AWS profile whose credentials sign the requests')
    .option('--api-region <region>', 'region for SigV4 (default: the operator API region)')
    .option('--local', 'the local drill server (.fcp/local.json), unsigned')
    .option('--json', 'print the API answer as JSON')
    .option('--idempotency-key <key>', 'reuse a key to retry a request safely (default: a new UUID)')
    .option('--yes', 'do not ask for confirmation (the plan is still printed)')
    .addOption(new Option('--wait <seconds>', 'how long to wait for a queued command to be taken').argParser(wholeNumber).default(60))
    .action(async (group: string, options: CommandOptions & { region: string; apiRegion?: string }) => {
      const { region, apiRegion, ...rest } = options;
      state.exitCode = await sendCommand(io, 'reprotect', group, { ...rest, to: region, ...(apiRegion === undefined ? {} : { region: apiRegion }) });
    });
}

async function sendCommand(io: CliIo, type: OperatorCommandType, group: string, options: CommandOptions): Promise<number> {
  const destructive = DESTRUCTIVE.has(type);
  if (destructive && options.yes !== true && !io.interactive) {
    io.stderr(`fcp: refusing to ${type} ${group} without confirmation: this is not an interactive terminal. Check fcp plan ${group}, then pass --yes.`);
    return EXIT.usage;
  }
  const transport = await open(io, options);
  const groupPath = `/groups/${encodeURIComponent(group)}`;
  const body = {
    type,
    reason: options.reason,
    ...(options.to === undefined ? {} : { targetRegion: options.to }),
    ...(options.allowDataLoss === true ? { allowDataLoss: true } : {}),
  };
  if (destructive) {
    const plan = await transport.send({
      method: 'GET',
      path: `${groupPath}/plan`,
      query: { command: type, targetRegion: options.to, allowDataLoss: options.allowDataLoss === true ? 'true' : undefined, reason: options.reason },
    });
    if (plan.status !== 200) return print(io, options, plan, () => '');
    const preview = (plan.body as GroupPlan).command!;
    const shown = renderPreview(group, preview);
    if (preview.decision !== 'accept') {
      if (options.json) io.stdout(JSON.stringify({ sent: false, preview }));
      else io.stderr(`${shown}\nnothing sent.`);
      return preview.decision === 'conflict' ? EXIT.conflict : EXIT.refused;
    }
    // With --json the plan goes to stderr so stdout stays one JSON document.
    (options.json ? io.stderr : io.stdout)(shown);
    if (options.yes !== true) {
      const confirmed = await io.confirm(`${type} ${group} now? It is recorded with your identity and reason. [y/N] `);
      if (!confirmed) {
        io.stderr('not confirmed: nothing sent.');
        return EXIT.error;
      }
    }
  }
  const idempotencyKey = options.idempotencyKey ?? io.newIdempotencyKey();
  const sent = await sendWithRetries(io, transport, { method: 'POST', path: operatorPaths.command(group, type, options.allowDataLoss), body, idempotencyKey });
  let reply = sent;
  const polls = Math.ceil((options.wait * 1_000) / POLL_INTERVAL_MS);
  for (let poll = 0; reply.status === 202 && poll < polls && !interrupted(io); poll += 1) {
    if (!options.json) io.stderr(`queued; waiting for the orchestrator to take it (command ${idempotencyKey})...`);
    await io.sleep(POLL_INTERVAL_MS);
    reply = await transport.send({ method: 'GET', path: `${groupPath}/commands/${encodeURIComponent(idempotencyKey)}` });
  }
  return print(io, options, reply === sent ? reply : polledAnswer(sent, reply), (answer) => renderCommandAnswer(answer as CommandAnswer));
}

/**
 * The outcome of a queued command, read back by id, as the answer to the request that queued it: a lookup always
 * says `replayed`, but this request was the first with its key; and a lookup no longer knows the preview taken when
 * it was queued, which tells a conflict (the group was busy, 409) from a refusal (422), as `answerCommand` does.
 */
function polledAnswer(queued: OperatorReply, polled: OperatorReply): OperatorReply {
  const first = queued.body as Partial<CommandAnswer>;
  const body = { ...(polled.body as object), replayed: first.replayed ?? false };
  const decision = first.expected?.decision;
  if (polled.status === 422 && (decision === 'conflict' || decision === 'accept')) {
    const error = (polled.body as { error?: { message?: string } }).error;
    return { status: 409, body: { ...body, error: { ...error, code: 'conflict' } } };
  }
  return { status: polled.status, body };
}

/** A POST lost on the way is sent again with the same idempotency key: the API acts on it once. */
async function sendWithRetries(io: CliIo, transport: OperatorTransport, call: Parameters<OperatorTransport['send']>[0]): Promise<OperatorReply> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transport.send(call);
    } catch (error) {
      if (!(await isUnreachable(error)) || attempt >= SEND_ATTEMPTS) throw error;
      io.stderr(`${(error as Error).message}; sending again with the same idempotency key (attempt ${attempt + 1} of ${SEND_ATTEMPTS})`);
      await io.sleep(1_000 * attempt);
    }
  }
}

async function open(io: CliIo, options: ConnectionOptions): Promise<OperatorTransport> {
  return io.connect(await resolveConnection(options, io.env, io.cwd));
}

/** Prints an answer (JSON, or rendered; errors to stderr) and returns its exit code. */
function print(io: CliIo, options: CommonOptions & { jsonLines?: boolean }, reply: OperatorReply, render: (body: unknown) => string): number {
  const ok = reply.status >= 200 && reply.status < 300;
  if (options.jsonLines) io.stdout(JSON.stringify(reply.body));
  else if (options.json) io.stdout(JSON.stringify(reply.body, null, 2));
  else if (ok) io.stdout(render(reply.body));
  else io.stderr(renderApiError(reply.status, reply.body));
  return exitCodeFor(reply.status);
}

function renderAllStatus(groups: readonly GroupStatus[]): string {
  return [renderStatusSummary(groups), ...groups.map((group) => renderGroupStatus(group))].join('\n\n');
}

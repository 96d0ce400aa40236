import { InvalidArgumentError, type Command } from 'commander';
import type { OperatorReply, OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import { operatorPaths } from '../application/operatorRoutes.js';
import { DEFAULT_DRILL_SECONDS, MAX_DRILL_SECONDS, STAGING_SCENARIOS, type DrillProgress } from '../application/stagingDrills.js';
import type { ConnectionOptions } from './connection.js';
import { EXIT, exitCodeFor, renderApiError } from './render.js';

/** What `fcp drill` needs from the CLI's io. */
export interface DrillCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly newIdempotencyKey: () => string;
  /** Ctrl-C: stops the drill (its fault is cleared) and prints what it did so far. */
  readonly signal?: AbortSignal;
}

interface DrillOptions extends ConnectionOptions {
  readonly scenario: string;
  readonly reason: string;
  readonly allowProduction?: boolean;
  readonly duration: number;
  readonly idempotencyKey?: string;
  readonly json?: boolean;
}

/** The fastest the drill is read while it runs; otherwise once per probe interval. */
const MIN_POLL_MS = 2_000;

/**
 * Adds `fcp drill <group>` to the program: a time-boxed staging drill against a real deployment, through the operator
 * API like every other command (`POST /groups/<group>/drills`, SigV4-signed: the drill is recorded with the IAM
 * identity that signed it). The API injects the fault (the probes then see the group's primary region fail); this
 * command follows the drill, stops it when the failover finished or the time box passed (or on Ctrl-C), and prints
 * the report. Exit codes: 0 the failover completed and the report passed, 1 it did not, 2 usage (a bad option or
 * field, an unknown group), 3 refused (a production group without the safeguards), 4 conflict (the group is busy or
 * already drilled).
 *
 * @example
 * registerDrillCommand(program, io, state, (options) => open(io, options));
 */
export function registerDrillCommand(
  program: Command,
  io: DrillCommandIo,
  state: { exitCode: number },
  open: (options: ConnectionOptions) => Promise<OperatorTransport>,
): Command {
  return program
    .command('drill <group>')
    .description("staging drill against a deployment: fail the primary region in the probes' eyes for --duration, follow the failover, print its report")
    .requiredOption('--reason <text>', 'why: recorded with your identity, as for every command')
    .option('--scenario <name>', `what to drill (${STAGING_SCENARIOS.join(', ')})`, STAGING_SCENARIOS[0])
    .option('--allow-production', 'allow a production group (it must also be in approval mode)')
    .option('--duration <seconds>', `the injected fault expires after this long, even if this command dies (at most ${MAX_DRILL_SECONDS})`, positiveSeconds, DEFAULT_DRILL_SECONDS)
    .option('--idempotency-key <key>', 'reuse a key to retry a start safely (default: a new UUID); it becomes the drill id')
    .option('--endpoint <url>', 'operator API URL (default: $FCP_ENDPOINT)')
    .option('--profile <name>', 'AWS profile whose credentials sign the requests')
    .option('--region <region>', 'region for SigV4 (default: the operator API region)')
    .option('--local', 'the local drill server (.fcp/local.json), unsigned')
    .option('--json', 'print the drill (with its report) as JSON; progress goes to stderr')
    .action(async (groupId: string, options: DrillOptions) => {
      state.exitCode = await runDrillCommand(io, await open(options), groupId, options);
    });
}

async function runDrillCommand(io: DrillCommandIo, transport: OperatorTransport, groupId: string, options: DrillOptions): Promise<number> {
  const note = (text: string) => (options.json ? io.stderr : io.stdout)(text);
  const started = await transport.send({
    method: 'POST',
    path: operatorPaths.drills(groupId),
    body: { scenario: options.scenario, durationSeconds: options.duration, reason: options.reason, ...(options.allowProduction === true ? { allowProduction: true } : {}) },
    idempotencyKey: options.idempotencyKey ?? io.newIdempotencyKey(),
  });
  if (started.status !== 200 && started.status !== 201) return failed(io, options, started);
  let progress = started.body as DrillProgress;
  const { drill } = progress;
  note(
    `drill ${drill.id}: ${drill.scenario} on ${drill.groupId}, started by ${drill.principalArn}: ${drill.region} fails in the probes' eyes until ${new Date(drill.faultExpiresAt).toISOString()}; waiting for the failover (Ctrl-C stops the drill)...`,
  );
  let printed = drill.eventsAfter ?? 0;
  const pollMs = Math.max(MIN_POLL_MS, progress.policy.probeIntervalSeconds * 1000);
  for (;;) {
    for (const event of progress.events.filter((candidate) => candidate.seq > printed)) {
      note(`  +${seconds(event.at - drill.startedAt)}  #${event.seq}  ${event.state}  ${event.message}`);
      printed = event.seq;
    }
    if (progress.ended || interrupted(io)) break;
    await io.sleep(pollMs);
    if (interrupted(io)) break;
    const reply = await transport.send({ method: 'GET', path: operatorPaths.drill(groupId, drill.id) });
    if (reply.status !== 200) return failed(io, options, reply);
    progress = reply.body as DrillProgress;
  }
  const stopped = await transport.send({ method: 'POST', path: operatorPaths.stopDrill(groupId, drill.id) });
  if (stopped.status !== 200) return failed(io, options, stopped);
  return printOutcome(io, options, stopped.body as DrillProgress);
}

/** The drill as it ended: its report (built from its failover and events, judged by the group's targets) or why there is none. */
async function printOutcome(io: DrillCommandIo, options: DrillOptions, progress: DrillProgress): Promise<number> {
  const { drill, failover } = progress;
  // The report's builder and renderer are loaded only here, once a drill has something to report.
  const [{ buildDrillReport, targetsOf }, { renderTimelineText }] = await Promise.all([import('../drill/report.js'), import('../drill/render/text.js')]);
  const report =
    failover === undefined
      ? undefined
      : buildDrillReport({ record: failover, events: progress.events, targets: targetsOf(progress), faultInjectedAt: drill.startedAt, scenario: drill.scenario, endedAt: drill.finishedAt });
  if (options.json) io.stdout(JSON.stringify({ ...drill, ...(report === undefined ? {} : { report }) }, null, 2));
  else io.stdout(report === undefined ? `no failover happened (${drill.outcome}); the fault is cleared` : renderTimelineText(report));
  return drill.outcome === 'completed' && report?.pass === true ? EXIT.ok : EXIT.error;
}

function failed(io: DrillCommandIo, options: DrillOptions, reply: OperatorReply): number {
  if (options.json) io.stdout(JSON.stringify(reply.body, null, 2));
  else io.stderr(`fcp drill: ${renderApiError(reply.status, reply.body)}`);
  return exitCodeFor(reply.status);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function interrupted(io: DrillCommandIo): boolean {
  return io.signal?.aborted === true;
}

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a whole number of seconds');
  return seconds;
}

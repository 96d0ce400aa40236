import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LOCAL_ENDPOINT_FILE, UsageError } from './connection.js';
import type { CliIo } from './program.js';
import { EXIT } from './render.js';

/**
 * `fcp --local inject <fault> [args...]` and `fcp --local clear [id]`: faults for the local drill kept running with
 * `npm start -- --keep-running`, so that approve, reject, abort and retry can be tried on a real failure. They talk to
 * the drill's fault server named in `.fcp/local.json` (`faultsUrl`); the drill parses the fault and answers a 400
 * naming the bad argument.
 *
 * @example
 * registerLocalFaultCommands(program, io, state);
 * // fcp --local inject region-outage eu-west-1
 */
export function registerLocalFaultCommands(program: Command, io: CliIo, state: { exitCode: number }): void {
  program
    .command('inject <fault> [args...]')
    .description('local drill only (--local): inject a fault now, e.g. region-outage eu-west-1, http eu-west-1 503, dns-throttle 2')
    .option('--local', 'the local drill (.fcp/local.json); required')
    .action(async (fault: string, args: string[], options: { local?: boolean }) => {
      const reply = await send(io, options, 'POST', '/faults', { fault, args });
      state.exitCode = print(io, reply, (body) => `injected ${String(body.id)}: ${String(body.description)} (fcp --local clear ${String(body.id)} undoes it)`);
    });
  program
    .command('clear [id]')
    .description('local drill only (--local): clear the fault with this id, or every fault injected with fcp inject')
    .option('--local', 'the local drill (.fcp/local.json); required')
    .action(async (id: string | undefined, options: { local?: boolean }) => {
      const reply = await send(io, options, 'DELETE', id === undefined ? '/faults' : `/faults/${encodeURIComponent(id)}`);
      state.exitCode = print(io, reply, (body) => {
        const cleared = body.cleared as string[];
        return cleared.length === 0 ? 'no fault to clear' : `cleared ${cleared.join(', ')}`;
      });
    });
}

async function send(io: CliIo, options: { local?: boolean }, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  if (options.local !== true) throw new UsageError('inject and clear act on the local drill only: pass --local');
  const file = join(io.cwd, LOCAL_ENDPOINT_FILE);
  let faultsUrl: unknown;
  try {
    faultsUrl = (JSON.parse(await readFile(file, 'utf8')) as { faultsUrl?: unknown }).faultsUrl;
  } catch (error) {
    throw new UsageError(`--local: ${file} is missing or not JSON; start the drill with npm start -- --keep-running in this directory`, { cause: error });
  }
  if (typeof faultsUrl !== 'string') throw new UsageError(`--local: ${file} has no "faultsUrl": the drill serves faults only with --keep-running`);
  const response = await fetch(`${faultsUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function print(io: CliIo, reply: { status: number; body: Record<string, unknown> }, ok: (body: Record<string, unknown>) => string): number {
  if (reply.status < 300) {
    io.stdout(ok(reply.body));
    return EXIT.ok;
  }
  const error = reply.body.error as { message?: string } | undefined;
  io.stderr(error?.message ?? `the drill answered ${reply.status}`);
  return reply.status === 400 || reply.status === 404 ? EXIT.usage : EXIT.error;
}

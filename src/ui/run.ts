import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import { serveDashboard } from './server.js';

export interface DashboardRunIo {
  readonly stdout: (text: string) => void;
  readonly cwd: string;
  /** Ctrl-C: closes the server. */
  readonly signal?: AbortSignal;
}

/**
 * `fcp ui`: serves the dashboard until interrupted and prints its address. The configuration (`--config`, or with
 * `--local` the drill's config/drill.yaml in the current directory) gives the targets past failovers are judged by.
 *
 * @example
 * process.exitCode = await runDashboard(io, transport, { port: 7311, local: true });
 */
export async function runDashboard(
  io: DashboardRunIo,
  transport: OperatorTransport,
  options: { readonly port: number; readonly config?: string; readonly local?: boolean },
): Promise<number> {
  const config = await configOf(io.cwd, options);
  const server = await serveDashboard({ transport, port: options.port, ...(config === undefined ? {} : { config }) });
  io.stdout(`dashboard at ${server.url} (127.0.0.1 only; every action goes through the operator API as you). Ctrl-C stops it.`);
  if (config === undefined) io.stdout('no --config: past failovers cannot be judged against their targets, so their timelines are not shown');
  await new Promise<void>((resolve) => {
    if (io.signal === undefined || io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}

async function configOf(cwd: string, options: { readonly config?: string; readonly local?: boolean }): Promise<ControlPlaneConfig | undefined> {
  let path = options.config;
  if (path === undefined && options.local === true) {
    const drill = join(cwd, 'config', 'drill.yaml');
    path = await access(drill).then(() => drill, () => undefined);
  }
  if (path === undefined) return undefined;
  const { loadConfig } = await import('../config/load.js');
  return loadConfig(path);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SUPERUSER, type LocalPostgresServer } from './LocalPostgresCluster.js';

/** Where Debian's `apt-get install haproxy` puts it. */
const CANDIDATES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];
export const HAPROXY_BACKEND = 'postgres';

/**
 * A real HAProxy (the Debian package) in TCP mode in front of local PostgreSQL servers: one frontend port clients
 * connect to, one backend server per region (named as the region), only `primary` enabled, and the runtime API on a
 * TCP port at level admin. Killed, and its files removed, when this process exits; `stop()` stops it and removes them.
 *
 * @example
 * const proxy = await LocalHaproxy.start(cluster.servers, 'eu-west-1');
 * proxy.clientUrl; // postgres://postgres@127.0.0.1:40123/postgres, through the proxy
 */
export class LocalHaproxy {
  readonly #killOnExit = (): void => {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly frontendPort: number,
    readonly runtimePort: number,
  ) {
    process.once('exit', this.#killOnExit);
  }

  static async start(servers: readonly LocalPostgresServer[], primary: string): Promise<LocalHaproxy> {
    const program = await findHaproxy();
    const dir = await mkdtemp(join(tmpdir(), 'fcp-haproxy-'));
    const [frontendPort, runtimePort] = [await freePort(), await freePort()];
    const config = [
      'global',
      `  stats socket ipv4@127.0.0.1:${runtimePort} level admin`,
      '  maxconn 4000',
      'defaults',
      '  mode tcp',
      '  timeout connect 1s',
      '  timeout client 1h',
      '  timeout server 1h',
      `frontend ${HAPROXY_BACKEND}-in`,
      `  bind 127.0.0.1:${frontendPort}`,
      `  default_backend ${HAPROXY_BACKEND}`,
      `backend ${HAPROXY_BACKEND}`,
      ...servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port}${server.name === primary ? '' : ' disabled'}`),
      '',
    ].join('\n');
    const configPath = join(dir, 'haproxy.cfg');
    await writeFile(configPath, config);
    const child = spawn(program, ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-3000)));
    const proxy = new LocalHaproxy(child, dir, frontendPort, runtimePort);
    const deadline = Date.now() + 10_000;
    while (!(await answers(runtimePort))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await proxy.stop();
        throw new Error(`HAProxy did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return proxy;
  }

  get runtimeApi(): string {
    return `tcp://127.0.0.1:${this.runtimePort}`;
  }

  get clientUrl(): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.frontendPort}/postgres`;
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.#killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The haproxy program: the Debian package (`apt-get install haproxy`; `.ci/run` installs it) or `FCP_HAPROXY`.
 * Throws `HaproxyMissingError` saying how to install it.
 *
 * @example
 * await findHaproxy(); // '/usr/sbin/haproxy'
 */
export async function findHaproxy(): Promise<string> {
  for (const candidate of [process.env.FCP_HAPROXY, ...CANDIDATES]) {
    if (candidate === undefined || candidate === '') continue;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Next candidate.
    }
  }
  throw new HaproxyMissingError('HAProxy is not installed: apt-get install haproxy (Debian/Ubuntu), or set FCP_HAPROXY to its path');
}

export class HaproxyMissingError extends Error {
  override readonly name = 'HaproxyMissingError';
}

/** Installs the Debian package `haproxy`; answers why it could not, or undefined when it did. */
export type HaproxyInstaller = () => Promise<string | undefined>;

/**
 * `apt-get install haproxy` (after `apt-get update`), non-interactive: only as root on a machine with apt-get.
 *
 * @example
 * await aptGetInstallHaproxy(); // undefined when installed, else why not ('not root: ...')
 */
export const aptGetInstallHaproxy: HaproxyInstaller = async () => {
  if (process.getuid?.() !== 0) return 'not root, so apt-get cannot install it';
  const environment = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'haproxy']]) {
    const failure = await new Promise<string | undefined>((resolve) => {
      const child = spawn('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], env: environment });
      let output = '';
      child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
      child.once('error', (error) => resolve(`apt-get could not run: ${error.message}`));
      child.once('exit', (code) => resolve(code === 0 ? undefined : `apt-get ${args[0]} exited ${code}: ${output.trim()}`));
    });
    if (failure !== undefined) return failure;
  }
  return undefined;
};

/**
 * The haproxy program, installed first with the Debian package when it is missing (the postgres drill needs nothing
 * else beyond `npm ci`): says on `log` that it installs it and from where. Throws `HaproxyMissingError` with how to
 * install it by hand when it cannot.
 *
 * @example
 * const program = await ensureHaproxy({ log: console.log }); // '/usr/sbin/haproxy', installed if it was missing
 */
export async function ensureHaproxy(options: { readonly log: (line: string) => void; readonly install?: HaproxyInstaller; readonly find?: () => Promise<string> }): Promise<string> {
  const find = options.find ?? findHaproxy;
  try {
    return await find();
  } catch (error) {
    if (!(error instanceof HaproxyMissingError)) throw error;
  }
  options.log('HAProxy (the traffic switch of the postgres world) is not installed: installing the Debian package with apt-get install haproxy...');
  const failure = await (options.install ?? aptGetInstallHaproxy)();
  if (failure !== undefined) {
    throw new HaproxyMissingError(`HAProxy is not installed and could not be installed (${failure}): apt-get install haproxy as root, or set FCP_HAPROXY to its path`);
  }
  const program = await find();
  options.log(`HAProxy installed: ${program}`);
  return program;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

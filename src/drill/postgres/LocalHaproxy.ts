import { spawn, type ChildProcess } from 'node:child_process';
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
 * TCP port at level admin. Killed when this process exits; `stop()` stops it and removes its files.
 *
 * @example
 * const proxy = await LocalHaproxy.start(cluster.servers, 'eu-west-1');
 * proxy.clientUrl; // postgres://postgres@127.0.0.1:40123/postgres, through the proxy
 */
export class LocalHaproxy {
  readonly #killOnExit = (): void => {
    this.child.kill('SIGKILL');
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

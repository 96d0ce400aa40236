import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { appendFile, chown, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { findPostgresBinaries, type PostgresBinaries } from './binaries.js';

/**
 * Real PostgreSQL servers on 127.0.0.1 for tests, drills and benchmarks: one primary and streaming replicas, each a
 * `postgres` process this Node process started and stops. PostgreSQL refuses to run as root, so under root (CI) the
 * servers run as the unprivileged `nobody` user with their data directories in a temporary directory it owns.
 * Every server is killed when this process exits, however it exits (SIGKILL on 'exit'); `stop()` stops them cleanly
 * and removes the data directories.
 */

/** The OS user the servers run as when this process is root: PostgreSQL will not start as root. */
const UNPRIVILEGED = { uid: 65_534, gid: 65_534 } as const;
export const SUPERUSER = 'postgres';

export interface LocalClusterOptions {
  /** One name per server (e.g. region names); the first is the primary, the rest replicate from it. */
  readonly names: readonly string[];
  /**
   * Durability off (`fsync=off`): fast and safe against a killed process (the OS keeps the page cache), not against
   * a machine crash. Tests use it; the drill and the benchmark keep PostgreSQL's defaults.
   */
  readonly fast?: boolean;
  /** Extra `postgresql.conf` lines for every server. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export class LocalPostgresServer {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly cluster: LocalPostgresCluster,
  ) {}

  get host(): string {
    return '127.0.0.1';
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** A connection string as a client uses it. */
  get url(): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * Starts the postmaster and waits until it accepts connections (a replica: until it accepts read-only ones).
   * After a `kill -9` the dead postmaster's backends may hold its shared memory for a moment: a start that fails on
   * that is tried again.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.#spawn();
      try {
        await this.#waitUntilAccepting(deadline);
        return;
      } catch (error) {
        const log = await this.logTail();
        if (this.running || Date.now() > deadline || !/shared memory block is still in use|postmaster\.pid/.test(log)) throw error;
        await delay(200);
      }
    }
  }

  #spawn(): void {
    const log = openSync(join(this.dataDir, '..', `${this.name}.log`), 'a');
    const child = spawn(join(this.cluster.binaries.binDir, 'postgres'), ['-D', this.dataDir], {
      stdio: ['ignore', log, log],
      ...this.cluster.runAs,
    });
    closeSync(log);
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.cluster.track(this);
  }

  /** `kill -9` of the postmaster, as a crashed machine: no shutdown, no last WAL sent to the replicas. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** A fast shutdown (SIGINT): clients are disconnected, the WAL is flushed and sent to the replicas. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGINT');
    await Promise.race([this.#exited, delay(15_000)]);
    if (this.running) await this.kill();
  }

  /** Forgets the process without waiting (the 'exit' hook). */
  killNow(): void {
    if (this.running) this.#child?.kill('SIGKILL');
  }

  /** Makes this server a streaming replica of `source` (its data directory must share the source's history). */
  async followOnRestart(source: LocalPostgresServer): Promise<void> {
    await writeFile(join(this.dataDir, 'standby.signal'), '');
    await this.cluster.ownFile(join(this.dataDir, 'standby.signal'));
    await appendFile(join(this.dataDir, 'postgresql.conf'), `primary_conninfo = '${conninfoOf(source, this.name)}'\n`);
  }

  /**
   * Waits until every named replica streams from this server (`pg_stat_replication`, by application_name): a replica
   * accepts read-only sessions before its WAL receiver has connected, and until then this server has no replica.
   */
  async untilStreamingTo(names: readonly string[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
      let streaming: string[] = [];
      try {
        await client.connect();
        const { rows } = await client.query<{ name: string }>(`SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'`);
        streaming = rows.map((row) => row.name);
      } finally {
        await client.end().catch(() => undefined);
      }
      const missing = names.filter((name) => !streaming.includes(name));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`replica(s) ${missing.join(', ')} of ${this.name} not streaming after ${timeoutMs} ms`);
      await delay(50);
    }
  }

  async #waitUntilAccepting(deadline: number): Promise<void> {
    for (;;) {
      if (!this.running) {
        throw new Error(`PostgreSQL ${this.name} exited during start-up:\n${await this.logTail()}`);
      }
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`PostgreSQL ${this.name} did not accept connections in time:\n${await this.logTail()}`, { cause: error });
        }
        await delay(50);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  async logTail(): Promise<string> {
    try {
      return (await readFile(join(this.dataDir, '..', `${this.name}.log`), 'utf8')).slice(-3000);
    } catch {
      return '(no log)';
    }
  }
}

/**
 * A primary and its streaming replicas, started from one `initdb`: the data directory is copied (before its first
 * start, so the copies share its system identifier) and each copy gets `standby.signal` and `primary_conninfo`.
 *
 * @example
 * const cluster = await LocalPostgresCluster.start({ names: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], fast: true });
 * try { cluster.server('eu-west-1').url; } finally { await cluster.stop(); }
 */
export class LocalPostgresCluster {
  readonly #servers = new Map<string, LocalPostgresServer>();
  readonly #started = new Set<LocalPostgresServer>();
  readonly #killOnExit = (): void => {
    for (const server of this.#started) server.killNow();
    rmSync(this.baseDir, { recursive: true, force: true });
  };

  private constructor(
    readonly baseDir: string,
    readonly binaries: PostgresBinaries,
    readonly runAs: { uid?: number; gid?: number },
  ) {
    process.once('exit', this.#killOnExit);
  }

  static async start(options: LocalClusterOptions): Promise<LocalPostgresCluster> {
    const [primaryName, ...replicaNames] = options.names;
    if (primaryName === undefined) throw new RangeError('a cluster needs at least one server');
    const root = process.getuid?.() === 0;
    const binaries = root ? await runnableBy(UNPRIVILEGED, await findPostgresBinaries()) : await findPostgresBinaries();
    const baseDir = await mkdtemp(join(tmpdir(), 'fcp-postgres-'));
    const cluster = new LocalPostgresCluster(baseDir, binaries, root ? UNPRIVILEGED : {});
    try {
      await cluster.ownFile(baseDir);
      const primary = await cluster.#initPrimary(primaryName, options);
      const replicas: LocalPostgresServer[] = [];
      for (const name of replicaNames) {
        const dataDir = join(baseDir, name);
        await cp(primary.dataDir, dataDir, { recursive: true, preserveTimestamps: true });
        const replica = new LocalPostgresServer(name, await freePort(), dataDir, cluster);
        await cluster.#ownTree(dataDir);
        await appendFile(join(dataDir, 'postgresql.conf'), `port = ${replica.port}\n`);
        await replica.followOnRestart(primary);
        cluster.#servers.set(name, replica);
        replicas.push(replica);
      }
      await primary.start();
      await Promise.all(replicas.map((replica) => replica.start()));
      await primary.untilStreamingTo(replicas.map((replica) => replica.name));
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get servers(): LocalPostgresServer[] {
    return [...this.#servers.values()];
  }

  server(name: string): LocalPostgresServer {
    const server = this.#servers.get(name);
    if (server === undefined) throw new RangeError(`no server named ${name}`);
    return server;
  }

  /** Stops every server and removes the data directories. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all([...this.#started].map((server) => server.stop()));
    this.#started.clear();
    process.removeListener('exit', this.#killOnExit);
    await rm(this.baseDir, { recursive: true, force: true });
  }

  track(server: LocalPostgresServer): void {
    this.#started.add(server);
  }

  async ownFile(path: string): Promise<void> {
    if (this.runAs.uid !== undefined && this.runAs.gid !== undefined) await chown(path, this.runAs.uid, this.runAs.gid);
  }

  async #ownTree(path: string): Promise<void> {
    if (this.runAs.uid === undefined) return;
    await runProgram('chown', ['-R', `${this.runAs.uid}:${this.runAs.gid}`, path], {});
  }

  async #initPrimary(name: string, options: LocalClusterOptions): Promise<LocalPostgresServer> {
    const dataDir = join(this.baseDir, name);
    await mkdir(dataDir, { mode: 0o700 });
    await this.ownFile(dataDir);
    await runProgram(
      join(this.binaries.binDir, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      this.runAs,
    );
    const server = new LocalPostgresServer(name, await freePort(), dataDir, this);
    const settings: Record<string, string | number> = {
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: "''",
      wal_level: 'replica',
      max_wal_senders: 10,
      wal_keep_size: "'512MB'",
      hot_standby: 'on',
      // A promotion asked for soon after the primary died otherwise waits out the default 5 s retry interval.
      wal_retrieve_retry_interval: "'100ms'",
      wal_receiver_status_interval: "'1s'",
      max_connections: 100,
      shared_buffers: "'32MB'",
      ...(options.fast === true ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
      ...options.settings,
    };
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    await appendFile(join(dataDir, 'postgresql.conf'), `\n# fcp local cluster\n${lines.join('\n')}\nport = ${server.port}\n`);
    this.#servers.set(name, server);
    return server;
  }
}

/**
 * `binaries`, or a copy of their installation in the temporary directory when `user` cannot run them where they are
 * (a clone under /root, which `nobody` cannot enter). The copy is made once per machine and reused.
 */
async function runnableBy(user: { uid: number; gid: number }, binaries: PostgresBinaries): Promise<PostgresBinaries> {
  if (spawnSync(join(binaries.binDir, 'postgres'), ['--version'], { ...user, stdio: 'ignore' }).status === 0) return binaries;
  const installDir = dirname(binaries.binDir);
  const copy = join(tmpdir(), `fcp-postgres-binaries-${basename(dirname(installDir))}-${basename(installDir)}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    await cp(installDir, `${copy}.partial`, { recursive: true, verbatimSymlinks: true });
    await rm(copy, { recursive: true, force: true });
    await rename(`${copy}.partial`, copy);
  }
  return { binDir: join(copy, 'bin'), source: `${binaries.source} (copied to ${copy}: ${user.uid} cannot reach the original)` };
}

/** A `primary_conninfo` pointing at `source`, naming the replica so the primary's pg_stat_replication shows who it is. */
export function conninfoOf(source: LocalPostgresServer, applicationName: string): string {
  return `host=${source.host} port=${source.port} user=${SUPERUSER} application_name=${applicationName}`;
}

function runProgram(program: string, args: readonly string[], runAs: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited ${code}:\n${output.slice(-3000)}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

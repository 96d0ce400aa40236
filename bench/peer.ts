/**
 * The race against Patroni: `npm run bench:peer [-- --runs 5 --write reports/bench-peer.md]` (--write: the figures as a
 * Markdown fragment, which docs/benchmarks.md quotes with the setup).
 *
 * Same machine, same run, same write load (four clients, 100 inserts/s asked). Measures kill -9 of the primary node
 * (for Patroni: its agent and its postmaster together, as a machine dies) → the first write acknowledged by the other
 * node, and the acknowledged writes missing there. Patroni 3 (Debian package) with a single-node etcd manages two
 * PostgreSQL servers; this project manages two (the real control plane, postgres adapter, HAProxy; in-memory stores).
 * Patroni's clients find the writable node themselves (they try each node and keep the one where
 * `transaction_read_only` is off, as libpq's target_session_attrs=read-write does); this project's clients go through
 * HAProxy, so its figure also includes the traffic switch. Prints figures and asserts nothing.
 * Needs root to install Patroni and etcd with apt-get when they are missing; when they cannot be installed it says so
 * and exits 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../src/drill/postgres/LocalPostgresCluster.js';
import { runPostgresDrill } from '../src/drill/postgres/runPostgresDrill.js';
import type { PostgresScenario } from '../src/drill/postgres/scenarios.js';
import { InMemoryCommandQueue } from '../test/doubles/InMemoryCommandQueue.js';
import { InMemoryEventLog } from '../test/doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../test/doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../test/doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../test/doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../test/doubles/InMemoryStateStore.js';

const NOBODY = { uid: 65_534, gid: 65_534 };
const WRITES_PER_SECOND = 100;
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const WRITE_DOC = args.includes('--write') ? args[args.indexOf('--write') + 1] : undefined;

interface Sample {
  readonly killToWriteMs: number | undefined;
  readonly lost: number | undefined;
  readonly acknowledged: number;
  /** Why the run measured nothing (a set-up that failed). */
  readonly error?: string;
}

interface Contender {
  readonly name: string;
  readonly settings: string;
  readonly samples: Sample[];
}

async function main(): Promise<number> {
  const tools = ensureTools();
  if (typeof tools === 'string') {
    console.log(`bench:peer skipped: ${tools}`);
    return 0;
  }
  console.log(`Patroni ${tools.patroniVersion}, etcd ${tools.etcdVersion}, PostgreSQL ${tools.pgBin}; ${RUNS} runs each\n`);
  const contenders: Contender[] = [
    { name: 'Patroni defaults', settings: 'ttl 30, loop_wait 10, retry_timeout 10', samples: [] },
    { name: 'Patroni tightest', settings: 'ttl 10, loop_wait 2, retry_timeout 4', samples: [] },
    { name: 'fcp defaults', settings: 'probes every 10 s, 3 failed rounds, quorum 2', samples: [] },
    { name: 'fcp matched window', settings: 'probes every 2 s, 5 failed rounds (10 s, as ttl 10), quorum 2', samples: [] },
    { name: 'fcp matched loop', settings: "probes every 2 s (as loop_wait 2), 2 failed rounds, quorum 2", samples: [] },
    { name: 'fcp 1 s', settings: 'probes every 1 s, 2 failed rounds, quorum 2', samples: [] },
  ];
  const [patroniDefaults, patroniTight, oursDefaults, oursWindow, oursLoop, oursFast] = contenders as [Contender, Contender, Contender, Contender, Contender, Contender];
  // Our kill lands at a different phase of the probe interval in each run (0.1, 0.3, ... of it, for 5 runs), as
  // Patroni's lands anywhere in its loop: a kill just before a probe round would flatter us by up to one interval.
  const phase = (run: number): number => (run - 0.5) / RUNS;
  const runs: [Contender, (run: number) => Promise<Sample>][] = [
    [patroniDefaults, () => patroniRun(tools, { ttl: 30, loop_wait: 10, retry_timeout: 10 })],
    [patroniTight, () => patroniRun(tools, { ttl: 10, loop_wait: 2, retry_timeout: 4 })],
    [oursDefaults, (run) => oursRun({ probeIntervalSeconds: 10, failureThreshold: 3 }, phase(run))],
    [oursWindow, (run) => oursRun({ probeIntervalSeconds: 2, failureThreshold: 5 }, phase(run))],
    [oursLoop, (run) => oursRun({ probeIntervalSeconds: 2, failureThreshold: 2 }, phase(run))],
    [oursFast, (run) => oursRun({ probeIntervalSeconds: 1, failureThreshold: 2 }, phase(run))],
  ];
  // Interleaved, so a change in the machine's load falls on every contender alike.
  for (let run = 1; run <= RUNS; run += 1) {
    for (const [contender, race] of runs) {
      contender.samples.push(await race(run).catch((error: unknown): Sample => ({ killToWriteMs: undefined, lost: undefined, acknowledged: 0, error: String(error) })));
      report(`run ${run}`, contender);
    }
  }
  const table = renderTable(contenders);
  const goal = goalLines(patroniTight, [oursWindow, oursLoop, oursFast]);
  console.log(`\n${table}\n\n${goal}`);
  if (WRITE_DOC !== undefined) await writeDoc(WRITE_DOC, tools, table, goal);
  return 0;
}

/** Each of our medians against the goal: at most 0.5 × Patroni's tightest median, same run. */
function goalLines(patroni: Contender, ours: readonly Contender[]): string {
  const reference = median(patroni);
  if (reference === undefined) return 'goal: not measurable (Patroni never wrote after the kill)';
  return ours
    .map((contender) => {
      const value = median(contender);
      const ratio = value === undefined ? undefined : value / reference;
      return `goal ≤ 0.50 × Patroni tightest (${(reference / 1000).toFixed(1)} s): ${contender.name} ${value === undefined ? 'never wrote' : `${(value / 1000).toFixed(1)} s = ${ratio!.toFixed(2)} ×`} ${ratio !== undefined && ratio <= 0.5 ? 'met' : 'not met'}`;
    })
    .join('\n');
}

function median(contender: Contender): number | undefined {
  const times = contender.samples.flatMap((sample) => (sample.killToWriteMs === undefined ? [] : [sample.killToWriteMs])).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function report(label: string, contender: Contender): void {
  const sample = contender.samples.at(-1)!;
  console.log(
    `${label}  ${contender.name.padEnd(18)} kill → first write ${sample.killToWriteMs === undefined ? 'none' : `${(sample.killToWriteMs / 1000).toFixed(2)} s`}, ` +
      `${sample.acknowledged} acknowledged, ${sample.lost ?? '?'} lost${sample.error === undefined ? '' : ` (${sample.error})`}`,
  );
}

interface Tools {
  readonly pgBin: string;
  readonly patroniVersion: string;
  readonly etcdVersion: string;
}

/** Patroni, etcd and PostgreSQL's full server binaries (Patroni needs pg_basebackup): installed with apt-get when missing. */
function ensureTools(): Tools | string {
  const missing = ['patroni', 'etcd'].filter((program) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0);
  let pgBin = systemPgBin();
  if (missing.length > 0 || pgBin === undefined) {
    if (process.getuid?.() !== 0) return `${[...missing, ...(pgBin === undefined ? ['postgresql'] : [])].join(', ')} missing and not root: apt-get install patroni etcd-server postgresql`;
    console.log('installing patroni etcd-server postgresql with apt-get...');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', 'patroni', 'etcd-server', 'postgresql'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    pgBin = systemPgBin();
    if (install.status !== 0 || pgBin === undefined) return 'apt-get could not install patroni, etcd-server and postgresql';
  }
  const version = (command: string): string => spawnSync('sh', ['-c', command], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '?';
  return { pgBin, patroniVersion: version('patroni --version'), etcdVersion: version('etcd --version') };
}

function systemPgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, 'bin')).find((bin) => existsSync(join(bin, 'pg_basebackup')));
}

/** One Patroni race: etcd, two Patroni nodes, the load, kill -9 of the leader's agent and postmaster. */
async function patroniRun(tools: Tools, dcs: { ttl: number; loop_wait: number; retry_timeout: number }): Promise<Sample> {
  const dir = await mkdtemp(join(tmpdir(), 'fcp-patroni-'));
  await chown(dir, NOBODY.uid, NOBODY.gid);
  const children: ChildProcess[] = [];
  const killAll = (): void => children.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    children.push(
      spawn('etcd', ['--data-dir', join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`, '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`], { stdio: 'ignore' }),
    );
    const nodes: { name: string; pgPort: number; restPort: number; path: string; dataDir: string }[] = [];
    for (const name of ['node1', 'node2']) {
      const [pgPort, restPort] = [await freePort(), await freePort()];
      const config = patroniConfig(name, dir, pgPort, restPort, etcdClient, tools.pgBin, dcs);
      const path = join(dir, `${name}.yml`);
      await writeFile(path, config);
      await chown(path, NOBODY.uid, NOBODY.gid);
      nodes.push({ name, pgPort, restPort, path, dataDir: join(dir, name) });
    }
    const agents = new Map<string, ChildProcess>();
    for (const node of nodes) {
      const agent = spawn('patroni', [node.path], { stdio: ['ignore', 'ignore', 'ignore'], ...NOBODY, env: { ...process.env, HOME: dir } });
      children.push(agent);
      agents.set(node.name, agent);
      // The first node bootstraps the cluster; the second clones it once a leader exists.
      if (node === nodes[0]) await until(() => rest(node.restPort, '/primary'), 90_000, 'Patroni leader');
    }
    await until(() => rest(nodes[1]!.restPort, '/replica'), 120_000, 'Patroni replica');
    const leader = nodes[0]!;
    await execute(`postgres://postgres@127.0.0.1:${leader.pgPort}/postgres`, 'CREATE TABLE writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
    const load = new MultiHostLoad(nodes.map((node) => `postgres://postgres@127.0.0.1:${node.pgPort}/postgres`));
    await delay(3_000);
    if (load.acked.length === 0) console.log(`  no write acknowledged before the kill: ${load.lastError}`);
    const postmaster = Number((await readFile(join(leader.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const killedAt = Date.now();
    agents.get(leader.name)!.kill('SIGKILL');
    process.kill(postmaster, 'SIGKILL');
    const first = await untilValue(() => load.firstAckAfter(killedAt, leader.pgPort), 120_000);
    await load.stop();
    const lost = first === undefined ? undefined : await load.lostOn(`postgres://postgres@127.0.0.1:${nodes[1]!.pgPort}/postgres`);
    return { killToWriteMs: first === undefined ? undefined : first.at - killedAt, lost, acknowledged: load.acked.length };
  } finally {
    killAll();
    process.removeListener('exit', killAll);
    // Patroni's postmasters are its children, not ours: stop each by the pid in its data directory.
    for (const name of ['node1', 'node2']) {
      try {
        process.kill(Number((await readFile(join(dir, name, 'postmaster.pid'), 'utf8')).split('\n')[0]), 'SIGKILL');
      } catch {
        // Not running.
      }
    }
    await delay(500);
    await rm(dir, { recursive: true, force: true });
  }
}

function patroniConfig(name: string, dir: string, pgPort: number, restPort: number, etcdPort: number, pgBin: string, dcs: { ttl: number; loop_wait: number; retry_timeout: number }): string {
  return `scope: bench
name: ${name}
log: {level: WARNING, dir: ${dir}}
restapi: {listen: 127.0.0.1:${restPort}, connect_address: 127.0.0.1:${restPort}}
etcd3: {hosts: 127.0.0.1:${etcdPort}}
bootstrap:
  dcs:
    ttl: ${dcs.ttl}
    loop_wait: ${dcs.loop_wait}
    retry_timeout: ${dcs.retry_timeout}
    maximum_lag_on_failover: 1073741824
    postgresql:
      use_pg_rewind: false
      parameters: {wal_retrieve_retry_interval: 100ms, wal_keep_size: 512MB}
  initdb: [{encoding: UTF8}, {locale: C}]
  pg_hba: [host replication all 127.0.0.1/32 trust, host all all 127.0.0.1/32 trust]
postgresql:
  listen: 127.0.0.1:${pgPort}
  connect_address: 127.0.0.1:${pgPort}
  data_dir: ${join(dir, name)}
  bin_dir: ${pgBin}
  pgpass: ${join(dir, `${name}.pgpass`)}
  authentication:
    superuser: {username: postgres, password: bench}
    replication: {username: postgres, password: bench}
  parameters: {unix_socket_directories: '${dir}', shared_buffers: 32MB}
`;
}

/** One race of this project: two regions, the real control plane, kill -9 of the primary's postmaster. */
async function oursRun(policy: { probeIntervalSeconds: number; failureThreshold: number }, phase: number): Promise<Sample> {
  const scenario: PostgresScenario = {
    name: 'bench-peer',
    description: 'kill -9 of the primary',
    policy: { ...policy, recoveryThreshold: 2, observerQuorum: 2, maxReplicaLagSeconds: 30, fencing: 'read-only-parameter-group' },
    // Kill once every observer has reported a few healthy rounds, `phase` of an interval after a round.
    script: [{ at: { seconds: Math.max(5, 3 * policy.probeIntervalSeconds) + phase * policy.probeIntervalSeconds }, action: { kind: 'kill', region: 'eu-west-1' } }],
    expect: { endState: 'failedOver', primaryRegion: 'us-east-1', failover: true },
    timeBoxSeconds: 180,
  };
  const stores = {
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    faults: new InMemoryFaultStore(),
  };
  const result = await runPostgresDrill({ scenario, stores, regions: ['eu-west-1', 'us-east-1'], writesPerSecond: WRITES_PER_SECOND });
  return { killToWriteMs: result.killToFirstWriteMs, lost: result.facts.lostWrites, acknowledged: result.acknowledgedWrites };
}

/** Four clients that each keep a connection to whichever node accepts writes, as target_session_attrs=read-write. */
class MultiHostLoad {
  readonly acked: { id: number; at: number; port: number }[] = [];
  lastError = '';
  #running = true;
  #nextId = 1;
  readonly #writers: Promise<void>[];

  constructor(private readonly urls: readonly string[]) {
    const intervalMs = (1000 * 4) / WRITES_PER_SECOND;
    this.#writers = [0, 1, 2, 3].map(() => this.#writer(intervalMs));
  }

  firstAckAfter(at: number, excludedPort: number): { at: number } | undefined {
    return this.acked.find((write) => write.at > at && write.port !== excludedPort);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#writers);
  }

  async lostOn(url: string): Promise<number> {
    const rows = await query(url, 'SELECT count(*) AS found FROM writes WHERE id = ANY($1::bigint[])', [this.acked.map((write) => write.id)]);
    return this.acked.length - Number(rows[0]?.found ?? 0);
  }

  async #writer(intervalMs: number): Promise<void> {
    let client: pg.Client | undefined;
    let next = 0;
    let nextAt = Date.now();
    while (this.#running) {
      const wait = nextAt - Date.now();
      if (wait > 0) await delay(wait);
      nextAt = Math.max(nextAt + intervalMs, Date.now());
      try {
        if (client === undefined) {
          const url = this.urls[next++ % this.urls.length]!;
          client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000, query_timeout: 2_000 });
          client.on('error', () => undefined);
          await client.connect();
          const { rows } = await client.query<{ ro: string }>(`SELECT current_setting('transaction_read_only') AS ro`);
          if (rows[0]?.ro !== 'off') throw new Error('read-only node');
        }
        const id = this.#nextId++;
        const { rows } = await client.query<{ port: number }>('INSERT INTO writes (id) VALUES ($1) RETURNING inet_server_port() AS port', [id]);
        this.acked.push({ id, at: Date.now(), port: rows[0]?.port ?? 0 });
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        await client?.end().catch(() => undefined);
        client = undefined;
        await delay(20);
      }
    }
    await client?.end().catch(() => undefined);
  }
}

function renderTable(contenders: readonly Contender[]): string {
  const seconds = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    '| contender | settings | min | median | max | lost writes (each run) | failovers that never wrote |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const contender of contenders) {
    const times = contender.samples.flatMap((sample) => (sample.killToWriteMs === undefined ? [] : [sample.killToWriteMs])).sort((a, b) => a - b);
    const never = contender.samples.length - times.length;
    // The median of an even count is the upper middle one: never flattering.
    lines.push(
      `| ${contender.name} | ${contender.settings} | ${seconds(times[0])} | ${seconds(times[Math.floor(times.length / 2)])} | ${seconds(times.at(-1))} | ${contender.samples.map((sample) => sample.lost ?? '?').join(', ')} | ${never} |`,
    );
  }
  return lines.join('\n');
}

/** Writes the figures as a Markdown fragment (docs/benchmarks.md quotes it with the setup). */
async function writeDoc(path: string, tools: Tools, table: string, goal: string): Promise<void> {
  const load = spawnSync('sh', ['-c', 'cut -d" " -f1-3 /proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${load} at the end`;
  const text = `\`npm run bench:peer -- --runs ${RUNS} --write ${path}\`, ${new Date().toISOString().slice(0, 16)} UTC.
Machine: ${machine}. ${tools.patroniVersion}, etcd ${tools.etcdVersion}, Patroni's PostgreSQL from ${tools.pgBin}.

${table}

${goal}
`;
  await writeFile(path, text);
  console.log(`written to ${path}`);
}

async function rest(port: number, path: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await delay(200);
  }
}

async function untilValue<T>(read: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined || Date.now() > deadline) return value;
    await delay(20);
  }
}

async function execute(url: string, sql: string): Promise<void> {
  await query(url, sql);
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Last: the classes above are initialised before the run starts.
process.exitCode = await main();

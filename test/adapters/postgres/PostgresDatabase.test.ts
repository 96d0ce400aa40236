import pg from 'pg';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../../src/adapters/clock/systemClock.js';
import { HttpProber } from '../../../src/adapters/http/HttpProber.js';
import { runProbeRound } from '../../../src/application/probeRound.js';
import { PostgresDatabase } from '../../../src/adapters/postgres/PostgresDatabase.js';
import { PostgresProbe } from '../../../src/adapters/postgres/PostgresProbe.js';
import { GroupSchema, type GroupConfig } from '../../../src/config/schema.js';
import { FatalStepError } from '../../../src/domain/errors.js';
import type { PromoteOptions } from '../../../src/ports/Database.js';
import { freePort, LocalPostgresCluster } from '../../../src/drill/postgres/LocalPostgresCluster.js';
import { postgresWorldConfig } from '../../../src/drill/postgres/postgresConfig.js';
import { InMemoryFaultStore } from '../../doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../../doubles/InMemoryObservationStore.js';

// One real cluster for the file (a primary and two streaming replicas on 127.0.0.1), started once. The tests run in
// order and the later ones change the cluster (fence, promote, kill): each says what it starts from, and waits for it.
// Durability off for speed, but commits are written before they are acknowledged (synchronous_commit on, as by
// default): pg_current_wal_lsn(), which the adapter's byte lag reads, then covers every write a test made.
const SETTINGS = { synchronous_commit: 'on' } as const;

const PRIMARY = 'eu-west-1';
const NEAR = 'us-east-1';
const FAR = 'ap-southeast-2';
const promotion: PromoteOptions = { failoverId: 'f-1', planned: false, allowDataLoss: false, fromRegion: PRIMARY };

let cluster: LocalPostgresCluster;
let group: GroupConfig;
const database = new PostgresDatabase();

beforeAll(async () => {
  cluster = await LocalPostgresCluster.start({ names: [PRIMARY, NEAR, FAR], fast: true, settings: SETTINGS });
  group = postgresWorldConfig({ cluster }).groups[0]!;
  await sql(PRIMARY, 'CREATE TABLE writes (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

async function sql<T extends pg.QueryResultRow>(region: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: cluster.server(region).url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Precondition of the tests that start from a caught-up replica: `region` has replayed everything its primary wrote,
 * read on the server (not through the adapter under test). On a loaded machine a replica may be seconds behind.
 */
async function untilCaughtUp(region: string, primary = PRIMARY, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lsn = (await sql<{ lsn: string }>(primary, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;
    const caughtUp = (await sql<{ caught_up: boolean }>(region, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS caught_up`))[0]!.caught_up;
    if (caughtUp) return;
    if (Date.now() > deadline) throw new Error(`${region} did not replay up to ${lsn} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pauses replay on `region` and waits until it is paused (pg_wal_replay_pause only asks); resumed when the test ends. */
async function pauseReplay(region: string): Promise<void> {
  await sql(region, 'SELECT pg_wal_replay_pause()');
  onTestFinished(async () => {
    await sql(region, 'SELECT pg_wal_replay_resume()');
  });
  await eventually(
    async () => (await sql<{ state: string }>(region, 'SELECT pg_get_wal_replay_pause_state() AS state'))[0]!.state,
    (state) => state === 'paused',
  );
}

describe('PostgresDatabase against real PostgreSQL servers', () => {
  it('describes the primary as a writable primary on timeline 1, its replicas streaming from it', async () => {
    // Act
    const state = await database.describe(group, PRIMARY);

    // Assess
    expect(state).toMatchObject({ region: PRIMARY, role: 'primary', status: 'available', writable: true, fenced: false, timeline: 1 });
  });

  it('describes a caught-up replica: read-only, following the primary region, no lag in seconds or bytes, measured now', async () => {
    // Prepare
    await sql(PRIMARY, 'INSERT INTO writes DEFAULT VALUES');
    const before = Date.now();

    // Act
    const state = await eventually(() => database.describe(group, NEAR), (value) => value.replicaLagBytes === 0);

    // Assess
    expect(state).toMatchObject({ role: 'replica', status: 'available', writable: false, sourceRegion: PRIMARY, replicaLagSeconds: 0, replicaLagBytes: 0, timeline: 1 });
    expect(state.replicaLagMeasuredAt).toBeGreaterThanOrEqual(before);
  });

  it('measures a real lag in seconds and bytes on a replica whose replay is paused while the primary takes writes', async () => {
    // Prepare: the far replica has replayed a transaction (so a replay time dates its lag), then stops replaying.
    await sql(PRIMARY, 'INSERT INTO writes DEFAULT VALUES');
    await untilCaughtUp(FAR);
    await pauseReplay(FAR);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await sql(PRIMARY, 'INSERT INTO writes SELECT FROM generate_series(1, 1000)');

    // Act
    const state = await database.describe(group, FAR);

    // Assess
    expect(state.replicaLagSeconds).toBeGreaterThanOrEqual(1);
    expect(state.replicaLagBytes).toBeGreaterThan(0);
    await sql(FAR, 'SELECT pg_wal_replay_resume()');
    const caughtUp = await eventually(() => database.describe(group, FAR), (value) => value.replicaLagSeconds === 0, 30_000);
    expect(caughtUp.replicaLagSeconds).toBe(0);
  });

  it('fences the primary: new sessions cannot write, sessions holding a write or an open read-write transaction are ended, and a second fence changes nothing', async () => {
    // Prepare: one session holds a write, another began a read-write transaction that has not written yet.
    const [writer, starter] = [new pg.Client({ connectionString: cluster.server(PRIMARY).url }), new pg.Client({ connectionString: cluster.server(PRIMARY).url })];
    for (const client of [writer, starter]) {
      client.on('error', () => undefined);
      onTestFinished(() => client.end().catch(() => undefined));
      await client.connect();
      await client.query('BEGIN');
    }
    await writer.query('INSERT INTO writes DEFAULT VALUES');

    // Act
    const first = await database.fence(group, PRIMARY, 'read-only-parameter-group');
    const second = await database.fence(group, PRIMARY, 'read-only-parameter-group');

    // Assess
    expect([first, second]).toEqual(['fenced', 'already-fenced']);
    await expect(writer.query('COMMIT')).rejects.toThrow();
    await expect(starter.query('INSERT INTO writes DEFAULT VALUES')).rejects.toThrow();
    await expect(sql(PRIMARY, 'INSERT INTO writes DEFAULT VALUES')).rejects.toMatchObject({ code: '25006' });
    expect(await database.describe(group, PRIMARY)).toMatchObject({ role: 'primary', writable: false, fenced: true });
  });

  it('answers already-fenced for a replica and skipped for fencing none', async () => {
    // Act
    const replica = await database.fence(group, NEAR, 'read-only-parameter-group');
    const none = await database.fence(group, NEAR, 'none');

    // Assess
    expect([replica, none]).toEqual(['already-fenced', 'skipped']);
  });

  it('promotes a replica so that a fresh session can write, on a new timeline; a second promote is already-promoted', async () => {
    // Act
    const first = await database.promote(group, NEAR, promotion);
    const second = await database.promote(group, NEAR, promotion);

    // Assess
    expect([first, second]).toEqual(['started', 'already-promoted']);
    await sql(NEAR, 'INSERT INTO writes DEFAULT VALUES');
    expect(await database.describe(group, NEAR)).toMatchObject({ role: 'standalone', writable: true, fenced: false, timeline: 2 });
  });

  it('still names the source region of a replica whose primary was killed (from primary_conninfo)', async () => {
    // Prepare: the far replica still follows the fenced old primary and has replayed all it wrote; the primary dies.
    await untilCaughtUp(FAR);
    await cluster.server(PRIMARY).kill();

    // Act
    const state = await database.describe(group, FAR);

    // Assess
    expect(state).toMatchObject({ role: 'replica', sourceRegion: PRIMARY, replicaLagSeconds: 0 });
    expect(state.replicaLagBytes).toBeUndefined();
  });

  it('reports a server that does not answer as connection-failed (data plane) with its reason, and fence as unreachable', async () => {
    // Act
    const state = await database.describe(group, PRIMARY);
    const fence = await database.fence(group, PRIMARY, 'read-only-parameter-group');

    // Assess
    expect(state).toMatchObject({ role: 'unknown', status: 'connection-failed', writable: false, statusDetail: expect.stringMatching(/ECONNREFUSED/) });
    expect(fence).toBe('unreachable');
  });

  it('turns a wrong database name into a FatalStepError naming the region and the server', async () => {
    // Prepare
    const url = `${cluster.server(NEAR).url.replace(/\/postgres$/, '')}/no_such_database`;
    const broken = GroupSchema.parse({ ...group, regions: { ...group.regions, [NEAR]: { ...group.regions[NEAR]!, database: { kind: 'postgres', url } } } });

    // Act
    const describing = database.describe(broken, NEAR);

    // Assess
    await expect(describing).rejects.toThrow(FatalStepError);
    await expect(describing).rejects.toThrow(/region us-east-1: describe on postgres 127\.0\.0\.1:\d+ failed \(3D000\)/);
  });
});

describe('PostgresProbe', () => {
  it('passes with a latency for a server that answers SELECT 1', async () => {
    // Act
    const result = await new PostgresProbe().check(group, NEAR);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.checkedAt).toBeLessThanOrEqual(Date.now());
  });

  it('fails with the reason for a port nobody listens on, without throwing', async () => {
    // Prepare
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const silent = GroupSchema.parse({ ...group, regions: { ...group.regions, [FAR]: { ...group.regions[FAR]!, database: { kind: 'postgres', url } } } });

    // Act
    const result = await new PostgresProbe().check(silent, FAR);

    // Assess
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('a probe round over postgres regions', () => {
  it('fails the round of a region whose server refuses connections although its health endpoint passes, and passes one whose server answers', async () => {
    // Prepare: every health endpoint passes; the far region's server is a port nobody listens on.
    const health = createServer((_request, response) => response.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => health.close(() => resolve())));
    const address = health.address();
    const healthUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/health`;
    const config = postgresWorldConfig({ cluster, healthUrls: { [PRIMARY]: healthUrl, [NEAR]: healthUrl, [FAR]: healthUrl } });
    const silentUrl = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const probed = GroupSchema.parse({ ...config.groups[0]!, regions: { ...config.groups[0]!.regions, [FAR]: { ...config.groups[0]!.regions[FAR]!, database: { kind: 'postgres', url: silentUrl } } } });
    const deps = { config, prober: new HttpProber(), database, observations: new InMemoryObservationStore(), faults: new InMemoryFaultStore(), clock: systemClock };

    // Act
    const round = await runProbeRound(deps, { observerRegion: NEAR, groups: [probed] });

    // Assess
    const far = round.regions.find((region) => region.region === FAR)!;
    const near = round.regions.find((region) => region.region === NEAR)!;
    expect(far).toMatchObject({ ok: false, failureReasons: [expect.stringMatching(/^database unknown is connection-failed: .*data plane.*ECONNREFUSED/)] });
    expect(far.unknownReasons).toBeUndefined();
    expect(near).toMatchObject({ ok: true, failureReasons: [] });
    expect(near.unknownReasons).toBeUndefined();
  });
});

// A replica that has replayed no transaction since it started: pg_last_xact_replay_timestamp() is NULL, so no time
// dates its lag. Its own fresh cluster, with autovacuum off so that no background transaction gets replayed.
describe('PostgresDatabase on a replica that has replayed no transaction yet', () => {
  let fresh: LocalPostgresCluster;
  let freshGroup: GroupConfig;

  beforeAll(async () => {
    fresh = await LocalPostgresCluster.start({ names: [PRIMARY, NEAR], fast: true, settings: { ...SETTINGS, autovacuum: 'off' } });
    freshGroup = postgresWorldConfig({ cluster: fresh }).groups[0]!;
  }, 120_000);

  afterAll(async () => {
    await fresh?.stop();
  });

  async function freshSql<T extends pg.QueryResultRow>(region: string, text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: fresh.server(region).url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }

  it('reports 0 s once a fresh reading of its primary proves it 0 bytes behind', async () => {
    // Prepare
    const undated = (await freshSql<{ undated: boolean }>(NEAR, 'SELECT pg_last_xact_replay_timestamp() IS NULL AS undated'))[0]!.undated;
    expect(undated).toBe(true);

    // Act
    const state = await eventually(() => database.describe(freshGroup, NEAR), (value) => value.replicaLagBytes === 0, 30_000);

    // Assess
    expect(state).toMatchObject({ role: 'replica', replicaLagBytes: 0, replicaLagSeconds: 0 });
  });

  it('reports its lag as unknown, not as a figure, while it is behind, whether or not its primary answers', async () => {
    // Prepare: it receives a transaction but does not replay it.
    await freshSql(NEAR, 'SELECT pg_wal_replay_pause()');
    onTestFinished(async () => {
      await freshSql(NEAR, 'SELECT pg_wal_replay_resume()');
    });
    await eventually(
      async () => (await freshSql<{ state: string }>(NEAR, 'SELECT pg_get_wal_replay_pause_state() AS state'))[0]!.state,
      (state) => state === 'paused',
    );
    await freshSql(PRIMARY, 'CREATE TABLE writes (id bigserial PRIMARY KEY)');
    const lsn = (await freshSql<{ lsn: string }>(PRIMARY, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;
    await eventually(
      async () => (await freshSql<{ received: boolean }>(NEAR, `SELECT pg_last_wal_receive_lsn() >= '${lsn}'::pg_lsn AS received`))[0]!.received,
      (received) => received,
      30_000,
    );
    const undated = (await freshSql<{ undated: boolean }>(NEAR, 'SELECT pg_last_xact_replay_timestamp() IS NULL AS undated'))[0]!.undated;
    expect(undated).toBe(true);

    // Act
    const primaryAnswers = await database.describe(freshGroup, NEAR);
    await fresh.server(PRIMARY).kill();
    const primaryDead = await database.describe(freshGroup, NEAR);

    // Assess
    expect(primaryAnswers.replicaLagBytes).toBeGreaterThan(0);
    expect(primaryAnswers.replicaLagSeconds).toBeUndefined();
    expect(primaryAnswers.replicaLagMeasuredAt).toBeUndefined();
    expect(primaryDead).toMatchObject({ role: 'replica', sourceRegion: PRIMARY });
    expect(primaryDead.replicaLagSeconds).toBeUndefined();
  });
});

// Reprotect of a self-managed server: a surviving replica is pointed at the new primary. Its own cluster: the primary
// is stopped cleanly (both replicas receive all its WAL), the near replica promoted, the far one repointed.
describe('PostgresDatabase.follow (reprotect by repointing)', () => {
  let third: LocalPostgresCluster;
  let thirdGroup: GroupConfig;

  beforeAll(async () => {
    third = await LocalPostgresCluster.start({ names: [PRIMARY, NEAR, FAR], fast: true, settings: SETTINGS });
    thirdGroup = postgresWorldConfig({ cluster: third }).groups[0]!;
    const client = new pg.Client({ connectionString: third.server(PRIMARY).url });
    await client.connect();
    await client.query('CREATE TABLE writes (id bigserial PRIMARY KEY)');
    await client.end();
    await third.server(PRIMARY).stop();
    await database.promote(thirdGroup, NEAR, promotion);
  }, 120_000);

  afterAll(async () => {
    await third?.stop();
  });

  async function thirdSql<T extends pg.QueryResultRow>(region: string, text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: third.server(region).url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }

  it('points a replica of the stopped old primary at the promoted one: it streams from it and replays its writes; a second call changes nothing', async () => {
    // Prepare
    expect(await database.describe(thirdGroup, FAR)).toMatchObject({ role: 'replica', sourceRegion: PRIMARY });

    // Act
    const first = await database.follow(thirdGroup, FAR, NEAR);
    const second = await database.follow(thirdGroup, FAR, NEAR);

    // Assess
    expect([first, second]).toEqual(['repointed', 'already-following']);
    expect(await database.describe(thirdGroup, FAR)).toMatchObject({ role: 'replica', status: 'available', sourceRegion: NEAR, timeline: 2 });
    await thirdSql(NEAR, 'INSERT INTO writes DEFAULT VALUES');
    const rows = await eventually(
      async () => (await thirdSql<{ count: string }>(FAR, 'SELECT count(*)::text AS count FROM writes'))[0]!.count,
      (count) => count === '1',
      30_000,
    );
    expect(rows).toBe('1');
  });

  it('refuses to make a server that is not a replica follow, naming pg_rewind', async () => {
    // Act
    const following = database.follow(thirdGroup, NEAR, FAR);

    // Assess
    await expect(following).rejects.toThrow(FatalStepError);
    await expect(following).rejects.toThrow(/region us-east-1: the server is not a replica .*pg_rewind/);
  });
});

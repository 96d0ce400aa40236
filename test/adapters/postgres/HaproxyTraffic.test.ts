import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaproxyTraffic } from '../../../src/adapters/postgres/HaproxyTraffic.js';
import { GroupSchema, type GroupConfig } from '../../../src/config/schema.js';
import { RetryableStepError } from '../../../src/domain/errors.js';
import { HAPROXY_BACKEND, LocalHaproxy } from '../../../src/drill/postgres/LocalHaproxy.js';
import { freePort, LocalPostgresCluster } from '../../../src/drill/postgres/LocalPostgresCluster.js';
import { postgresWorldConfig } from '../../../src/drill/postgres/postgresConfig.js';

// A real HAProxy (Debian package) in front of a real primary and replica; clients connect through its frontend.

const PRIMARY = 'eu-west-1';
const REPLICA = 'us-east-1';

let cluster: LocalPostgresCluster;
let proxy: LocalHaproxy;
let group: GroupConfig;
const traffic = new HaproxyTraffic();

beforeAll(async () => {
  cluster = await LocalPostgresCluster.start({ names: [PRIMARY, REPLICA], fast: true });
  proxy = await LocalHaproxy.start(cluster.servers, PRIMARY);
  group = postgresWorldConfig({ cluster, proxy: { runtimeApi: proxy.runtimeApi, clientUrl: proxy.clientUrl, backend: HAPROXY_BACKEND } }).groups[0]!;
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await cluster?.stop();
});

async function landsOn(): Promise<number> {
  const client = new pg.Client({ connectionString: proxy.clientUrl, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0]!.port;
  } finally {
    await client.end();
  }
}

describe('HaproxyTraffic against a real HAProxy', () => {
  it('reports the region a client reaches through the proxy', async () => {
    // Act
    const region = await traffic.currentRegion(group);

    // Assess
    expect(region).toBe(PRIMARY);
    expect(await landsOn()).toBe(cluster.server(PRIMARY).port);
  });

  it('switches new client connections to the target and ends the sessions on the old server', async () => {
    // Prepare
    const before = new pg.Client({ connectionString: proxy.clientUrl });
    before.on('error', () => undefined);
    await before.connect();

    // Act
    const result = await traffic.pointTo(group, REPLICA, 'failover f-1');

    // Assess
    expect(result).toEqual({ changed: true, changeId: expect.stringMatching(/^haproxy:\d+$/) });
    expect(await landsOn()).toBe(cluster.server(REPLICA).port);
    expect(await traffic.currentRegion(group)).toBe(REPLICA);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
  });

  it('changes nothing when the proxy already sends clients to the target', async () => {
    // Act
    const result = await traffic.pointTo(group, REPLICA, 'failover f-1 again');

    // Assess
    expect(result).toEqual({ changed: false });
    expect(await traffic.changeStatus('haproxy:1')).toBe('INSYNC');
  });

  it('answers undefined when no server answers through the proxy, and a RetryableStepError when the runtime API does not answer', async () => {
    // Prepare
    const port = await freePort();
    const silent = GroupSchema.parse({
      ...group,
      trafficSwitch: { kind: 'haproxy', runtimeApi: `tcp://127.0.0.1:${port}`, backend: HAPROXY_BACKEND, clientUrl: `postgres://postgres@127.0.0.1:${port}/postgres` },
    });

    // Act
    const region = await traffic.currentRegion(silent);
    const switching = traffic.pointTo(silent, PRIMARY, 'failback');

    // Assess
    expect(region).toBeUndefined();
    await expect(switching).rejects.toThrow(RetryableStepError);
  });
});

import { createServer, type Server } from 'node:http';
import pg from 'pg';
import type { ControlPlaneConfig, GroupConfig } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import { HAPROXY_BACKEND, LocalHaproxy } from './LocalHaproxy.js';
import { LocalPostgresCluster } from './LocalPostgresCluster.js';
import { POSTGRES_WORLD_REGIONS, postgresWorldConfig, type PostgresWorldConfigOptions } from './postgresConfig.js';
import { WriteLoad } from './WriteLoad.js';

export interface PostgresWorldOptions {
  readonly policy?: PostgresWorldConfigOptions['policy'];
  readonly mode?: PostgresWorldConfigOptions['mode'];
  /** Region names, the first the primary; default eu-west-1, us-east-1, ap-southeast-2. */
  readonly regions?: readonly string[];
  /** The client write load through the traffic switch; default 100 writes/s. */
  readonly writesPerSecond?: number;
}

/**
 * The real local world: three PostgreSQL servers on 127.0.0.1 (eu-west-1 the primary, us-east-1 and ap-southeast-2
 * streaming replicas), a real HAProxy in front of them as the traffic switch, one HTTP health endpoint per region
 * (200 when its database answers `SELECT 1` on the application's pool, else 503), and a write load through
 * the proxy. Faults are real: `kill` is `kill -9` of a postmaster. `close()` stops everything it started.
 *
 * @example
 * const world = await PostgresWorld.start({ writesPerSecond: 100 });
 * try { await world.kill('eu-west-1'); } finally { await world.close(); }
 */
export class PostgresWorld {
  load: WriteLoad | undefined;

  private constructor(
    readonly cluster: LocalPostgresCluster,
    readonly proxy: LocalHaproxy,
    private readonly healthServers: readonly Server[],
    private readonly healthPools: readonly pg.Pool[],
    readonly config: ControlPlaneConfig,
  ) {}

  static async start(options: PostgresWorldOptions = {}): Promise<PostgresWorld> {
    const regions = options.regions ?? POSTGRES_WORLD_REGIONS;
    const cluster = await LocalPostgresCluster.start({ names: regions });
    let proxy: LocalHaproxy | undefined;
    const servers: Server[] = [];
    const pools: pg.Pool[] = [];
    try {
      await execute(cluster.servers[0]!.url, WriteLoad.TABLE_SQL);
      proxy = await LocalHaproxy.start(cluster.servers, cluster.servers[0]!.name);
      const healthUrls: Record<string, string> = {};
      for (const region of regions) {
        // As an application's health check: a query on its own connection pool, which a dead server empties.
        const pool = new pg.Pool({ connectionString: cluster.server(region).url, max: 2, connectionTimeoutMillis: 1_000, query_timeout: 1_000 });
        pool.on('error', () => undefined);
        pools.push(pool);
        const server = createServer((_request, response) => {
          pool.query('SELECT 1').then(
            () => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
            (error: unknown) => response.writeHead(503, { 'content-type': 'text/plain' }).end(`database: ${error instanceof Error ? error.message : String(error)}`),
          );
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        servers.push(server);
        const address = server.address();
        healthUrls[region] = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/health`;
      }
      const config = postgresWorldConfig({
        cluster,
        healthUrls,
        proxy: { runtimeApi: proxy.runtimeApi, clientUrl: proxy.clientUrl, backend: HAPROXY_BACKEND },
        ...(options.policy === undefined ? {} : { policy: options.policy }),
        ...(options.mode === undefined ? {} : { mode: options.mode }),
      });
      const world = new PostgresWorld(cluster, proxy, servers, pools, config);
      await world.#replicasHaveTable();
      world.load = WriteLoad.start(proxy.clientUrl, { writesPerSecond: options.writesPerSecond ?? 100 });
      return world;
    } catch (error) {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await Promise.all(pools.map((pool) => pool.end()));
      await proxy?.stop();
      await cluster.stop();
      throw error;
    }
  }

  get group(): GroupConfig {
    return this.config.groups[0]!;
  }

  /** `kill -9` of the region's postmaster. */
  async kill(region: RegionName): Promise<void> {
    await this.cluster.server(region).kill();
  }

  /** Starts the region's server again on its data directory (after a kill: crash recovery, then as it was). */
  async restart(region: RegionName): Promise<void> {
    await this.cluster.server(region).start();
  }

  /** Stops a replica applying WAL (it keeps receiving it): its lag grows with every write. */
  async pauseReplay(region: RegionName): Promise<void> {
    await execute(this.cluster.server(region).url, 'SELECT pg_wal_replay_pause()');
  }

  async resumeReplay(region: RegionName): Promise<void> {
    await execute(this.cluster.server(region).url, 'SELECT pg_wal_replay_resume()');
  }

  async close(): Promise<void> {
    await this.load?.stop();
    await Promise.all(this.healthServers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(this.healthPools.map((pool) => pool.end()));
    await this.proxy.stop();
    await this.cluster.stop();
  }

  async #replicasHaveTable(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (const server of this.cluster.servers.slice(1)) {
      for (;;) {
        const rows = await query(server.url, "SELECT to_regclass('writes') IS NOT NULL AS present");
        if (rows[0]?.present === true) break;
        if (Date.now() > deadline) throw new Error(`replica ${server.name} never received the writes table`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

async function execute(url: string, sql: string): Promise<void> {
  await query(url, sql);
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

import pg from 'pg';

/** One write the database acknowledged (its COMMIT returned). */
export interface AckedWrite {
  readonly id: number;
  readonly at: number;
  /** The port of the server that acknowledged it (`inet_server_port()`), i.e. which server the switch sent it to. */
  readonly serverPort: number;
}

/**
 * A client write load: `writers` connections through `url` (the traffic switch), each inserting rows with ids it
 * numbers itself, paced to `writesPerSecond` in all. A write counts only when PostgreSQL acknowledged it; a failed one
 * (server gone, read-only after a fence, proxy switching) is counted as failed and the writer reconnects, as an
 * application's pool would. `lostOn(url)` then counts the acknowledged ids missing from a server.
 *
 * @example
 * const load = WriteLoad.start(proxy.clientUrl, { writesPerSecond: 200 });
 * await load.stop();
 * await load.lostOn(cluster.server('us-east-1').url); // acknowledged writes the new primary does not have
 */
export class WriteLoad {
  readonly #acked: AckedWrite[] = [];
  #failed = 0;
  #nextId = 1;
  #running = true;
  readonly #writers: Promise<void>[];

  private constructor(
    private readonly url: string,
    writesPerSecond: number,
    writers: number,
  ) {
    const intervalMs = (1000 * writers) / writesPerSecond;
    this.#writers = Array.from({ length: writers }, (_, index) => this.#writer(intervalMs, (index * intervalMs) / writers));
  }

  static start(url: string, options: { writesPerSecond: number; writers?: number }): WriteLoad {
    return new WriteLoad(url, options.writesPerSecond, options.writers ?? 4);
  }

  /** The table the load writes to; create it on the primary before starting. */
  static readonly TABLE_SQL = 'CREATE TABLE IF NOT EXISTS writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())';

  get acknowledged(): readonly AckedWrite[] {
    return this.#acked;
  }

  get failed(): number {
    return this.#failed;
  }

  /** The first write acknowledged after `at` by a server other than the one on `excludedPort` (a killed primary). */
  firstAckedAfter(at: number, excludedPort?: number): AckedWrite | undefined {
    return this.#acked.find((write) => write.at > at && write.serverPort !== excludedPort);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#writers);
  }

  /** How many acknowledged writes the server at `url` does not have. */
  async lostOn(url: string): Promise<number> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      const ids = this.#acked.map((write) => write.id);
      const { rows } = await client.query<{ found: string }>('SELECT count(*) AS found FROM writes WHERE id = ANY($1::bigint[])', [ids]);
      return ids.length - Number(rows[0]?.found ?? 0);
    } finally {
      await client.end();
    }
  }

  async #writer(intervalMs: number, offsetMs: number): Promise<void> {
    let client: pg.Client | undefined;
    let nextAt = Date.now() + offsetMs;
    while (this.#running) {
      const waitMs = nextAt - Date.now();
      if (waitMs > 0) await delay(waitMs);
      nextAt = Math.max(nextAt + intervalMs, Date.now());
      if (!this.#running) break;
      try {
        if (client === undefined) {
          client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000, query_timeout: 2_000 });
          client.on('error', () => undefined);
          await client.connect();
        }
        const id = this.#nextId++;
        const { rows } = await client.query<{ port: number }>('INSERT INTO writes (id) VALUES ($1) RETURNING inet_server_port() AS port', [id]);
        this.#acked.push({ id, at: Date.now(), serverPort: rows[0]?.port ?? 0 });
      } catch {
        this.#failed += 1;
        await client?.end().catch(() => undefined);
        client = undefined;
        await delay(20);
      }
    }
    await client?.end().catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

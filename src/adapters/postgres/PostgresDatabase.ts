import type pg from 'pg';
import type { GroupConfig, PostgresDatabaseConfig } from '../../config/schema.js';
import type { FencingMode, RegionName } from '../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';
import type { Clock } from '../../ports/Clock.js';
import type { Database, DatabaseState, FenceOutcome, PromoteOptions, PromoteOutcome } from '../../ports/Database.js';
import {
  conninfoHostPort,
  isUnreachable,
  passwordFromEnvironment,
  regionAt,
  stepErrorOf,
  withClient,
  type CallTarget,
  type PasswordLookup,
} from './connection.js';

export interface PostgresDatabaseOptions {
  /** Default: environment variables only (`passwordFrom.env`). */
  readonly passwords?: PasswordLookup;
  /** For `replicaLagMeasuredAt`; default the wall clock. */
  readonly clock?: Pick<Clock, 'now'>;
  /** How often to look whether a promoted server takes writes yet; default 50 ms. */
  readonly writablePollMs?: number;
}

/** One round trip: everything describe needs from a server, primary or replica. */
const DESCRIBE_SQL = `
SELECT pg_is_in_recovery() AS in_recovery,
       current_setting('transaction_read_only') AS transaction_read_only,
       current_setting('default_transaction_read_only') AS default_read_only,
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS primary_timeline,
       (SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_timeline,
       (SELECT count(*) FROM pg_stat_replication)::int AS streaming_replicas,
       pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS seconds_since_replay,
       current_setting('primary_conninfo') AS primary_conninfo,
       (SELECT status FROM pg_stat_wal_receiver) AS receiver_status,
       (SELECT sender_host FROM pg_stat_wal_receiver) AS sender_host,
       (SELECT sender_port FROM pg_stat_wal_receiver) AS sender_port,
       (SELECT received_tli FROM pg_stat_wal_receiver) AS received_tli`;

interface DescribeRow {
  readonly in_recovery: boolean;
  readonly transaction_read_only: string;
  readonly default_read_only: string;
  readonly primary_timeline: number | null;
  readonly checkpoint_timeline: number | null;
  readonly streaming_replicas: number;
  readonly receive_lsn: string | null;
  readonly replay_lsn: string | null;
  readonly seconds_since_replay: number | null;
  readonly primary_conninfo: string;
  readonly receiver_status: string | null;
  readonly sender_host: string | null;
  readonly sender_port: number | null;
  readonly received_tli: number | null;
}

/**
 * A self-managed PostgreSQL server per region (`kind: postgres`) behind the Database port, through the `pg` client.
 * Every action observes first (`pg_is_in_recovery()`, `default_transaction_read_only`), so a repeated step changes
 * nothing twice. A server that cannot be reached is an observation (`status: 'unreachable'`, fence `unreachable`),
 * never a thrown error from describe or fence.
 */
export class PostgresDatabase implements Database {
  readonly #passwords: PasswordLookup;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #writablePollMs: number;

  constructor(options: PostgresDatabaseOptions = {}) {
    this.#passwords = options.passwords ?? passwordFromEnvironment;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#writablePollMs = options.writablePollMs ?? 50;
  }

  /**
   * Role from `pg_is_in_recovery()`, writability from a real `transaction_read_only` in a fresh session, the timeline,
   * and for a replica: its source (from `pg_stat_wal_receiver`, else `primary_conninfo`) as a region of the group,
   * and its lag in seconds (0 when it has replayed all it received and, when its source answers, all its source has
   * written; else the time since its last replayed transaction) and in bytes (when the source answers), measured now.
   *
   * @example
   * const state = await database.describe(group, 'us-east-1');
   * // { role: 'replica', status: 'available', writable: false, sourceRegion: 'eu-west-1', replicaLagSeconds: 0, replicaLagBytes: 0, ... }
   */
  async describe(group: GroupConfig, region: RegionName): Promise<DatabaseState> {
    const target = this.#target(group, region);
    let row: DescribeRow;
    try {
      row = await withClient(target, this.#passwords, async (client) => (await client.query<DescribeRow>(DESCRIBE_SQL)).rows[0]!);
    } catch (error) {
      if (isUnreachable(error)) return { region, role: 'unknown', status: 'unreachable', writable: false };
      throw stepErrorOf(error, target, 'describe');
    }
    const measuredAt = this.#clock.now();
    if (!row.in_recovery) {
      const fenced = row.default_read_only === 'on';
      return {
        region,
        role: row.streaming_replicas > 0 ? 'primary' : 'standalone',
        status: 'available',
        writable: row.transaction_read_only === 'off',
        fenced,
        ...(row.primary_timeline === null ? {} : { timeline: row.primary_timeline }),
      };
    }
    const source = sourceOf(row);
    const sourceRegion = source === undefined ? undefined : regionAt(group, source.host, source.port);
    const sourceLsn = sourceRegion === undefined ? undefined : await this.#currentLsn(group, sourceRegion);
    const lagBytes = sourceLsn === undefined || row.replay_lsn === null ? undefined : Math.max(0, Number(lsnToBigInt(sourceLsn) - lsnToBigInt(row.replay_lsn)));
    const lagSeconds = replicaLagSeconds(row, lagBytes);
    const timeline = row.received_tli ?? row.checkpoint_timeline;
    return {
      region,
      role: 'replica',
      status: 'available',
      writable: row.transaction_read_only === 'off',
      fenced: false,
      ...(timeline === null ? {} : { timeline }),
      ...(sourceRegion === undefined ? {} : { sourceRegion }),
      ...(lagSeconds === undefined ? {} : { replicaLagSeconds: lagSeconds, replicaLagMeasuredAt: measuredAt }),
      ...(lagBytes === undefined ? {} : { replicaLagBytes: lagBytes }),
    };
  }

  /**
   * Stops writes on a primary that still answers: `ALTER SYSTEM SET default_transaction_read_only = on`, reload, and
   * terminate the client sessions holding a write transaction (new transactions in the others are read-only from
   * their next statement). A replica takes no writes: `already-fenced`. An unreachable server: `unreachable` (the
   * split-brain alarm watches for it coming back writable). Undo on the server with
   * `ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf();`.
   *
   * @example
   * await database.fence(group, 'eu-west-1', 'read-only-parameter-group'); // 'fenced', then 'already-fenced'
   */
  async fence(group: GroupConfig, region: RegionName, mode: FencingMode): Promise<FenceOutcome> {
    if (mode === 'none') return 'skipped';
    if (mode === 'stop-instance') {
      throw new FatalStepError(`group ${group.id} region ${region}: a postgres server cannot be stopped over SQL; use fencing read-only-parameter-group`, {
        groupId: group.id,
        region,
        step: 'fencing',
      });
    }
    const target = this.#target(group, region, 'fencing');
    try {
      return await withClient(target, this.#passwords, async (client) => {
        const { rows } = await client.query<{ in_recovery: boolean; default_read_only: string }>(
          `SELECT pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS default_read_only`,
        );
        const state = rows[0]!;
        if (state.in_recovery) return 'already-fenced';
        const already = state.default_read_only === 'on';
        if (!already) {
          await client.query('ALTER SYSTEM SET default_transaction_read_only = on');
          await client.query('SELECT pg_reload_conf()');
        }
        await terminateWriters(client);
        return already ? 'already-fenced' : 'fenced';
      });
    } catch (error) {
      if (isUnreachable(error)) return 'unreachable';
      throw stepErrorOf(error, target, 'fence');
    }
  }

  /**
   * Ends recovery on the replica in `region` with `pg_promote(wait => true)`, then resets a read-only default left by
   * an earlier fence and waits until a fresh session may write (pg_promote answers before that, it polls every 100 ms).
   * A server no longer in recovery answers `already-promoted` and is left as it is.
   *
   * @example
   * await database.promote(group, 'us-east-1', { failoverId, planned: false, allowDataLoss: false, fromRegion: 'eu-west-1' }); // 'started'
   */
  async promote(group: GroupConfig, region: RegionName, _options: PromoteOptions): Promise<PromoteOutcome> {
    const target = this.#target(group, region, 'promoting');
    const waitSeconds = target.config.promoteWaitSeconds;
    try {
      const outcome = await withClient(
        target,
        this.#passwords,
        async (client): Promise<PromoteOutcome> => {
          const { rows } = await client.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
          if (rows[0]?.in_recovery !== true) return 'already-promoted';
          const promoted = await client.query<{ promoted: boolean }>('SELECT pg_promote(true, $1) AS promoted', [waitSeconds]);
          if (promoted.rows[0]?.promoted !== true) {
            throw new RetryableStepError(`group ${group.id} region ${region}: pg_promote did not finish within ${waitSeconds} s`, {
              groupId: group.id,
              region,
              step: 'promoting',
            });
          }
          await client.query('ALTER SYSTEM RESET default_transaction_read_only');
          await client.query('SELECT pg_reload_conf()');
          return 'started';
        },
        (waitSeconds + 5) * 1_000,
      );
      if (outcome === 'started') await this.#untilWritable(target, waitSeconds * 1_000);
      return outcome;
    } catch (error) {
      if (error instanceof RetryableStepError || error instanceof FatalStepError) throw error;
      throw stepErrorOf(error, target, 'promote');
    }
  }

  async #untilWritable(target: CallTarget, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const readOnly = await withClient(target, this.#passwords, async (client) => {
        const { rows } = await client.query<{ read_only: string }>(`SELECT current_setting('transaction_read_only') AS read_only`);
        return rows[0]?.read_only;
      });
      if (readOnly === 'off') return;
      if (Date.now() > deadline) {
        throw new RetryableStepError(`group ${target.group.id} region ${target.region}: promoted but still read-only after ${timeoutMs} ms`, {
          groupId: target.group.id,
          region: target.region,
          step: 'promoting',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.#writablePollMs));
    }
  }

  /** The source's WAL write position, or undefined when it does not answer or is itself in recovery. */
  async #currentLsn(group: GroupConfig, region: RegionName): Promise<string | undefined> {
    try {
      return await withClient(this.#target(group, region), this.#passwords, async (client) => {
        const { rows } = await client.query<{ lsn: string | null }>(
          'SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn',
        );
        return rows[0]?.lsn ?? undefined;
      });
    } catch {
      return undefined;
    }
  }

  #target(group: GroupConfig, region: RegionName, step?: string): CallTarget {
    const database = group.regions[region]?.database;
    if (database === undefined) throw new FatalStepError(`group ${group.id} has no region ${region}`, { groupId: group.id, region });
    if (database.kind !== 'postgres') {
      throw new FatalStepError(`group ${group.id} region ${region}: database is ${database.kind}, not postgres`, { groupId: group.id, region });
    }
    return { group, region, config: database as PostgresDatabaseConfig, ...(step === undefined ? {} : { step }) };
  }
}

/** Ends the client sessions that hold a transaction id (have written), except this one. */
async function terminateWriters(client: pg.Client): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`,
  );
}

function sourceOf(row: DescribeRow): { host: string; port: number } | undefined {
  if (row.sender_host !== null && row.sender_port !== null) return { host: row.sender_host, port: row.sender_port };
  return row.primary_conninfo === '' ? undefined : conninfoHostPort(row.primary_conninfo);
}

/**
 * Seconds of writes a replica would lose if promoted now. When its source answered (`lagBytes` known): 0 when it has
 * replayed everything the source wrote, else the time since its last replayed transaction (at least 1 ms, so a
 * drain never mistakes a small lag for none). When the source did not answer: 0 when it replayed all it received,
 * else the time since its last replay. Undefined when it never received anything.
 */
function replicaLagSeconds(row: DescribeRow, lagBytes: number | undefined): number | undefined {
  if (row.receive_lsn === null || row.replay_lsn === null) return undefined;
  const behind = lagBytes === undefined ? lsnToBigInt(row.receive_lsn) > lsnToBigInt(row.replay_lsn) : lagBytes > 0;
  if (!behind) return 0;
  return Math.max(0.001, Math.round((row.seconds_since_replay ?? 0) * 1000) / 1000);
}

/**
 * A PostgreSQL LSN (`16/B374D848`) as a number of bytes.
 *
 * @example
 * lsnToBigInt('0/16B3748'); // 23803720n
 */
export function lsnToBigInt(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high ?? '0'}`) << 32n) + BigInt(`0x${low ?? '0'}`);
}

import type pg from 'pg';
import type { GroupConfig, PostgresDatabaseConfig } from '../../config/schema.js';
import type { FencingMode, RegionName } from '../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';
import type { Clock } from '../../ports/Clock.js';
import type { Database, DatabaseState, FenceOutcome, FollowOutcome, PromoteOptions, PromoteOutcome } from '../../ports/Database.js';
import {
  conninfoHostPort,
  endpointOf,
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

/** One row of DESCRIBE_SQL, as pg returns it. */
export interface DescribeRow {
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
 * nothing twice. A server that cannot be reached is an observation, never a thrown error from describe or fence:
 * describe answers `status: 'connection-failed'` (data-plane evidence: the round fails, as a failed connection check),
 * fence answers `unreachable`.
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
   * and its lag in seconds (`replicaLagSeconds`: unknown when no replayed transaction dates it) and in bytes (when the
   * source answers), measured now.
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
      // The server itself did not answer: data-plane evidence (src/domain/databaseStatus.ts), not a control-plane blip.
      if (isUnreachable(error)) return { region, role: 'unknown', status: 'connection-failed', statusDetail: messageOf(error), writable: false };
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
   * Stops writes on a primary that still answers: `ALTER SYSTEM SET default_transaction_read_only = on`, reload, wait
   * until a fresh session sees the new default (the reload is asynchronous: a session opened before the postmaster
   * read it would still write), then end every other client session and wait for each to exit, so a transaction that
   * began read-write before the reload cannot commit after the fence answers. Clients reconnect (through the traffic
   * switch) and get read-only sessions here. A replica takes no writes: `already-fenced`. An unreachable server:
   * `unreachable` (the split-brain alarm watches for it coming back writable). Undo on the server with
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
        await this.#untilReadOnlyByDefault(target);
        await endOtherSessions(client, target);
        return already ? 'already-fenced' : 'fenced';
      });
    } catch (error) {
      if (error instanceof RetryableStepError || error instanceof FatalStepError) throw error;
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

  /**
   * Reprotect of a self-managed server: points the replica in `region` at the server of `sourceRegion` with
   * `ALTER SYSTEM SET primary_conninfo` and a reload (PostgreSQL 13+ applies it by restarting only the WAL receiver;
   * `recovery_target_timeline = latest`, the default, follows the new primary's timeline), then waits up to
   * `promoteWaitSeconds` until it streams from there. Already streaming from it: `already-following`, nothing changed.
   * The conninfo keeps the replica's own user and application_name settings and names the source's host and port.
   * A server not in recovery cannot follow (a returned old primary: `pg_rewind` on its host first): FatalStepError.
   *
   * @example
   * await database.follow(group, 'ap-southeast-2', 'us-east-1'); // 'repointed', then 'already-following'
   */
  async follow(group: GroupConfig, region: RegionName, sourceRegion: RegionName): Promise<FollowOutcome> {
    const target = this.#target(group, region, 'reprotect');
    const source = endpointOf(this.#target(group, sourceRegion, 'reprotect').config);
    const streamingFromSource = async (client: pg.Client): Promise<{ streaming: boolean; receiver: string }> => {
      const { rows } = await client.query<{ status: string | null; sender_host: string | null; sender_port: number | null }>(
        'SELECT status, sender_host, sender_port FROM pg_stat_wal_receiver',
      );
      const receiver = rows[0];
      const from = receiver?.sender_host == null || receiver.sender_port == null ? undefined : regionAt(group, receiver.sender_host, receiver.sender_port);
      return {
        streaming: receiver?.status === 'streaming' && from === sourceRegion,
        receiver: receiver === undefined ? 'no WAL receiver running' : `WAL receiver ${receiver.status ?? 'unknown'} from ${receiver.sender_host ?? '?'}:${receiver.sender_port ?? '?'}`,
      };
    };
    try {
      return await withClient(target, this.#passwords, async (client): Promise<FollowOutcome> => {
        const { rows } = await client.query<{ in_recovery: boolean; conninfo: string }>(
          `SELECT pg_is_in_recovery() AS in_recovery, current_setting('primary_conninfo') AS conninfo`,
        );
        const state = rows[0]!;
        if (!state.in_recovery) {
          throw new FatalStepError(
            `group ${group.id} region ${region}: the server is not a replica (not in recovery), so it cannot follow ${sourceRegion}; ` +
              `if it is a returned old primary, stop it and rewind it on its host (pg_rewind --target-pgdata=<its data directory> --source-server='host=${source.host} port=${source.port} ...'), add standby.signal, start it, then reprotect again`,
            { groupId: group.id, region, step: 'reprotect' },
          );
        }
        if ((await streamingFromSource(client)).streaming) return 'already-following';
        const current = conninfoHostPort(state.conninfo);
        if (current === undefined || regionAt(group, current.host, current.port) !== sourceRegion) {
          await client.query(`ALTER SYSTEM SET primary_conninfo = ${quoteLiteral(repointedConninfo(state.conninfo, source.host, source.port))}`);
          await client.query('SELECT pg_reload_conf()');
        }
        const deadline = Date.now() + target.config.promoteWaitSeconds * 1_000;
        for (;;) {
          const { streaming, receiver } = await streamingFromSource(client);
          if (streaming) return 'repointed';
          if (Date.now() > deadline) {
            throw new RetryableStepError(
              `group ${group.id} region ${region}: primary_conninfo names ${sourceRegion} (${source.host}:${source.port}) but the replica does not stream from it after ${target.config.promoteWaitSeconds} s (${receiver}); ` +
                `if it replayed past the point where ${sourceRegion} was promoted, it must be rewound (pg_rewind) or recreated (pg_basebackup) on its host`,
              { groupId: group.id, region, step: 'reprotect' },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }, (target.config.promoteWaitSeconds + 5) * 1_000);
    } catch (error) {
      if (error instanceof RetryableStepError || error instanceof FatalStepError) throw error;
      throw stepErrorOf(error, target, 'follow');
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

  /** Waits until a fresh session on `target` starts read-only by default: the fence's reload has taken effect. */
  async #untilReadOnlyByDefault(target: CallTarget): Promise<void> {
    const timeoutMs = target.config.connectTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const readOnly = await withClient(target, this.#passwords, async (client) => {
        const { rows } = await client.query<{ read_only: string }>(`SELECT current_setting('default_transaction_read_only') AS read_only`);
        return rows[0]?.read_only;
      });
      if (readOnly === 'on') return;
      if (Date.now() > deadline) {
        throw new RetryableStepError(`group ${target.group.id} region ${target.region}: default_transaction_read_only still off ${timeoutMs} ms after the reload`, {
          groupId: target.group.id,
          region: target.region,
          step: 'fencing',
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

/** How long fence waits for the sessions it ended to exit. */
const SESSION_EXIT_WAIT_MS = 1_000;

/**
 * Ends every client session but this one and waits until they have exited: a session still there after
 * `SESSION_EXIT_WAIT_MS` leaves the fence unfinished (retryable), since it might still commit a write.
 */
async function endOtherSessions(client: pg.Client, target: CallTarget): Promise<void> {
  // In the select list, not the WHERE clause: the filter on our own pid must run first, and AND has no set order.
  const { rows } = await client.query<{ pid: number; signalled: boolean }>(
    `SELECT pid, pg_terminate_backend(pid) AS signalled FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  let alive = rows.filter((row) => row.signalled).map((row) => row.pid);
  const deadline = Date.now() + SESSION_EXIT_WAIT_MS;
  while (alive.length > 0) {
    if (Date.now() > deadline) {
      throw new RetryableStepError(
        `group ${target.group.id} region ${target.region}: fenced read-only, but session(s) ${alive.join(', ')} did not end within ${SESSION_EXIT_WAIT_MS} ms`,
        { groupId: target.group.id, region: target.region, step: 'fencing' },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const remaining = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [alive]);
    alive = remaining.rows.map((row) => row.pid);
  }
}

function sourceOf(row: DescribeRow): { host: string; port: number } | undefined {
  if (row.sender_host !== null && row.sender_port !== null) return { host: row.sender_host, port: row.sender_port };
  return row.primary_conninfo === '' ? undefined : conninfoHostPort(row.primary_conninfo);
}

/**
 * Seconds of writes a replica would lose if promoted now, or undefined (unknown) when it cannot be bounded.
 *
 * - Its source answered (`lagBytes` known, read just after the replica): 0 when it has replayed everything the
 *   source had written, else the time since its last replayed transaction (at least 1 ms, so a drain never mistakes a
 *   small lag for none).
 * - Its source did not answer: 0 when it replayed all it received, else the time since its last replay.
 * - Unknown when it never received anything, or when `pg_last_xact_replay_timestamp()` is NULL (no transaction
 *   replayed since it started) and no fresh reading of the source proves 0 bytes behind: then no time measures the
 *   lag, and a made-up figure must never decide a promotion.
 *
 * @example
 * replicaLagSeconds({ receive_lsn: '0/3000060', replay_lsn: '0/3000000', seconds_since_replay: null }, undefined); // undefined
 * replicaLagSeconds({ receive_lsn: '0/3000060', replay_lsn: '0/3000060', seconds_since_replay: null }, 0); // 0
 */
export function replicaLagSeconds(
  row: Pick<DescribeRow, 'receive_lsn' | 'replay_lsn' | 'seconds_since_replay'>,
  lagBytes: number | undefined,
): number | undefined {
  if (row.receive_lsn === null || row.replay_lsn === null) return undefined;
  if (lagBytes === 0) return 0;
  if (row.seconds_since_replay === null) return undefined;
  const behind = lagBytes === undefined ? lsnToBigInt(row.receive_lsn) > lsnToBigInt(row.replay_lsn) : lagBytes > 0;
  if (!behind) return 0;
  return Math.max(0.001, Math.round(row.seconds_since_replay * 1000) / 1000);
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `conninfo` with its host and port replaced by the new source's (other settings kept: user, application_name...),
 * or a minimal one naming the source when there was none.
 *
 * @example
 * repointedConninfo('host=10.0.1.5 port=5432 user=rep application_name=r2', '10.0.2.5', 5433);
 * // "host='10.0.2.5' port='5433' user='rep' application_name='r2'"
 */
export function repointedConninfo(conninfo: string, host: string, port: number): string {
  const fields = new Map<string, string>();
  for (const match of conninfo.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    const [, key, raw] = match;
    if (key !== undefined && raw !== undefined) fields.set(key, raw.replace(/^'|'$/g, '').replace(/\\(.)/g, '$1'));
  }
  for (const key of ['host', 'hostaddr', 'port']) fields.delete(key);
  const ordered = [['host', host], ['port', String(port)], ...fields];
  return ordered.map(([key, value]) => `${key}='${value!.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(' ');
}

/** A SQL string literal for ALTER SYSTEM, which takes no parameters. */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

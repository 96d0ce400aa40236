import type { ConnectionOptions } from 'node:tls';
import type { ConnectionCheck, FailoverGroup } from '../../../domain/group.js';
import type { ConnectionCheckResult, RegionName } from '../../../domain/types.js';
import type { DatabaseProbe } from '../../../ports/DatabaseProbe.js';
import { withPgClient } from '../../postgres/connection.js';
import { untilAborted, type ConnectionCheckPasswords } from './connectionCheckPasswords.js';

export interface RdsConnectionProbeOptions {
  readonly passwords: ConnectionCheckPasswords;
  /**
   * PEM certificates `verify-full` trusts instead of Node's store. Leave it out in a Lambda: Node's store plus
   * `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem` (which holds the RDS CAs; serverless.yml sets it) is what it needs.
   */
  readonly ca?: string;
}

/** SQLSTATEs of a refused login: a wrong password, an expired IAM token, no such role. */
const AUTHENTICATION_FAILED = new Set(['28P01', '28000']);

/**
 * The data-plane check of an `rds-instance` or `aurora-global` region (`database.connectionCheck`): connects over TLS
 * to `host:port/database` as `user` with the password `passwordFrom` gives, runs `SELECT 1` and closes, all (the
 * password read included) within `timeoutMs`. `tls: verify-full` checks the server's certificate and name against the
 * trust store; `require` encrypts without checking. A login refused with a cached password (a rotated secret, an
 * expired token) is tried once more with a fresh one, inside the same time. Never throws: a failure is a result with
 * `ok: false` and the reason; `checkedAt` is when the check started.
 *
 * @example
 * const probe = new RdsConnectionProbe({ passwords });
 * await probe.check(group, 'eu-west-1'); // { ok: true, latencyMs: 12, checkedAt: 1767225600000 }
 */
export class RdsConnectionProbe implements DatabaseProbe {
  readonly #passwords: ConnectionCheckPasswords;
  readonly #ca: string | undefined;

  constructor(options: RdsConnectionProbeOptions) {
    this.#passwords = options.passwords;
    this.#ca = options.ca;
  }

  async check(group: FailoverGroup, region: RegionName): Promise<ConnectionCheckResult> {
    const checkedAt = Date.now();
    const started = performance.now();
    const latencyMs = (): number => Math.round(performance.now() - started);
    const database = group.regions[region]?.database;
    const check = database === undefined || database.kind === 'postgres' ? undefined : database.connectionCheck;
    if (check === undefined) {
      return { ok: false, latencyMs: 0, checkedAt, error: `region ${region} of group ${group.id} has no database.connectionCheck` };
    }
    const deadline = started + check.timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error(`timeout after ${check.timeoutMs} ms`)), check.timeoutMs);
    const stage = { doing: `reading the password (passwordFrom ${check.passwordFrom.kind})` };
    try {
      await untilAborted(this.#attempt(check, region, timeout.signal, deadline, stage), timeout.signal);
      return { ok: true, latencyMs: latencyMs(), checkedAt };
    } catch (error) {
      // pg's own connect and query bounds end at the same deadline: whichever fired first, it is the timeout.
      const timedOut = timeout.signal.aborted || performance.now() >= deadline;
      const reason = timedOut ? `timeout after ${check.timeoutMs} ms ${stage.doing}` : reasonOf(error, check);
      return { ok: false, latencyMs: latencyMs(), checkedAt, error: reason };
    } finally {
      clearTimeout(timer);
    }
  }

  async #attempt(check: ConnectionCheck, region: RegionName, signal: AbortSignal, deadline: number, stage: { doing: string }): Promise<void> {
    const first = await this.#passwords.passwordFor(check, region, signal);
    try {
      await this.#selectOne(check, first.password, deadline, stage);
    } catch (error) {
      if (!isAuthenticationFailure(error)) throw error;
      this.#passwords.forget(check, region);
      if (!first.cached) throw error;
      stage.doing = `reading the password again (passwordFrom ${check.passwordFrom.kind})`;
      const fresh = await this.#passwords.passwordFor(check, region, signal);
      if (fresh.password === first.password) throw error;
      try {
        await this.#selectOne(check, fresh.password, deadline, stage);
      } catch (again) {
        if (isAuthenticationFailure(again)) this.#passwords.forget(check, region);
        throw again;
      }
    }
  }

  async #selectOne(check: ConnectionCheck, password: string, deadline: number, stage: { doing: string }): Promise<void> {
    // pg's own bounds end the connection soon after the check gave up on it; the race in check() is the contract.
    const remainingMs = Math.max(1, Math.ceil(deadline - performance.now()));
    stage.doing = `connecting to ${check.host}:${check.port}`;
    await withPgClient(
      {
        host: check.host,
        port: check.port,
        database: check.database,
        user: check.user,
        password,
        ssl: this.#tls(check),
        connectionTimeoutMillis: remainingMs,
        query_timeout: remainingMs,
      },
      async (client) => {
        stage.doing = `running SELECT 1 on ${check.host}:${check.port}`;
        await client.query('SELECT 1');
      },
    );
  }

  #tls(check: ConnectionCheck): ConnectionOptions {
    if (check.tls === 'require') return { rejectUnauthorized: false };
    return { rejectUnauthorized: true, ...(this.#ca === undefined ? {} : { ca: this.#ca }) };
  }
}

function isAuthenticationFailure(error: unknown): boolean {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && AUTHENTICATION_FAILED.has(code);
}

/** Why a check failed, in words an operator can act on; the endpoint first. */
function reasonOf(error: unknown, check: ConnectionCheck): string {
  const where = `${check.host}:${check.port}`;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code)) {
    return (
      `${where}: TLS verify-full refused the server certificate: ${message} (${code}); the probe trusts Node's CA store ` +
      'and NODE_EXTRA_CA_CERTS (in Lambda /var/runtime/ca-cert.pem holds the RDS CAs)'
    );
  }
  if (typeof code === 'string' && AUTHENTICATION_FAILED.has(code)) {
    return `${where}: ${message} (SQLSTATE ${code}; password from ${check.passwordFrom.kind})`;
  }
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `${where}: ${message} (SQLSTATE ${code})`;
  if (code === 'ECONNREFUSED') return `${where}: connection refused`;
  return `${where}: ${message}`;
}

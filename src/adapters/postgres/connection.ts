import pg from 'pg';
import type { GroupConfig, PostgresDatabaseConfig } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';

/** Reads a password from where `passwordFrom` says (tests may pass their own). */
export type PasswordLookup = (source: NonNullable<PostgresDatabaseConfig['passwordFrom']>) => Promise<string>;

/** The password in the environment variable `passwordFrom.env` names. */
export const passwordFromEnvironment: PasswordLookup = async (source) => {
  const value = process.env[source.env];
  if (value === undefined) throw new Error(`environment variable ${source.env} (passwordFrom.env) is not set`);
  return value;
};

/** Where a region's server listens and who we are there. */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly database: string;
}

const DEFAULT_PORT = 5432;

/**
 * The host, port, user and database of a `kind: postgres` configuration, from its url or its fields.
 *
 * @example
 * endpointOf({ kind: 'postgres', url: 'postgres://fcp@10.0.1.5:5433/app', connectTimeoutMs: 2000, promoteWaitSeconds: 60 });
 * // { host: '10.0.1.5', port: 5433, user: 'fcp', database: 'app' }
 */
export function endpointOf(config: PostgresDatabaseConfig): PostgresEndpoint {
  if (config.url !== undefined) {
    const url = new URL(config.url);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? DEFAULT_PORT : Number(url.port),
      ...(url.username === '' ? {} : { user: decodeURIComponent(url.username) }),
      database: database === '' ? 'postgres' : database,
    };
  }
  return {
    host: config.host ?? 'localhost',
    port: config.port ?? DEFAULT_PORT,
    ...(config.user === undefined ? {} : { user: config.user }),
    database: config.database ?? 'postgres',
  };
}

/**
 * The region of `group` whose server listens at `host:port` (loopback names count as one), or undefined.
 * A replica names its source by address; the topology rule needs it as a region.
 *
 * @example
 * regionAt(group, '10.0.1.5', 5432); // 'eu-west-1'
 */
export function regionAt(group: GroupConfig, host: string, port: number): RegionName | undefined {
  const wanted = canonicalHost(host);
  for (const [region, config] of Object.entries(group.regions)) {
    if (config.database.kind !== 'postgres') continue;
    const endpoint = endpointOf(config.database);
    if (endpoint.port === port && canonicalHost(endpoint.host) === wanted) return region;
  }
  return undefined;
}

function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  return lower === 'localhost' || lower === '::1' || lower.startsWith('127.') ? 'loopback' : lower;
}

/**
 * The host and port in a libpq `primary_conninfo` (`host=10.0.1.5 port=5432 user=replicator ...`), or undefined.
 *
 * @example
 * conninfoHostPort("host=10.0.1.5 port=5433 user=rep"); // { host: '10.0.1.5', port: 5433 }
 */
export function conninfoHostPort(conninfo: string): { host: string; port: number } | undefined {
  const fields = new Map<string, string>();
  for (const match of conninfo.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    const [, key, raw] = match;
    if (key !== undefined && raw !== undefined) fields.set(key, raw.replace(/^'|'$/g, '').replace(/\\(.)/g, '$1'));
  }
  const host = fields.get('host') ?? fields.get('hostaddr');
  if (host === undefined) return undefined;
  return { host, port: Number(fields.get('port') ?? DEFAULT_PORT) };
}

/** Where and how one call connects, and the context its errors carry. */
export interface CallTarget {
  readonly group: GroupConfig;
  readonly region: RegionName;
  readonly config: PostgresDatabaseConfig;
  readonly step?: string;
}

/**
 * Opens a connection to `target`, runs `work`, closes it. Connection and query time are bounded by the region's
 * `connectTimeoutMs` (`queryTimeoutMs` overrides the query bound, for pg_promote's wait).
 */
export async function withClient<T>(
  target: CallTarget,
  passwords: PasswordLookup,
  work: (client: pg.Client) => Promise<T>,
  queryTimeoutMs?: number,
): Promise<T> {
  const endpoint = endpointOf(target.config);
  const password = target.config.passwordFrom === undefined ? undefined : await passwords(target.config.passwordFrom);
  return withPgClient(
    {
      host: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      ...(endpoint.user === undefined ? {} : { user: endpoint.user }),
      ...(password === undefined ? {} : { password }),
      connectionTimeoutMillis: target.config.connectTimeoutMs,
      query_timeout: queryTimeoutMs ?? target.config.connectTimeoutMs,
    },
    work,
  );
}

/**
 * The one way the project opens a pg connection: connects with `options` (bound them with `connectionTimeoutMillis`
 * and `query_timeout`), runs `work`, and always closes the connection, whatever `work` did.
 *
 * @example
 * await withPgClient({ host: '127.0.0.1', port: 5432, user: 'fcp', database: 'app', connectionTimeoutMillis: 2_000 }, (client) => client.query('SELECT 1'));
 */
export async function withPgClient<T>(options: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ application_name: 'failover-control-plane', ...options });
  // A server that dies mid-call emits 'error' on the client; the pending query rejects with it too.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SQLSTATEs and socket errors that mean "cannot reach the server now", not "the request is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery without hot standby
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * True when `error` says the server cannot be reached now: refused, reset, timed out, shutting down.
 *
 * @example
 * isUnreachable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // true
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  return /timeout|timed out|Connection terminated|connection ended|Client has encountered a connection error/i.test(error.message);
}

const FATAL_CODES = new Set(['28P01', '28000', '42501', '3D000']);

/**
 * Turns a pg error into the project's: bad credentials, missing privilege or database → FatalStepError (no retry
 * helps, the message says what to fix); anything else → RetryableStepError. The SQLSTATE stays in the message.
 */
export function stepErrorOf(error: unknown, target: CallTarget, action: string): Error {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  const endpoint = endpointOf(target.config);
  const where = `group ${target.group.id} region ${target.region}: ${action} on postgres ${endpoint.host}:${endpoint.port}`;
  const message = error instanceof Error ? error.message : String(error);
  const context = { groupId: target.group.id, region: target.region, ...(target.step === undefined ? {} : { step: target.step }), cause: error };
  if (typeof code === 'string' && FATAL_CODES.has(code)) {
    return new FatalStepError(`${where} failed (${code}): ${message}; check the user, its password source and its privileges`, context);
  }
  return new RetryableStepError(`${where} failed${typeof code === 'string' ? ` (${code})` : ''}: ${message}`, context);
}

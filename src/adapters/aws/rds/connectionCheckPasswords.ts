import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConnectionCheck } from '../../../domain/group.js';
import type { RegionName } from '../../../domain/types.js';

/** A connection check's password, and whether it came from the cache (then a refused login is worth one fresh try). */
export interface CheckPassword {
  readonly password: string;
  readonly cached: boolean;
}

/** Where the connection check finds the password `passwordFrom` names. */
export interface ConnectionCheckPasswords {
  /** The password for `check` of `region`; rejects with the reason (a missing variable, a secret without one). */
  passwordFor(check: ConnectionCheck, region: RegionName, signal: AbortSignal): Promise<CheckPassword>;
  /** Drops the cached password for `check`: the server refused it (a rotated secret, an expired token). */
  forget(check: ConnectionCheck, region: RegionName): void;
}

/** What an RDS IAM authentication token is made for: the endpoint, the login, the database's region. */
export interface IamTokenTarget {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: RegionName;
}

export interface ConnectionCheckPasswordOptions {
  /** The Secrets Manager client of a secret's region (the region in its ARN). */
  readonly secretsManager: (region: string) => SecretsManagerClient;
  /** Makes an RDS IAM authentication token (`@aws-sdk/rds-signer` with the probe's credentials). */
  readonly iamToken: (target: IamTokenTarget) => Promise<string>;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** How long a secret's value is reused before it is read again; default 5 minutes. */
  readonly secretTtlMs?: number;
  /** How long an IAM token is reused; default 10 minutes, well inside its 15-minute life. */
  readonly iamTokenTtlMs?: number;
}

export const SECRET_TTL_MS = 5 * 60_000;
/** RDS accepts a token for 15 minutes after it was signed; reusing it for 10 leaves a check's worth of margin. */
export const IAM_TOKEN_TTL_MS = 10 * 60_000;

/**
 * The three password sources of `connectionCheck.passwordFrom`: the probe's environment variable (read every time),
 * a Secrets Manager secret (a plain string, or JSON with a `password` key as RDS-managed secrets have; cached for
 * `secretTtlMs`), or an RDS IAM token (cached for `iamTokenTtlMs`). Every read honours `signal`, so a slow Secrets
 * Manager counts inside the check's timeout.
 *
 * @example
 * const passwords = new ConnectionCheckPasswordSources({ secretsManager: (region) => new SecretsManagerClient({ region }), iamToken });
 * await passwords.passwordFor(check, 'eu-west-1', AbortSignal.timeout(3_000)); // { password: '...', cached: false }
 */
export class ConnectionCheckPasswordSources implements ConnectionCheckPasswords {
  readonly #options: ConnectionCheckPasswordOptions;
  readonly #cache = new Map<string, { readonly password: string; readonly expiresAt: number }>();

  constructor(options: ConnectionCheckPasswordOptions) {
    this.#options = options;
  }

  async passwordFor(check: ConnectionCheck, region: RegionName, signal: AbortSignal): Promise<CheckPassword> {
    const source = check.passwordFrom;
    if (source.kind === 'environment') {
      const value = (this.#options.env ?? process.env)[source.variable];
      if (value === undefined) throw new Error(`environment variable ${source.variable} (passwordFrom.variable) is not set in the probe function`);
      return { password: value, cached: false };
    }
    const key = cacheKey(check, region);
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.expiresAt > now) return { password: hit.password, cached: true };
    const password =
      source.kind === 'secrets-manager'
        ? await this.#readSecret(source.secretArn, signal)
        : await this.#makeIamToken({ hostname: check.host, port: check.port, username: check.user, region }, signal);
    const ttl = source.kind === 'secrets-manager' ? (this.#options.secretTtlMs ?? SECRET_TTL_MS) : (this.#options.iamTokenTtlMs ?? IAM_TOKEN_TTL_MS);
    this.#cache.set(key, { password, expiresAt: now + ttl });
    return { password, cached: false };
  }

  forget(check: ConnectionCheck, region: RegionName): void {
    this.#cache.delete(cacheKey(check, region));
  }

  async #readSecret(secretArn: string, signal: AbortSignal): Promise<string> {
    const region = secretArn.split(':')[3] ?? '';
    let answer;
    try {
      answer = await this.#options.secretsManager(region).send(new GetSecretValueCommand({ SecretId: secretArn }), { abortSignal: signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new Error(`cannot read secret ${secretArn} (passwordFrom.secretArn): ${messageOf(error)}`, { cause: error });
    }
    const text = answer.SecretString;
    if (text === undefined) throw new Error(`secret ${secretArn} (passwordFrom.secretArn) has no string value`);
    return passwordInSecret(text, secretArn);
  }

  async #makeIamToken(target: IamTokenTarget, signal: AbortSignal): Promise<string> {
    try {
      return await untilAborted(this.#options.iamToken(target), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const who = `${target.username}@${target.hostname}:${target.port} in ${target.region}`;
      throw new Error(`cannot make an RDS IAM token for ${who} (passwordFrom rds-iam): ${messageOf(error)}`, { cause: error });
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

/**
 * The password in a secret's string: the `password` of a JSON object (RDS-managed secrets), else the string itself.
 *
 * @example
 * passwordInSecret('{"username":"fcp_probe","password":"s3cret"}', arn); // 's3cret'
 * passwordInSecret('s3cret', arn); // 's3cret'
 */
export function passwordInSecret(text: string, secretArn: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return text;
  const password = (parsed as { password?: unknown }).password;
  if (typeof password !== 'string') throw new Error(`secret ${secretArn} (passwordFrom.secretArn) is JSON without a string "password" key`);
  return password;
}

function cacheKey(check: ConnectionCheck, region: RegionName): string {
  const source = check.passwordFrom;
  return source.kind === 'secrets-manager' ? `secret ${source.secretArn}` : `iam ${region} ${check.host}:${check.port} ${check.user}`;
}

/**
 * `work`, or the signal's reason as soon as the signal aborts; `work` itself is left to end on its own bounds (a local
 * signing, a pg connection with its own timeouts), its late failure swallowed.
 *
 * @example
 * await untilAborted(signer.getAuthToken(), AbortSignal.timeout(3_000));
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { RetryableStepError } from '../../domain/errors.js';
import { AWS_CONNECTION_TIMEOUT_MS, AWS_MAX_ATTEMPTS, AWS_REQUEST_TIMEOUT_MS } from '../../domain/timing.js';
import type { EffectOptions } from '../../ports/EffectOptions.js';

/**
 * Shared settings for the SDK clients of the effect adapters.
 *
 * - `retryMode: 'adaptive'` retries throttling, 5xx and transient network errors with exponential backoff and a
 *   client-side rate limiter, so a throttled control plane slows down instead of failing a step.
 * - `maxAttempts: 3` bounds that: what still fails after three attempts reaches `errors.ts` and becomes a
 *   `RetryableStepError` that the executor retries on its own schedule (`policy.maxStepAttempts`).
 * - Short socket timeouts: a region in an outage must answer "unreachable" within a probe interval, not hang
 *   the Lambda until its own timeout.
 * - `credentials`: a Lambda passes its one provider (`fromEnv()`: the role's keys in the environment); without it the
 *   SDK's default chain runs, which a CLI on a laptop needs (profiles, SSO) and a Lambda bundle does not carry.
 */
export interface AwsClientConfig {
  readonly region: string;
  readonly maxAttempts: number;
  readonly retryMode: 'adaptive' | 'standard';
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    /** Without it the SDK's HTTP handler only logs a warning when `requestTimeout` passes, and keeps waiting. */
    readonly throwOnRequestTimeout: boolean;
  };
  readonly credentials?: AwsCredentialIdentityProvider;
}

export const DEFAULT_MAX_ATTEMPTS = AWS_MAX_ATTEMPTS;
export const DEFAULT_CONNECTION_TIMEOUT_MS = AWS_CONNECTION_TIMEOUT_MS;
export const DEFAULT_REQUEST_TIMEOUT_MS = AWS_REQUEST_TIMEOUT_MS;

/**
 * Configuration for an SDK client in `region`, for example `new RDSClient(clientConfig('eu-west-1'))`.
 *
 * @example
 * const rdsFor = (region: string) => new RDSClient(clientConfig(region));
 * const database = new AwsDatabase({ rds: rdsFor, cloudWatch: (region) => new CloudWatchClient(clientConfig(region)) });
 * new DynamoDBClient(clientConfig('us-west-2', { credentials: fromEnv() })); // in a Lambda
 */
export function clientConfig(region: string, overrides: Partial<Omit<AwsClientConfig, 'region'>> = {}): AwsClientConfig {
  return {
    region,
    maxAttempts: overrides.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: overrides.retryMode ?? 'adaptive',
    requestHandler: overrides.requestHandler ?? {
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(overrides.credentials === undefined ? {} : { credentials: overrides.credentials }),
  };
}

/**
 * Wraps a client factory so each region's client is built once and reused (SDK clients hold connection pools).
 *
 * @example
 * const rdsFor = perRegion((region) => new RDSClient(clientConfig(region)));
 * rdsFor('eu-west-1') === rdsFor('eu-west-1'); // true
 */
export function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const clients = new Map<string, T>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
}

/**
 * The SDK's per-call options for an effect: its abort signal, so a call (and the SDK's retries of it) still running
 * when the caller's lease is about to end is abandoned.
 *
 * @example
 * await rds.send(new StopDBInstanceCommand(input), sendOptions(effect));
 */
export function sendOptions(effect: EffectOptions | undefined): { abortSignal?: AbortSignal } {
  return effect?.signal === undefined ? {} : { abortSignal: effect.signal };
}

/**
 * Throws before an effect's write call when its time is already up, and after a failed call when the failure was the
 * effect's own abort: that is the caller's deadline, not evidence about the region (never `unreachable`).
 *
 * @example
 * abandonedIfAborted(effect, { groupId: group.id, region, step: 'fencing' });
 */
export function abandonedIfAborted(
  effect: EffectOptions | undefined,
  context: { groupId?: string; region?: string; step?: string },
  cause?: unknown,
): void {
  if (effect?.signal?.aborted !== true) return;
  throw new RetryableStepError(
    `abandoned: the effect's deadline passed before it was confirmed (the lease it ran under is ending)`,
    { ...context, cause: cause ?? effect.signal.reason },
  );
}

import { FatalStepError, RetryableStepError } from '../../domain/errors.js';

/**
 * Turns AWS SDK exceptions into the core's errors. The SDK's own retry strategy (see `clientConfig.ts`) has already
 * retried throttling, 5xx and transient network errors by the time an error reaches this mapping, so what arrives
 * here is either final (not found, access denied), a state the next step attempt may find changed (instance in
 * transition, Route 53 change in flight, still throttled), or something the adapter does not understand (rethrown).
 */

/** What an adapter was doing when a call failed: the IAM action and the resource it was called on. */
export interface AwsCallContext {
  /** IAM action, e.g. `rds:PromoteReadReplica`. */
  readonly action: string;
  /** The resource the action was called on: an ARN where one is known, else an id. */
  readonly resource: string;
  readonly groupId?: string;
  readonly region?: string;
  readonly step?: string;
}

const NOT_FOUND = new Set([
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'DBParameterGroupNotFound',
  'DBParameterGroupNotFoundFault',
  'GlobalClusterNotFoundFault',
  'NoSuchHostedZone',
  'NoSuchChange',
  'NotFound',
  'NotFoundException',
  'ResourceNotFound',
  'ResourceNotFoundException',
]);

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedOperation',
]);

const IN_TRANSITION = new Set([
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
  'InvalidDBClusterStateFault',
  'InvalidGlobalClusterStateFault',
  'PriorRequestNotComplete',
]);

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);

/** Node socket and DNS error codes that mean "could not talk to the regional endpoint". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

/** The error's AWS code: the SDK exception name, or the wire `Code` for errors the SDK does not model. */
function codesOf(error: unknown): string[] {
  const shape = shapeOf(error);
  return [shape.name, shape.Code, shape.code].filter((value): value is string => typeof value === 'string');
}

function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  return codesOf(error).some((code) => codes.has(code));
}

/**
 * True when the error means the regional endpoint could not be reached or did not answer: a socket or DNS failure,
 * a request timeout, or a 5xx that outlived the SDK's retries. A region in an outage looks like this.
 *
 * @example
 * if (isUnreachableError(error)) return { region, role: 'unknown', status: 'unreachable', writable: false };
 */
export function isUnreachableError(error: unknown): boolean {
  const shape = shapeOf(error);
  if (hasCode(error, NETWORK_NAMES) || hasCode(error, NETWORK_CODES)) return true;
  const cause = shapeOf((error as { cause?: unknown } | undefined)?.cause);
  if (typeof cause.code === 'string' && NETWORK_CODES.has(cause.code)) return true;
  const status = shape.$metadata?.httpStatusCode;
  return shape.$fault === 'server' || (status !== undefined && status >= 500);
}

/**
 * True when the SDK error says the resource does not exist (`DBInstanceNotFound`, `GlobalClusterNotFoundFault`...).
 *
 * @example
 * if (isNotFoundError(error)) return { region, role: 'unknown', status: 'not-found', writable: false };
 */
export function isNotFoundError(error: unknown): boolean {
  return hasCode(error, NOT_FOUND);
}

/**
 * True when the SDK error says the caller's role may not make the call (`AccessDenied`, `UnauthorizedOperation`...).
 *
 * @example
 * if (isAccessDeniedError(error)) return describeOneByOne(); // the role allows the named resources only
 */
export function isAccessDeniedError(error: unknown): boolean {
  return hasCode(error, ACCESS_DENIED);
}

function describeCause(error: unknown): string {
  const shape = shapeOf(error);
  const name = codesOf(error)[0] ?? 'Error';
  return typeof shape.message === 'string' && shape.message.length > 0 ? `${name}: ${shape.message}` : name;
}

/**
 * Maps an SDK error to `FatalStepError` (not found, access denied) or `RetryableStepError` (state in transition,
 * throttled past the SDK's retries, endpoint unreachable); rethrows anything else unchanged.
 *
 * @example
 * try {
 *   await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'app-eu' }));
 * } catch (error) {
 *   throwMapped(error, { action: 'rds:PromoteReadReplica', resource: 'arn:aws:rds:eu-west-1:123456789012:db:app-eu' });
 * }
 */
export function throwMapped(error: unknown, context: AwsCallContext): never {
  const where = `${context.action} on ${context.resource}`;
  const errorContext = { groupId: context.groupId, region: context.region, step: context.step, cause: error };
  if (hasCode(error, ACCESS_DENIED)) {
    throw new FatalStepError(
      `access denied: ${where} (${describeCause(error)}); grant ${context.action} to the control plane's role`,
      errorContext,
    );
  }
  if (hasCode(error, NOT_FOUND)) {
    throw new FatalStepError(
      `not found: ${where} (${describeCause(error)}); check the group's configuration`,
      errorContext,
    );
  }
  if (hasCode(error, IN_TRANSITION)) {
    throw new RetryableStepError(`in transition: ${where} (${describeCause(error)})`, errorContext);
  }
  if (hasCode(error, THROTTLED)) {
    throw new RetryableStepError(`throttled past the SDK's retries: ${where} (${describeCause(error)})`, errorContext);
  }
  if (isUnreachableError(error)) {
    throw new RetryableStepError(`unreachable: ${where} (${describeCause(error)})`, errorContext);
  }
  throw error;
}

/**
 * Runs one SDK call and maps its failure with `throwMapped`.
 *
 * @example
 * const out = await mapAwsErrors({ action: 'sns:Publish', resource: topicArn }, () => sns.send(command));
 */
export async function mapAwsErrors<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throwMapped(error, context);
  }
}

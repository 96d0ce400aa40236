import { DBInstanceNotFoundFault, InvalidDBInstanceStateFault } from '@aws-sdk/client-rds';
import { NoSuchHostedZone, PriorRequestNotComplete } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { isUnreachableError, mapAwsErrors, throwMapped } from '../../../src/adapters/aws/errors.js';
import { clientConfig, perRegion } from '../../../src/adapters/aws/clientConfig.js';
import { FatalStepError, RetryableStepError } from '../../../src/domain/errors.js';
import { PRIMARY_INSTANCE_ARN, awsError, networkError } from './fixtures.js';

const promoteContext = {
  action: 'rds:PromoteReadReplica',
  resource: PRIMARY_INSTANCE_ARN,
  groupId: 'orders',
  region: 'eu-west-1',
  step: 'promoting',
};

function caught(error: unknown): unknown {
  try {
    throwMapped(error, promoteContext);
  } catch (mapped) {
    return mapped;
  }
  throw new Error('throwMapped returned');
}

describe('throwMapped', () => {
  it.each(['AccessDenied', 'AccessDeniedException', 'AuthorizationError'])(
    'turns %s into a fatal error naming the IAM action and the resource',
    (code) => {
      // Prepare
      const error = awsError(code, 403);

      // Act
      const mapped = caught(error);

      // Assess
      expect(mapped).toBeInstanceOf(FatalStepError);
      expect((mapped as FatalStepError).message).toContain(`rds:PromoteReadReplica on ${PRIMARY_INSTANCE_ARN}`);
      expect((mapped as FatalStepError).message).toContain('access denied');
      expect((mapped as FatalStepError).cause).toBe(error);
      expect(mapped).toMatchObject({ groupId: 'orders', region: 'eu-west-1', step: 'promoting' });
    },
  );

  it.each(['DBInstanceNotFound', 'GlobalClusterNotFoundFault', 'NotFound', 'NoSuchHostedZone'])(
    'turns %s into a fatal not-found error naming the resource',
    (code) => {
      // Prepare
      const error = awsError(code, 404);

      // Act
      const mapped = caught(error);

      // Assess
      expect(mapped).toBeInstanceOf(FatalStepError);
      expect((mapped as FatalStepError).message).toMatch(/^not found: rds:PromoteReadReplica on arn:aws:rds:/);
    },
  );

  it('recognises the SDK exception classes by their names', () => {
    // Prepare
    const metadata = { $metadata: { httpStatusCode: 404 }, message: 'DBInstance orders-eu-west not found.' };
    const notFound = new DBInstanceNotFoundFault(metadata);
    const zoneMissing = new NoSuchHostedZone(metadata);
    const inTransition = new InvalidDBInstanceStateFault({ ...metadata, $metadata: { httpStatusCode: 400 } });
    const priorRequest = new PriorRequestNotComplete({ ...metadata, $metadata: { httpStatusCode: 400 } });

    // Act
    const mapped = [notFound, zoneMissing, inTransition, priorRequest].map(caught);

    // Assess
    expect(mapped.map((error) => (error as Error).name)).toEqual([
      'FatalStepError',
      'FatalStepError',
      'RetryableStepError',
      'RetryableStepError',
    ]);
    expect((mapped[0] as Error).message).toContain('DBInstanceNotFoundFault: DBInstance orders-eu-west not found.');
  });

  it.each(['InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'PriorRequestNotComplete'])(
    'turns %s into a retryable error',
    (code) => {
      // Prepare
      const error = awsError(code);

      // Act
      const mapped = caught(error);

      // Assess
      expect(mapped).toBeInstanceOf(RetryableStepError);
      expect((mapped as RetryableStepError).message).toContain('in transition');
    },
  );

  it('turns throttling that outlived the SDK retries into a retryable error', () => {
    // Prepare
    const error = awsError('Throttling', 400);

    // Act
    const mapped = caught(error);

    // Assess
    expect(mapped).toBeInstanceOf(RetryableStepError);
  });

  it('turns an unreachable endpoint into a retryable error', () => {
    // Prepare
    const error = networkError('ETIMEDOUT');

    // Act
    const mapped = caught(error);

    // Assess
    expect(mapped).toBeInstanceOf(RetryableStepError);
    expect((mapped as Error).message).toContain('unreachable');
  });

  it('rethrows an error it does not understand unchanged', () => {
    // Prepare
    const error = awsError('InvalidParameterCombination');

    // Act
    const mapped = caught(error);

    // Assess
    expect(mapped).toBe(error);
  });
});

describe('mapAwsErrors', () => {
  it('passes a successful call result through', async () => {
    // Prepare
    const call = async () => 'promoted';

    // Act
    const result = await mapAwsErrors(promoteContext, call);

    // Assess
    expect(result).toBe('promoted');
  });

  it('maps a failed call', async () => {
    // Prepare
    const call = async () => {
      throw awsError('AccessDenied', 403);
    };

    // Act
    const outcome = mapAwsErrors(promoteContext, call);

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
  });
});

describe('isUnreachableError', () => {
  it.each([
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a DNS failure', networkError('ENOTFOUND')],
    ['a request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a 503 after retries', awsError('ServiceUnavailable', 503)],
    ['a wrapped socket error', Object.assign(new Error('socket'), { cause: networkError('ECONNRESET') })],
  ])('is true for %s', (_label, error) => {
    // Act
    const unreachable = isUnreachableError(error);

    // Assess
    expect(unreachable).toBe(true);
  });

  it('is false for a client error', () => {
    // Act
    const unreachable = isUnreachableError(awsError('AccessDenied', 403));

    // Assess
    expect(unreachable).toBe(false);
  });
});

describe('clientConfig', () => {
  it('configures adaptive retries, bounded attempts and short socket timeouts', () => {
    // Act
    const config = clientConfig('eu-west-1');

    // Assess
    expect(config).toEqual({
      region: 'eu-west-1',
      maxAttempts: 3,
      retryMode: 'adaptive',
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    });
  });

  it('builds one client per region and reuses it', () => {
    // Prepare
    const created: string[] = [];
    const clientFor = perRegion((region) => {
      created.push(region);
      return { region };
    });

    // Act
    const first = clientFor('eu-west-1');
    const again = clientFor('eu-west-1');
    clientFor('eu-central-1');

    // Assess
    expect(again).toBe(first);
    expect(created).toEqual(['eu-west-1', 'eu-central-1']);
  });
});

import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import { clientConfig } from '../../../src/adapters/aws/clientConfig.js';
import { AwsDatabase } from '../../../src/adapters/aws/database.js';
import { FatalStepError, RetryableStepError } from '../../../src/domain/errors.js';
import { PRIMARY, SECONDARY, SECONDARY_INSTANCE_ARN, instantClock, rdsGroup } from './fixtures.js';

/**
 * The mapping in errors.ts relies on how the real SDK names its errors. These tests point real clients (with
 * fake credentials) at servers on 127.0.0.1 that answer like the RDS Query API, or not at all.
 */

const servers: Server[] = [];
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };

async function listen(handler: (response: ServerResponse) => void): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => handler(response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function rdsError(status: number, code: string, message: string) {
  return (response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'text/xml' });
    response.end(
      `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>` +
        `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
    );
  };
}

function databaseAt(endpoint: string): AwsDatabase {
  const config = (region: string) => ({
    ...clientConfig(region, {
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 300, requestTimeout: 300, throwOnRequestTimeout: true },
    }),
    endpoint,
    credentials,
  });
  return new AwsDatabase({
    rds: (region) => new RDSClient(config(region)),
    cloudWatch: (region) => new CloudWatchClient(config(region)),
    clock: instantClock(),
  });
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('AwsDatabase with real SDK clients', () => {
  it('describes a region whose endpoint refuses connections as unreachable', async () => {
    // Prepare
    const endpoint = await closedEndpoint();

    // Act
    const state = await databaseAt(endpoint).describe(rdsGroup, PRIMARY);

    // Assess
    expect(state).toEqual({ region: PRIMARY, role: 'unknown', status: 'unreachable', writable: false });
  });

  it('describes a region whose endpoint never answers as unreachable once the request timeout passes', async () => {
    // Prepare
    const endpoint = await listen(() => undefined);

    // Act
    const state = await databaseAt(endpoint).describe(rdsGroup, PRIMARY);

    // Assess
    expect(state.status).toBe('unreachable');
  });

  it('describes a region whose endpoint answers 503 as unreachable', async () => {
    // Prepare
    const endpoint = await listen(rdsError(503, 'ServiceUnavailable', 'Service unavailable'));

    // Act
    const state = await databaseAt(endpoint).describe(rdsGroup, PRIMARY);

    // Assess
    expect(state.status).toBe('unreachable');
  });

  it('turns the real DBInstanceNotFound answer into status not-found when describing', async () => {
    // Prepare
    const endpoint = await listen(rdsError(404, 'DBInstanceNotFound', 'DBInstance orders-eu-central not found.'));

    // Act
    const state = await databaseAt(endpoint).describe(rdsGroup, SECONDARY);

    // Assess
    expect(state).toEqual({ region: SECONDARY, role: 'unknown', status: 'not-found', writable: false });
  });

  it('turns the real DBInstanceNotFound answer into a fatal error naming the instance ARN when promoting', async () => {
    // Prepare
    const endpoint = await listen(rdsError(404, 'DBInstanceNotFound', 'DBInstance orders-eu-central not found.'));

    // Act
    const outcome = databaseAt(endpoint).promote(rdsGroup, SECONDARY, { failoverId: 'f-1', planned: false, allowDataLoss: true, fromRegion: PRIMARY });

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(`not found: rds:DescribeDBInstances on ${SECONDARY_INSTANCE_ARN}`);
  });

  it('turns the real AccessDenied answer into a fatal error naming the IAM action', async () => {
    // Prepare
    const endpoint = await listen(rdsError(403, 'AccessDenied', 'User is not authorized to perform rds:DescribeDBInstances'));

    // Act
    const outcome = databaseAt(endpoint).promote(rdsGroup, SECONDARY, {
      failoverId: 'f-1',
      planned: false,
      allowDataLoss: true,
      fromRegion: PRIMARY,
    });

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(`access denied: rds:DescribeDBInstances on ${SECONDARY_INSTANCE_ARN}`);
  });

  it('turns the real InvalidDBInstanceState answer into a retryable error', async () => {
    // Prepare
    const endpoint = await listen(rdsError(400, 'InvalidDBInstanceState', 'Instance is not available.'));

    // Act
    const outcome = databaseAt(endpoint).promote(rdsGroup, SECONDARY, {
      failoverId: 'f-1',
      planned: false,
      allowDataLoss: true,
      fromRegion: PRIMARY,
    });

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { createOperatorHandler } from '../../handlers/operator.js';
import { inMemoryWorld, probeRound, REPLICA } from '../application/harness.js';
import { captureOutput, lambdaContext } from './support.js';

const ALICE = 'arn:aws:iam::123456789012:user/alice';

let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

/** An HTTP API (payload 2.0) event for the route `routeKey`, as API Gateway sends it after IAM authorization. */
function apiEvent(options: {
  method?: string;
  path: string;
  routeKey?: string;
  sourceIdentity?: string;
  body?: string;
  base64?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  userArn?: string;
}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const iam = { accessKey: 'ASIA', accountId: '123456789012', callerId: 'AIDA', cognitoIdentity: null, principalOrgId: null, userArn: options.userArn, userId: 'AIDA' };
  const authorizer = options.userArn === undefined
    ? undefined
    : { iam: { ...iam, ...(options.sourceIdentity === undefined ? {} : { sourceIdentity: options.sourceIdentity }) } };
  const routeKey = options.routeKey ?? `${options.method ?? 'GET'} ${options.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: options.path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.headers ?? {},
    queryStringParameters: options.query,
    body: options.body,
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.us-west-2.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method: options.method ?? 'GET', path: options.path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'fcp' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '21/Nov/2026:03:00:00 +0000',
      timeEpoch: 0,
      ...(authorizer === undefined ? {} : { authorizer }),
    },
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}

async function setup() {
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
  let loads = 0;
  const handler = createOperatorHandler({
    load: async () => {
      loads += 1;
      return world.deps;
    },
    logger: new Logger({ serviceName: 'test' }),
  });
  return { ...world, handler, loads: () => loads };
}

describe('operator handler', () => {
  it('answers 403 when the route passes no IAM identity (deployed without IAM authorization)', async () => {
    // Prepare
    const { handler, deps } = await setup();

    // Act
    const result = await handler(
      apiEvent({ method: 'POST', path: '/groups/orders/commands/pause', body: '{"reason":"x"}', headers: { 'idempotency-key': 'key-00000001' } }),
      lambdaContext(30_000),
    );

    // Assess
    expect(result.statusCode).toBe(403);
    expect(deps.commands.calls.enqueue).toBe(0);
  });

  it('runs a command as the signing principal, with the idempotency key from the headers, inline for at most 20 s', async () => {
    // Prepare
    const { handler, deps } = await setup();
    const body = JSON.stringify({ targetRegion: REPLICA, reason: 'eu-west-1 degraded' });

    // Act
    const result = await handler(
      apiEvent({ method: 'POST', path: '/groups/orders/commands/failover', body, headers: { 'idempotency-key': 'key-00000002' }, userArn: ALICE }),
      lambdaContext(30_000, 'req-42'),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body as string)).toMatchObject({
      state: 'failingOver.awaitingPromotion',
      command: { id: 'key-00000002', principalArn: ALICE, status: 'accepted' },
      failover: { to: REPLICA },
      waitingFor: expect.stringContaining('waiting for a writable primary'),
    });
    expect((await deps.commands.get('orders', 'key-00000002'))?.principalArn).toBe(ALICE);
    expect(output.logs()).toContainEqual(expect.objectContaining({ message: 'operator request', principalArn: ALICE, status: 200 }));
  });

  it('records the STS source identity of the session beside the full ARN', async () => {
    // Prepare
    const { handler, deps } = await setup();
    const session = 'arn:aws:sts::123456789012:assumed-role/oncall/bob-laptop';

    // Act
    const result = await handler(
      apiEvent({ method: 'POST', path: '/groups/orders/commands/pause', body: '{"reason":"maintenance"}', headers: { 'idempotency-key': 'key-00000005' }, userArn: session, sourceIdentity: 'bob' }),
      lambdaContext(30_000),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect((await deps.commands.get('orders', 'key-00000005'))?.principalArn).toBe(`${session} (source identity bob)`);
  });

  it('decodes a base64 body and passes the query string', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const plan = await handler(apiEvent({ path: '/groups/orders/plan', query: { command: 'failover', targetRegion: REPLICA }, userArn: ALICE }), lambdaContext(30_000));
    const paused = await handler(
      apiEvent({
        method: 'POST',
        path: '/groups/orders/commands/pause',
        body: Buffer.from('{"reason":"maintenance"}').toString('base64'),
        base64: true,
        headers: { 'Idempotency-Key': 'key-00000003' },
        userArn: ALICE,
      }),
      lambdaContext(30_000),
    );

    // Assess
    expect(JSON.parse(plan.body as string)).toMatchObject({ command: { decision: 'accept', failover: { to: REPLICA } } });
    expect(paused.statusCode).toBe(200);
  });

  it('answers 400 naming the body when it is not JSON', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const result = await handler(
      apiEvent({ method: 'POST', path: '/groups/orders/commands/pause', body: '{type: pause', headers: { 'idempotency-key': 'key-00000004' }, userArn: ALICE }),
      lambdaContext(30_000),
    );

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body as string).error.issues[0]).toMatch(/^body: /);
  });

  it('answers 500 with the request id and logs the error when the stores fail, and builds its dependencies once', async () => {
    // Prepare
    const { handler, deps, loads } = await setup();
    deps.stateStore.failNext('load', new Error('DynamoDB throttled'));
    await handler(apiEvent({ path: '/groups/orders', userArn: ALICE }), lambdaContext(30_000));
    deps.stateStore.failNext('load', new Error('DynamoDB throttled'));

    // Act
    const result = await handler(apiEvent({ path: '/groups/orders', userArn: ALICE }), lambdaContext(30_000, 'req-500'));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body as string)).toEqual({ error: { code: 'internal', message: 'Error: DynamoDB throttled', requestId: 'req-500' } });
    expect(output.logs()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'operator request failed' }));
    expect(loads()).toBe(1);
  });
});

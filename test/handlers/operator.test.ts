import { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
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

function urlEvent(options: {
  method?: string;
  path: string;
  body?: string;
  base64?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  userArn?: string;
}): LambdaFunctionURLEventWithIAMAuthorizer {
  const authorizer = options.userArn === undefined
    ? undefined
    : { iam: { accessKey: 'ASIA', accountId: '123456789012', callerId: 'AIDA', cognitoIdentity: null, principalOrgId: null, userArn: options.userArn, userId: 'AIDA' } };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.headers ?? {},
    queryStringParameters: options.query,
    body: options.body,
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'url-id',
      domainName: 'abc.lambda-url.us-west-2.on.aws',
      domainPrefix: 'abc',
      http: { method: options.method ?? 'GET', path: options.path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'fcp' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:03:00:00 +0000',
      timeEpoch: 0,
      ...(authorizer === undefined ? {} : { authorizer }),
    },
  } as unknown as LambdaFunctionURLEventWithIAMAuthorizer;
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
  it('answers 403 when the function URL passes no IAM identity', async () => {
    // Prepare
    const { handler, deps } = await setup();

    // Act
    const result = await handler(
      urlEvent({ method: 'POST', path: '/groups/orders/commands', body: '{"type":"pause","reason":"x"}', headers: { 'idempotency-key': 'key-00000001' } }),
      lambdaContext(30_000),
    );

    // Assess
    expect(result.statusCode).toBe(403);
    expect(deps.commands.calls.enqueue).toBe(0);
  });

  it('runs a command as the signing principal, with the idempotency key from the headers, inline for at most 20 s', async () => {
    // Prepare
    const { handler, deps } = await setup();
    const body = JSON.stringify({ type: 'failover', targetRegion: REPLICA, reason: 'eu-west-1 degraded' });

    // Act
    const result = await handler(
      urlEvent({ method: 'POST', path: '/groups/orders/commands', body, headers: { 'idempotency-key': 'key-00000002' }, userArn: ALICE }),
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

  it('decodes a base64 body and passes the query string', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const plan = await handler(urlEvent({ path: '/groups/orders/plan', query: { command: 'failover', targetRegion: REPLICA }, userArn: ALICE }), lambdaContext(30_000));
    const paused = await handler(
      urlEvent({
        method: 'POST',
        path: '/groups/orders/commands',
        body: Buffer.from('{"type":"pause","reason":"maintenance"}').toString('base64'),
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
      urlEvent({ method: 'POST', path: '/groups/orders/commands', body: '{type: pause', headers: { 'idempotency-key': 'key-00000004' }, userArn: ALICE }),
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
    await handler(urlEvent({ path: '/groups/orders/status', userArn: ALICE }), lambdaContext(30_000));
    deps.stateStore.failNext('load', new Error('DynamoDB throttled'));

    // Act
    const result = await handler(urlEvent({ path: '/groups/orders/status', userArn: ALICE }), lambdaContext(30_000, 'req-500'));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body as string)).toEqual({ error: { code: 'internal', message: 'Error: DynamoDB throttled', requestId: 'req-500' } });
    expect(output.logs()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'operator request failed' }));
    expect(loads()).toBe(1);
  });
});

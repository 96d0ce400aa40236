import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createOperatorHandler } from '../../handlers/operator.js';
import type { OperatorDeps } from '../../src/application/operatorApi.js';
import type { DrillProgress } from '../../src/application/stagingDrills.js';
import { ManualClock } from '../../src/adapters/sim/ManualClock.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import { DynamoDbDrillReportStore } from '../../src/adapters/aws/dynamodb/index.js';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/drill/dynamodbLocal.js';
import type { StoredDrill } from '../../src/ports/DrillReportStore.js';
import { InMemoryDrillReportStore } from '../doubles/InMemoryDrillReportStore.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { inMemoryWorld, PRIMARY, REPLICA, T0 } from '../application/harness.js';
import { captureOutput, lambdaContext } from '../handlers/support.js';

const PRINCIPAL = 'arn:aws:iam::123456789012:user/drill-lead';
const SESSION = 'arn:aws:sts::123456789012:assumed-role/drill-runner/lead-session';
const clients: { destroy(): void }[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

async function tableOnLocal(name: string) {
  const stores = createDynamoDbStores({ tableName: name, endpoint: inject('dynamodbEndpoint'), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  clients.push(stores.client);
  await createTable(stores.client, name);
  return stores;
}

/** An HTTP API (payload 2.0) event as API Gateway sends it after IAM authorization, signed by a role session with a source identity. */
function signedEvent(method: 'GET' | 'POST', path: string, options: { body?: unknown; key?: string } = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: options.key === undefined ? {} : { 'idempotency-key': options.key },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'fcp' },
      requestId: 'request-1',
      stage: '$default',
      authorizer: { iam: { userArn: SESSION, sourceIdentity: 'lead@example.com' } },
    },
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}

describe('a staging drill through the operator handler on DynamoDB Local', () => {
  it('injects a fault the probes honour until it expires, recorded with the signer and source identity; a stop clears it and keeps the outcome', async () => {
    // Prepare
    const stores = await tableOnLocal('drill-through-handler');
    const world = inMemoryWorld();
    const clock = new ManualClock(T0);
    const drills = new DynamoDbDrillReportStore(stores.client, 'drill-through-handler');
    const deps: OperatorDeps = {
      ...world.deps,
      clock,
      stateStore: stores.stateStore,
      eventLog: stores.eventLog,
      observations: stores.observationStore,
      commands: stores.commandQueue,
      drills: { faults: stores.faultStore, drills },
    };
    const output = captureOutput();
    const handler = createOperatorHandler({ load: async () => deps, logger: new Logger({ serviceName: 'drill-test' }) });
    const invoke = async (event: APIGatewayProxyEventV2WithIAMAuthorizer) => {
      const result = await handler(event, lambdaContext(30_000));
      return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as DrillProgress };
    };
    const probeDeps = { config: deps.config, prober: new ScriptedProber(), database: world.deps.database, observations: stores.observationStore, faults: stores.faultStore, clock };
    const primaryOf = (round: Awaited<ReturnType<typeof runProbeRound>>) => round.regions.find((region) => region.region === PRIMARY);

    // Act
    const started = await invoke(signedEvent('POST', '/groups/orders/drills', { body: { scenario: 'primary-region-outage', durationSeconds: 60, reason: 'staging drill' }, key: 'drill-0000-0001' }));
    await clock.advance(59_000);
    const during = await runProbeRound(probeDeps, { observerRegion: REPLICA });
    await clock.advance(1_000);
    const after = await runProbeRound(probeDeps, { observerRegion: REPLICA });
    const progress = await invoke(signedEvent('GET', '/groups/orders/drills/drill-0000-0001'));
    const stopped = await invoke(signedEvent('POST', '/groups/orders/drills/drill-0000-0001/stop'));
    output.restore();

    // Assess
    const identity = `${SESSION} (source identity lead@example.com)`;
    expect(started.status).toBe(201);
    expect(started.body.drill).toMatchObject({ id: 'drill-0000-0001', principalArn: identity, region: PRIMARY, faultExpiresAt: T0 + 60_000, outcome: 'running' });
    expect(primaryOf(during)?.ok).toBe(false);
    expect(primaryOf(during)?.failureReasons).toEqual(['drill fault injected: primary-region-outage']);
    expect(primaryOf(after)?.ok).toBe(true);
    expect(progress).toMatchObject({ status: 200, body: { ended: true, state: 'monitoring' } });
    expect(stopped).toMatchObject({ status: 200, body: { drill: { outcome: 'no-failover', stoppedBy: identity, finishedAt: T0 + 60_000 } } });
    expect(await drills.get('orders', 'drill-0000-0001')).toEqual(stopped.body.drill);
    expect(await stores.faultStore.active('orders', T0)).toEqual([]);
  });
});

describe('DrillReportStore', () => {
  const drill = (id: string, startedAt: number, groupId = 'orders'): StoredDrill<{ headline: string }> => ({
    id,
    groupId,
    scenario: 'primary-region-outage',
    principalArn: PRINCIPAL,
    region: PRIMARY,
    startedAt,
    faultExpiresAt: startedAt + 600_000,
    finishedAt: startedAt + 200_000,
    outcome: 'completed',
    failoverId: `fo-${id}`,
    report: { headline: `PASS ${id}` },
  });

  for (const [name, make] of [
    ['in memory', async () => new InMemoryDrillReportStore<{ headline: string }>()],
    ['on DynamoDB Local', async () => new DynamoDbDrillReportStore<{ headline: string }>((await tableOnLocal('drill-reports')).client, 'drill-reports')],
  ] as const) {
    it(`${name}: lists a group's drills newest first, with their reports, up to a limit; a second save replaces; one is found by id`, async () => {
      // Prepare
      const store = await make();
      await store.save(drill('b', T0 + 2_000));
      await store.save(drill('a', T0 + 1_000));
      await store.save(drill('c', T0 + 3_000));
      await store.save({ ...drill('b', T0 + 2_000), outcome: 'not-completed' });
      await store.save(drill('z', T0 + 9_000, 'payments'));

      // Act
      const all = await store.list('orders');
      const latest = await store.list('orders', { limit: 1 });

      // Assess
      expect(all.map((saved) => saved.id)).toEqual(['c', 'b', 'a']);
      expect(all[1]?.outcome).toBe('not-completed');
      expect(all[0]).toEqual(drill('c', T0 + 3_000));
      expect(latest.map((saved) => saved.id)).toEqual(['c']);
      expect(await store.get('orders', 'b')).toEqual({ ...drill('b', T0 + 2_000), outcome: 'not-completed' });
      expect(await store.get('orders', 'z')).toBeUndefined();
    });
  }
});

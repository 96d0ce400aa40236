import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbStores, createTable } from '../../../src/adapters/aws/dynamodb/index.js';
import { localClient } from '../../support/dynamodbLocal.js';
import { describeStoreContract } from './storeContract.js';

let client: DynamoDBClient;
let tables = 0;

beforeAll(() => {
  client = localClient(inject('dynamodbEndpoint'));
});

afterAll(() => {
  client.destroy();
});

// A fresh table per test: the fleet ledger is one item for all groups, so tests must not share a table.
describeStoreContract('DynamoDB adapters on DynamoDB Local', async () => {
  tables += 1;
  const tableName = `stores-${process.pid}-${tables}`;
  await createTable(client, tableName);
  return createDynamoDbStores({ client, tableName });
});

describe('DynamoDB adapters: errors they do not understand', () => {
  it('rethrows a failure that is not a failed condition unchanged', async () => {
    // Prepare
    const stores = createDynamoDbStores({ client, tableName: 'no-such-table' });

    // Act
    const loading = stores.stateStore.load('g1');

    // Assess
    await expect(loading).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('DynamoDB adapters: reads batched for a probe round', () => {
  /** Stores on a fresh table through a client of their own, which counts every request by command. */
  async function countedStores(options: { unprocessedOnFirstBatchGet?: number; refuseBatchGetOf?: string } = {}) {
    const counted = localClient(inject('dynamodbEndpoint'));
    const requests: string[] = [];
    let unprocessedLeft = options.unprocessedOnFirstBatchGet ?? 0;
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(String(context.commandName));
        const keysAsked = () => Object.values((args.input as { RequestItems: Record<string, { Keys: { pk: { S: string } }[] }> }).RequestItems)[0]!.Keys;
        if (context.commandName === 'BatchGetItemCommand' && keysAsked().some((key) => key.pk.S === `GROUP#${options.refuseBatchGetOf}`)) {
          throw Object.assign(new Error('injected: the batch was refused'), { name: 'AccessDeniedException' });
        }
        const result = await next(args);
        if (context.commandName === 'BatchGetItemCommand' && unprocessedLeft > 0) {
          // What DynamoDB does when throttled: some keys come back unanswered, to be asked again.
          const output = result.output as { Responses: Record<string, unknown[]>; UnprocessedKeys?: Record<string, { Keys: unknown[] }> };
          const input = args.input as { RequestItems: Record<string, { Keys: { pk: { S: string } }[] }> };
          const [table, request] = Object.entries(input.RequestItems)[0]!;
          const held = new Set(request.Keys.slice(0, unprocessedLeft).map((key) => key.pk.S));
          unprocessedLeft = 0;
          // This step sees the request marshalled and the answer already read back into plain objects.
          output.Responses[table] = (output.Responses[table] ?? []).filter((item) => !held.has((item as { pk: string }).pk));
          const heldKeys = request.Keys.filter((key) => held.has(key.pk.S)).map((key) => ({ pk: key.pk.S, sk: 'STATE' }));
          output.UnprocessedKeys = { [table]: { ...request, Keys: heldKeys } };
        }
        return result;
      },
      { step: 'build', name: 'countAndHoldBack' },
    );
    tables += 1;
    const tableName = `batched-${process.pid}-${tables}`;
    await createTable(counted, tableName);
    return { stores: createDynamoDbStores({ client: counted, tableName }), requests, counted };
  }

  const ids = (count: number) => Array.from({ length: count }, (_, index) => `g${String(index).padStart(3, '0')}`);
  const topologyOf = (groupId: string) => ({
    databases: { 'eu-west-1': { identifier: `${groupId}-r1`, arn: `arn:aws:rds:eu-west-1:123456789012:db:${groupId}-r1`, generation: 1, since: 1, commandId: 'c' } },
  });

  async function seed(stores: ReturnType<typeof createDynamoDbStores>, groupIds: readonly string[]) {
    for (const groupId of groupIds) {
      await stores.stateStore.createIfAbsent({
        groupId,
        machineVersion: 1,
        snapshot: {},
        health: {},
        outbox: { events: [], notifications: [] },
        nextEventSeq: 1,
        processedCommandIds: [],
        updatedAt: 0,
        topology: topologyOf(groupId),
      });
    }
  }

  it('reads the topologies of 150 groups with two BatchGetItem requests of at most 100 keys', async () => {
    // Prepare
    const { stores, requests, counted } = await countedStores();
    await seed(stores, ids(150));
    requests.length = 0;

    // Act
    const reads = await stores.stateStore.loadTopologies(ids(150));

    // Assess
    expect(requests).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
    expect(reads.size).toBe(150);
    expect([...reads.entries()]).toEqual(ids(150).map((groupId) => [groupId, { topology: topologyOf(groupId) }]));
    counted.destroy();
  });

  it('asks again for the keys DynamoDB left unprocessed, and answers every group', async () => {
    // Prepare
    const { stores, requests, counted } = await countedStores({ unprocessedOnFirstBatchGet: 2 });
    await seed(stores, ids(5));
    requests.length = 0;

    // Act
    const reads = await stores.stateStore.loadTopologies(ids(5));

    // Assess
    expect(requests).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
    expect([...reads.values()]).toEqual(ids(5).map((groupId) => ({ topology: topologyOf(groupId) })));
    counted.destroy();
  });

  it('answers an error for the groups of a refused batch only, and reads the other batch', async () => {
    // Prepare
    const { stores, counted } = await countedStores({ refuseBatchGetOf: 'g000' });
    await seed(stores, ids(120));

    // Act
    const reads = await stores.stateStore.loadTopologies(ids(120));

    // Assess
    const failed = ids(120).filter((groupId) => 'error' in reads.get(groupId)!);
    expect(failed).toEqual(ids(100));
    expect(reads.get('g000')).toEqual({ error: expect.objectContaining({ name: 'AccessDeniedException' }) });
    expect(ids(120).slice(100).map((groupId) => reads.get(groupId))).toEqual(ids(120).slice(100).map((groupId) => ({ topology: topologyOf(groupId) })));
    counted.destroy();
  });

  it('reads the faults of many groups with one Query', async () => {
    // Prepare
    const { stores, requests, counted } = await countedStores();
    for (const groupId of ids(30)) {
      await stores.faultStore.put({ groupId, region: 'eu-west-1', scenario: 'http-down', principalArn: 'arn:aws:iam::123456789012:role/drill', createdAt: 0, expiresAt: 10 });
    }
    requests.length = 0;

    // Act
    const faults = await stores.faultStore.activeFor(ids(30).filter((_, index) => index % 2 === 0), 5);

    // Assess
    expect(requests).toEqual(['QueryCommand']);
    expect(faults.map((fault) => fault.groupId)).toEqual(ids(30).filter((_, index) => index % 2 === 0));
    counted.destroy();
  });
});

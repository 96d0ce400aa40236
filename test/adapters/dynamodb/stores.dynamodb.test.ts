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

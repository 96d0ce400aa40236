import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { reconcileGroup } from '../../src/application/executor.js';
import { trackedDatabase } from '../../src/application/trackedDatabase.js';
import { localClient } from '../support/dynamodbLocal.js';
import { confirmDown, inMemoryWorld, PRIMARY, REPLICA, T0 } from './harness.js';

const MINUTE = 60_000;
let client: DynamoDBClient;

beforeAll(() => {
  client = localClient(inject('dynamodbEndpoint'));
});

afterAll(() => {
  client.destroy();
});

describe('reprotect on DynamoDB Local', () => {
  it('saves the reprotect and the tracked topology in the group item, and the probe side reads them back', async () => {
    // Prepare: a failed-over group whose stores are DynamoDB Local.
    const tableName = `reprotect-${process.pid}`;
    await createTable(client, tableName);
    const stores = createDynamoDbStores({ client, tableName });
    const world = inMemoryWorld();
    const deps = {
      ...world.deps,
      stateStore: stores.stateStore,
      eventLog: stores.eventLog,
      observations: stores.observationStore,
      commands: stores.commandQueue,
      fleet: stores.fleetLedger,
    };
    const { group, clock } = world;
    await confirmDown(deps, group, [PRIMARY]);
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    await deps.commands.enqueue({
      id: 'cmd-reprotect-1',
      groupId: group.id,
      type: 'reprotect',
      principalArn: 'arn:aws:iam::123456789012:user/alice',
      reason: 'INC-1',
      requestedAt: T0,
      targetRegion: PRIMARY,
    });

    // Act
    await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE });
    clock.advance(deps.database.replicaCreationMs);
    await reconcileGroup(deps, group, { owner: 'b', deadline: clock.now() + MINUTE });
    const probeView = await trackedDatabase(deps.database, stores.stateStore, clock).describe(group, PRIMARY);

    // Assess
    const record = await stores.stateStore.load(group.id);
    expect(record?.reprotect).toMatchObject({ status: 'completed', identifier: 'orders-eu-west-1-r1', sourceRegion: REPLICA });
    expect(record?.topology?.databases[PRIMARY]?.identifier).toBe('orders-eu-west-1-r1');
    expect(probeView).toMatchObject({ role: 'replica', sourceRegion: REPLICA, status: 'available' });
    expect(deps.database.calls.createReplicaEffective).toBe(1);
    expect((await stores.commandQueue.get(group.id, 'cmd-reprotect-1'))?.status).toBe('accepted');
  });
});

import { DynamoDBClient, ReplicatedWriteConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbStores } from '../../../src/adapters/aws/dynamodb/index.js';
import { ControlPlaneCutOffError, LeaseHeldError, StaleStateError } from '../../../src/domain/errors.js';

/**
 * DynamoDB Local has no multi-Region strongly consistent tables, so it never answers ReplicatedWriteConflictException
 * or an isolated replica's refusal: these answers are mocked (the store behaviour on real conditions is covered by
 * the store contract on DynamoDB Local).
 */

const documents = mockClient(DynamoDBDocumentClient);
const lease = { owner: 'us-east-2-run', epoch: 4, expiresAt: 60_000 };

function stores() {
  return createDynamoDbStores({
    tableName: 'failover-control-plane-test',
    client: new DynamoDBClient({ region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    region: 'us-east-2',
  });
}

function conflict(): ReplicatedWriteConflictException {
  return new ReplicatedWriteConflictException({ message: 'item is being modified in another Region', $metadata: {} });
}

function isolated(): Error {
  return Object.assign(new Error('replica cannot reach the other Regions'), {
    name: 'InternalServerError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });
}

function record(revision: number) {
  return {
    groupId: 'orders',
    machineVersion: 1,
    snapshot: null,
    health: {},
    outbox: { events: [], notifications: [] },
    nextEventSeq: 1,
    processedCommandIds: [],
    updatedAt: 1_000,
    revision,
  };
}

afterEach(() => {
  documents.reset();
});

describe('the state store on a multi-Region strongly consistent table', () => {
  it('answers a lease write that raced another region with LeaseHeldError, so the executor stands by', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(conflict());

    // Act
    const acquiring = stores().stateStore.acquireLease('orders', 'us-east-2-run', 1_000, 30_000);

    // Assess
    await expect(acquiring).rejects.toThrow(LeaseHeldError);
    await expect(acquiring).rejects.toThrow(/lost the race for the lease to a writer in another region/);
    await expect(acquiring).rejects.not.toThrow(ControlPlaneCutOffError);
  });

  it('answers a save that raced another region with StaleStateError, so the loser acts no further', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(conflict());

    // Act
    const saving = stores().stateStore.save(record(8), 7, lease, 2_000);

    // Assess
    await expect(saving).rejects.toThrow(StaleStateError);
    await expect(saving).rejects.toThrow(/revision 7 is no longer current \(a writer in another region raced this save\)/);
  });

  it('re-reads after creating the record raced another region, and answers the record that won', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(conflict());
    documents.on(GetCommand).resolves({ Item: { record: { ...record(1), revision: undefined }, revision: 1 } });

    // Act
    const created = await stores().stateStore.createIfAbsent(record(1));

    // Assess
    expect(created).toMatchObject({ groupId: 'orders', revision: 1 });
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('stands the executor down, naming its region, when the replica refuses the lease write outright', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(isolated());

    // Act
    const acquiring = stores().stateStore.acquireLease('orders', 'us-east-2-run', 1_000, 30_000);

    // Assess
    await expect(acquiring).rejects.toThrow(ControlPlaneCutOffError);
    await expect(acquiring).rejects.toThrow(
      /state table in us-east-2 did not accept a write \(InternalServerError: replica cannot reach the other Regions\).*stands by/,
    );
  });

  it('releases quietly when the release raced a takeover from another region', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(conflict());

    // Act
    const releasing = stores().stateStore.releaseLease('orders', lease);

    // Assess
    await expect(releasing).resolves.toBeUndefined();
  });
});

describe('the other stores on a multi-Region strongly consistent table', () => {
  it('stops outbox delivery with StaleStateError when an event write keeps racing another region', async () => {
    // Prepare
    documents.on(PutCommand).rejects(conflict());
    const event = { groupId: 'orders', seq: 3, at: 1_000, type: 'HEALTH', state: 'monitoring', message: 'ok' };

    // Act
    const appending = stores().eventLog.append([event as never]);

    // Assess
    await expect(appending).rejects.toThrow(StaleStateError);
    await expect(appending).rejects.toThrow(/event 3 is being written from another region/);
  });

  it('answers a command enqueued twice at once from two regions as a duplicate of the stored one', async () => {
    // Prepare
    const command = {
      id: 'cmd-1',
      groupId: 'orders',
      type: 'approve',
      principalArn: 'arn:aws:iam::111122223333:user/oncall',
      reason: 'INC-1',
      requestedAt: 1_000,
    };
    documents.on(PutCommand).rejects(conflict());
    documents.on(GetCommand).resolves({ Item: { ...command, status: 'pending', pk: 'GROUP#orders', sk: 'CMD#cmd-1' } });

    // Act
    const answer = await stores().commandQueue.enqueue(command as never);

    // Assess
    expect(answer.result).toBe('duplicate');
    expect(answer.stored).toMatchObject({ id: 'cmd-1', status: 'pending' });
  });

  it('decides the fleet brake again after a reservation raced another region', async () => {
    // Prepare
    documents.on(GetCommand).resolves({ Item: { version: 1, reservations: [] } });
    documents.on(PutCommand).rejectsOnce(conflict()).resolves({});

    // Act
    const answer = await stores().fleetLedger.tryReserve({ failoverId: 'fo-1', groupId: 'orders', now: 1_000, windowMs: 3_600_000, max: 2 });

    // Assess
    expect(answer).toBe('reserved');
    expect(documents.commandCalls(PutCommand)).toHaveLength(2);
  });
});

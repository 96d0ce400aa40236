import { describe, expect, it } from 'vitest';
import { StaleStateError } from '../../../src/domain/errors.js';
import { InMemoryCommandQueue } from '../../doubles/InMemoryCommandQueue.js';
import { InMemoryEventLog } from '../../doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../../doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../../doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../../doubles/InMemoryStateStore.js';
import { describeStoreContract } from './storeContract.js';

describeStoreContract('in-memory doubles', async () => ({
  stateStore: new InMemoryStateStore(),
  eventLog: new InMemoryEventLog(),
  observationStore: new InMemoryObservationStore(),
  commandQueue: new InMemoryCommandQueue(),
  fleetLedger: new InMemoryFleetLedger(),
  faultStore: new InMemoryFaultStore(),
}));

describe('in-memory doubles: test controls', () => {
  it('counts calls and fails only the next save when told to, leaving the stored record alone', async () => {
    // Prepare
    const store = new InMemoryStateStore();
    const created = await store.createIfAbsent({
      groupId: 'g1',
      machineVersion: 1,
      snapshot: {},
      health: {},
      outbox: { events: [], notifications: [] },
      nextEventSeq: 1,
      processedCommandIds: [],
      updatedAt: 0,
    });
    const lease = await store.acquireLease('g1', 'executor-a', 0, 1_000);
    const injected = new StaleStateError('group g1: injected');
    store.failNextSave(injected);

    // Act
    const failed = store.save({ ...created, revision: 2 }, 1, lease, 1);
    await expect(failed).rejects.toBe(injected);
    const saved = await store.save({ ...created, revision: 2 }, 1, lease, 2);

    // Assess
    expect(saved.revision).toBe(2);
    expect(store.calls).toEqual({ load: 0, loadTopologies: 0, createIfAbsent: 1, acquireLease: 1, save: 2, releaseLease: 0 });
  });

  it('counts appends, including repeated ones that store nothing new', async () => {
    // Prepare
    const log = new InMemoryEventLog();
    const logged = { groupId: 'g1', seq: 1, at: 0, type: 'X', state: 'monitoring', message: 'x' };

    // Act
    await log.append([logged]);
    await log.append([logged]);

    // Assess
    expect(log.calls.append).toBe(2);
    expect(await log.list('g1')).toEqual([logged]);
  });

  it('seeds a record as given, lease included, for tests that start mid-story', async () => {
    // Prepare
    const store = new InMemoryStateStore();
    const lease = { owner: 'executor-a', epoch: 4, expiresAt: 100 };
    const record = {
      groupId: 'g1',
      revision: 7,
      machineVersion: 1,
      snapshot: { value: 'monitoring' },
      health: {},
      outbox: { events: [], notifications: [] },
      nextEventSeq: 9,
      processedCommandIds: [],
      updatedAt: 0,
      lease,
    };

    // Act
    store.seed(record);
    const taken = await store.acquireLease('g1', 'executor-b', 100, 1_000);

    // Assess
    expect(taken).toEqual({ owner: 'executor-b', epoch: 5, expiresAt: 1_100 });
    expect(await store.load('g1')).toEqual({ ...record, lease: taken });
  });
});

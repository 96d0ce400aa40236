import { beforeEach, describe, expect, it } from 'vitest';
import { LeaseHeldError, StaleStateError } from '../../../src/domain/errors.js';
import type { LiveTopology } from '../../../src/domain/liveTopology.js';
import type { FailoverRecord, LoggedEvent, ObserverReport } from '../../../src/domain/types.js';
import type { CommandQueue, OperatorCommand } from '../../../src/ports/CommandQueue.js';
import type { EventLog } from '../../../src/ports/EventLog.js';
import type { FaultStore, InjectedFault } from '../../../src/ports/FaultStore.js';
import type { FleetLedger } from '../../../src/ports/FleetLedger.js';
import type { ObservationStore } from '../../../src/ports/ObservationStore.js';
import type { GroupRecord, NewGroupRecord, StateStore } from '../../../src/ports/StateStore.js';

export interface Stores {
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly observationStore: ObservationStore;
  readonly commandQueue: CommandQueue;
  readonly fleetLedger: FleetLedger;
  readonly faultStore: FaultStore;
}

const TTL = 30_000;
const principalArn = 'arn:aws:iam::123456789012:role/operator';

function newRecord(groupId: string): NewGroupRecord {
  return {
    groupId,
    machineVersion: 3,
    snapshot: {
      status: 'active',
      value: { monitoring: 'healthy' },
      context: { primary: 'eu-west-1', attempts: [1, 2], note: null, paused: false },
    },
    health: {},
    outbox: { events: [], notifications: [] },
    nextEventSeq: 1,
    processedCommandIds: [],
    updatedAt: 1_000,
  };
}

function event(groupId: string, seq: number, message = `event ${seq}`): LoggedEvent {
  return { groupId, seq, at: 1_000 + seq, type: 'PROBE_ROUND', state: 'monitoring', message, detail: { seq } };
}

function failover(groupId: string, id: string, detectedAt: number): FailoverRecord {
  return {
    id,
    groupId,
    trigger: { kind: 'automatic' },
    reason: 'eu-west-1 unhealthy',
    from: 'eu-west-1',
    to: 'us-east-1',
    planned: false,
    allowDataLoss: false,
    outcome: 'in-progress',
    timestamps: { detectedAt },
  };
}

function report(groupId: string, region: string, observerRegion: string, observedAt: number): ObserverReport {
  return {
    groupId,
    region,
    observerRegion,
    observedAt,
    ok: true,
    consecutiveFailures: 0,
    consecutiveSuccesses: 3,
    failureReasons: [],
    last: { observedAt, http: [{ url: `https://${region}.example.com/health`, ok: true, status: 200, latencyMs: 12 }] },
  };
}

function command(groupId: string, id: string, requestedAt: number): OperatorCommand {
  return { id, groupId, type: 'failover', principalArn, reason: 'planned test', requestedAt, targetRegion: 'us-east-1' };
}

function fault(groupId: string, region: string, expiresAt: number): InjectedFault {
  return { groupId, region, scenario: 'http-down', principalArn, createdAt: 0, expiresAt };
}

/** Settles all promises and splits them into answers and errors. */
async function settle<T>(promises: readonly Promise<T>[]): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    values: results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
    errors: results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : [])),
  };
}

/**
 * The behaviour every implementation of the storage ports must show. Run against the in-memory doubles and against
 * the DynamoDB adapters on DynamoDB Local, so the doubles cannot drift from the real store.
 * `makeStores` must answer stores that share nothing with those of earlier calls.
 */
export function describeStoreContract(name: string, makeStores: () => Promise<Stores>): void {
  describe(`${name}: storage contract`, () => {
    let stores: Stores;
    beforeEach(async () => {
      stores = await makeStores();
    });

    describe('StateStore', () => {
      async function createdWithLease(groupId: string, owner = 'executor-a', now = 0) {
        const created = await stores.stateStore.createIfAbsent(newRecord(groupId));
        const lease = await stores.stateStore.acquireLease(groupId, owner, now, TTL);
        return { created, lease };
      }

      function nextOf(record: GroupRecord, updatedAt: number): GroupRecord {
        return { ...record, revision: record.revision + 1, updatedAt, nextEventSeq: record.nextEventSeq + 1 };
      }

      it('answers undefined for a group that has no record', async () => {
        // Act
        const loaded = await stores.stateStore.load('nobody');

        // Assess
        expect(loaded).toBeUndefined();
      });

      it("answers each group's live topology, none for a group without a record or a reprotect, and an entry for every group asked", async () => {
        // Prepare
        const topology: LiveTopology = {
          databases: { 'eu-west-1': { identifier: 'orders-eu-west-1-r1', arn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-eu-west-1-r1', generation: 1, since: 900, commandId: 'cmd-1' } },
        };
        const { created, lease } = await createdWithLease('g1');
        await stores.stateStore.save({ ...nextOf(created, 2_000), topology }, 1, lease, 10);
        await stores.stateStore.createIfAbsent(newRecord('g2'));
        await stores.stateStore.acquireLease('g3', 'executor-a', 0, TTL);

        // Act
        const reads = await stores.stateStore.loadTopologies(['g2', 'g1', 'nobody', 'g3']);
        const none = await stores.stateStore.loadTopologies([]);

        // Assess
        expect([...reads.entries()]).toEqual([
          ['g2', { topology: undefined }],
          ['g1', { topology }],
          ['nobody', { topology: undefined }],
          ['g3', { topology: undefined }],
        ]);
        expect(none.size).toBe(0);
      });

      it('creates revision 1 once and answers the existing record to a second create', async () => {
        // Prepare
        const first = await stores.stateStore.createIfAbsent(newRecord('g1'));

        // Act
        const second = await stores.stateStore.createIfAbsent({ ...newRecord('g1'), machineVersion: 99 });

        // Assess
        expect(first).toEqual({ ...newRecord('g1'), revision: 1 });
        expect(second).toEqual(first);
        expect(await stores.stateStore.load('g1')).toEqual(first);
      });

      it('saves the next revision under a held lease and leaves the lease as it was', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1');

        // Act
        const saved = await stores.stateStore.save(nextOf(created, 2_000), 1, lease, 10);

        // Assess
        expect(saved).toEqual({ ...nextOf(created, 2_000), lease });
        expect(await stores.stateStore.load('g1')).toEqual(saved);
      });

      it('round-trips a nested snapshot, health and outbox unchanged', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1');
        const next: GroupRecord = {
          ...nextOf(created, 2_000),
          snapshot: { value: { failingOver: 'promoting' }, context: { lags: [0.5, 1], deep: { a: { b: { c: 'd' } } } } },
          health: {
            'eu-west-1': {
              region: 'eu-west-1',
              verdict: 'unhealthy',
              since: 1_500,
              failingObservers: ['us-east-1', 'eu-central-1'],
              recoveredObservers: [],
              staleObservers: [],
              replicaLagSeconds: 0.25,
              reasons: ['status 503 (expected 200)'],
            },
          },
          outbox: { events: [event('g1', 1)], notifications: [] },
          processedCommandIds: ['c1', 'c2'],
        };

        // Act
        await stores.stateStore.save(next, 1, lease, 10);

        // Assess
        expect(await stores.stateStore.load('g1')).toEqual({ ...next, lease });
      });

      it('replaces the whole record on save, so a field the caller dropped is gone', async () => {
        // Prepare: an optional field a later version of GroupRecord might add.
        const { created, lease } = await createdWithLease('g1');
        const withField: GroupRecord & { pausedBy?: string } = { ...nextOf(created, 2_000), pausedBy: 'operator' };
        await stores.stateStore.save(withField, 1, lease, 10);
        const { pausedBy: _dropped, ...withoutField } = { ...withField, revision: 3 };

        // Act
        await stores.stateStore.save(withoutField, 2, lease, 20);

        // Assess
        expect(await stores.stateStore.load('g1')).toEqual({ ...withoutField, lease });
        expect(await stores.stateStore.load('g1')).not.toHaveProperty('pausedBy');
      });

      it('refuses a writer whose expected revision is stale with a StaleStateError naming group and revision', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1');
        const saved = await stores.stateStore.save(nextOf(created, 2_000), 1, lease, 10);

        // Act
        const stale = stores.stateStore.save(nextOf(created, 3_000), 1, lease, 20);

        // Assess
        await expect(stale).rejects.toBeInstanceOf(StaleStateError);
        await expect(stale).rejects.toThrow(/group g1: revision 1 is no longer current/);
        await expect(stale).rejects.toMatchObject({ groupId: 'g1' });
        expect(await stores.stateStore.load('g1')).toEqual(saved);
      });

      it('refuses a next record whose revision is not the expected revision plus one', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1');

        // Act
        const skipping = stores.stateStore.save({ ...created, revision: 3 }, 1, lease, 10);

        // Assess
        await expect(skipping).rejects.toBeInstanceOf(StaleStateError);
        expect((await stores.stateStore.load('g1'))?.revision).toBe(1);
      });

      it('refuses a save under an expired lease', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1', 'executor-a', 0);

        // Act
        const late = stores.stateStore.save(nextOf(created, 2_000), 1, lease, TTL);

        // Assess
        await expect(late).rejects.toBeInstanceOf(StaleStateError);
        expect((await stores.stateStore.load('g1'))?.revision).toBe(1);
      });

      it('refuses a save for a group that has no record', async () => {
        // Prepare
        const lease = await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);

        // Act
        const orphan = stores.stateStore.save({ ...newRecord('g1'), revision: 2, lease }, 1, lease, 10);

        // Assess
        await expect(orphan).rejects.toBeInstanceOf(StaleStateError);
        expect(await stores.stateStore.load('g1')).toBeUndefined();
      });

      it('gives a free lease epoch 1, renews our own with the same epoch and a later expiry', async () => {
        // Prepare
        const first = await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);

        // Act
        const renewed = await stores.stateStore.acquireLease('g1', 'executor-a', 10_000, TTL);

        // Assess
        expect(first).toEqual({ owner: 'executor-a', epoch: 1, expiresAt: TTL });
        expect(renewed).toEqual({ owner: 'executor-a', epoch: 1, expiresAt: 10_000 + TTL });
      });

      it('refuses the lease to another owner while it is unexpired, with a LeaseHeldError', async () => {
        // Prepare
        await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);

        // Act
        const refused = stores.stateStore.acquireLease('g1', 'executor-b', TTL - 1, TTL);

        // Assess
        await expect(refused).rejects.toBeInstanceOf(LeaseHeldError);
        await expect(refused).rejects.toThrow(/group g1: lease held by executor-a/);
      });

      it('lets another owner take over an expired lease with the next epoch, fencing the old owner', async () => {
        // Prepare
        const { created, lease: old } = await createdWithLease('g1', 'executor-a', 0);

        // Act
        const taken = await stores.stateStore.acquireLease('g1', 'executor-b', TTL, TTL);
        const oldOwnerSave = await stores.stateStore
          .save(nextOf(created, 2_000), 1, { ...old, expiresAt: 10 * TTL }, TTL)
          .catch((error: unknown) => error);
        const newOwnerSave = await stores.stateStore.save(nextOf(created, 3_000), 1, taken, TTL + 1);

        // Assess
        expect(taken).toEqual({ owner: 'executor-b', epoch: 2, expiresAt: 2 * TTL });
        expect(oldOwnerSave).toBeInstanceOf(StaleStateError);
        expect(newOwnerSave).toMatchObject({ revision: 2, updatedAt: 3_000, lease: taken });
      });

      it('keeps a lease taken before the record existed when the record is created', async () => {
        // Prepare
        const lease = await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);

        // Act
        const created = await stores.stateStore.createIfAbsent(newRecord('g1'));

        // Assess
        expect(created).toEqual({ ...newRecord('g1'), revision: 1, lease });
      });

      it('keeps a renewed expiry when a save follows with the earlier lease copy', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1', 'executor-a', 0);
        const renewed = await stores.stateStore.acquireLease('g1', 'executor-a', 5_000, TTL);

        // Act
        const saved = await stores.stateStore.save(nextOf(created, 2_000), 1, lease, 6_000);

        // Assess
        expect(saved.lease).toEqual(renewed);
      });

      it('releases a lease so another owner takes it at once with the next epoch; releasing twice is harmless', async () => {
        // Prepare
        const lease = await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);

        // Act
        await stores.stateStore.releaseLease('g1', lease);
        await stores.stateStore.releaseLease('g1', lease);
        const taken = await stores.stateStore.acquireLease('g1', 'executor-b', 1, TTL);

        // Assess
        expect(taken).toEqual({ owner: 'executor-b', epoch: 2, expiresAt: 1 + TTL });
      });

      it('ignores a release by a former holder after the lease changed hands', async () => {
        // Prepare
        const old = await stores.stateStore.acquireLease('g1', 'executor-a', 0, TTL);
        const current = await stores.stateStore.acquireLease('g1', 'executor-b', TTL, TTL);

        // Act
        await stores.stateStore.releaseLease('g1', old);
        const refused = stores.stateStore.acquireLease('g1', 'executor-c', TTL + 1, TTL);

        // Assess
        await expect(refused).rejects.toBeInstanceOf(LeaseHeldError);
        expect(current.epoch).toBe(2);
      });

      it('gives the lease to exactly one of ten concurrent owners', async () => {
        // Prepare
        await stores.stateStore.createIfAbsent(newRecord('g1'));
        const owners = Array.from({ length: 10 }, (_, index) => `executor-${index}`);

        // Act
        const { values, errors } = await settle(
          owners.map((owner) => stores.stateStore.acquireLease('g1', owner, 0, TTL)),
        );

        // Assess
        expect(values).toHaveLength(1);
        expect(values[0]?.epoch).toBe(1);
        expect(errors).toHaveLength(9);
        expect(errors.every((error) => error instanceof LeaseHeldError)).toBe(true);
        expect((await stores.stateStore.load('g1'))?.lease).toEqual(values[0]);
      });

      it('lets exactly one of ten concurrent saves with the same expected revision win', async () => {
        // Prepare
        const { created, lease } = await createdWithLease('g1');

        // Act
        const { values, errors } = await settle(
          Array.from({ length: 10 }, (_, index) => stores.stateStore.save(nextOf(created, 2_000 + index), 1, lease, 10)),
        );

        // Assess
        expect(values).toHaveLength(1);
        expect(errors).toHaveLength(9);
        expect(errors.every((error) => error instanceof StaleStateError)).toBe(true);
        expect(await stores.stateStore.load('g1')).toEqual(values[0]);
      });

      it('does not let a caller change stored state by mutating what it passed in or got back', async () => {
        // Prepare
        const record = newRecord('g1');
        const created = await stores.stateStore.createIfAbsent(record);

        // Act
        (record.snapshot as { status: string }).status = 'mutated-input';
        (created.snapshot as { status: string }).status = 'mutated-output';

        // Assess
        expect(await stores.stateStore.load('g1')).toEqual({ ...newRecord('g1'), revision: 1 });
      });
    });

    describe('EventLog', () => {
      it('stores events appended twice by two writers once, loses none, and lists them newest first', async () => {
        // Prepare
        const events = [1, 2, 3, 4, 5].map((seq) => event('g1', seq));

        // Act
        await Promise.all([stores.eventLog.append(events), stores.eventLog.append(events.slice(2))]);
        await stores.eventLog.append(events);

        // Assess
        expect(await stores.eventLog.list('g1')).toEqual([...events].reverse());
      });

      it('keeps the first event written for a sequence number', async () => {
        // Prepare
        await stores.eventLog.append([event('g1', 1, 'first')]);

        // Act
        await stores.eventLog.append([event('g1', 1, 'second')]);

        // Assess
        expect(await stores.eventLog.list('g1')).toEqual([event('g1', 1, 'first')]);
      });

      it('lists the newest events up to the limit, in numeric order past nine', async () => {
        // Prepare
        await stores.eventLog.append(Array.from({ length: 12 }, (_, index) => event('g1', index + 1)));
        await stores.eventLog.append([event('g2', 1)]);

        // Act
        const latest = await stores.eventLog.list('g1', { limit: 3 });

        // Assess
        expect(latest.map((logged) => logged.seq)).toEqual([12, 11, 10]);
      });

      it('lists the events after a sequence number oldest first, at most the limit, past nine and only of its group', async () => {
        // Prepare
        await stores.eventLog.append(Array.from({ length: 12 }, (_, index) => event('g1', index + 1)));
        await stores.eventLog.append([event('g2', 10), event('g10', 11)]);

        // Act
        const page = await stores.eventLog.listAfter('g1', 8, { limit: 3 });
        const rest = await stores.eventLog.listAfter('g1', 11, { limit: 3 });
        const none = await stores.eventLog.listAfter('g1', 12, { limit: 3 });

        // Assess
        expect(page.map((logged) => logged.seq)).toEqual([9, 10, 11]);
        expect(rest).toEqual([event('g1', 12)]);
        expect(none).toEqual([]);
      });

      it('upserts failovers by id and lists them newest first, per group and across groups', async () => {
        // Prepare
        await stores.eventLog.saveFailover(failover('g1', 'f-old', 1_000));
        await stores.eventLog.saveFailover(failover('g2', 'f-other', 2_000));
        await stores.eventLog.saveFailover(failover('g1', 'f-new', 3_000));

        // Act
        await stores.eventLog.saveFailover({ ...failover('g1', 'f-old', 1_000), outcome: 'completed', rtoMs: 90_000 });

        // Assess
        const g1 = await stores.eventLog.listFailovers('g1');
        expect(g1.map((record) => record.id)).toEqual(['f-new', 'f-old']);
        expect(g1[1]).toMatchObject({ outcome: 'completed', rtoMs: 90_000 });
        const all = await stores.eventLog.listFailovers(undefined, { limit: 2 });
        expect(all.map((record) => record.id)).toEqual(['f-new', 'f-other']);
      });

      it('never moves a failover record backwards: a late in-progress copy does not overwrite the completed record', async () => {
        // Prepare
        const started = failover('g1', 'f-1', 1_000);
        const completed: FailoverRecord = {
          ...started,
          outcome: 'completed',
          rtoMs: 90_000,
          timestamps: { detectedAt: 1_000, promotionStartedAt: 20_000, completedAt: 91_000 },
        };
        await stores.eventLog.saveFailover(started);
        await stores.eventLog.saveFailover(completed);

        // Act: a stale executor delivers its old outbox late; then the same completed copy is delivered again.
        await stores.eventLog.saveFailover({ ...started, timestamps: { detectedAt: 1_000, decidedAt: 2_000 } });
        await stores.eventLog.saveFailover(completed);

        // Assess
        expect(await stores.eventLog.listFailovers('g1')).toEqual([completed]);
      });
    });

    describe('ObservationStore', () => {
      it('keeps one report per region and observer, newest by observation time, listed per group', async () => {
        // Prepare
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 2_000));
        await stores.observationStore.put(report('g1', 'eu-west-1', 'eu-central-1', 2_000));
        await stores.observationStore.put(report('g2', 'eu-west-1', 'us-east-1', 2_000));

        // Act
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 3_000));
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 1_000));

        // Assess
        expect(await stores.observationStore.get('g1', 'eu-west-1', 'us-east-1')).toEqual(
          report('g1', 'eu-west-1', 'us-east-1', 3_000),
        );
        expect(await stores.observationStore.listForGroup('g1', [])).toEqual([
          report('g1', 'eu-west-1', 'eu-central-1', 2_000),
          report('g1', 'eu-west-1', 'us-east-1', 3_000),
        ]);
        expect(await stores.observationStore.get('g1', 'us-east-1', 'eu-west-1')).toBeUndefined();
      });

      it('replaces a report stamped in the future of its writer\'s clock, but never a newer one with an older', async () => {
        // Prepare: the observer's clock ran 2 minutes ahead when it wrote; it has since been corrected.
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 120_000), 120_000);

        // Act: its next report, stamped by the corrected clock; then a slow invocation's older view, written later.
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 5_000), 5_000);
        await stores.observationStore.put(report('g1', 'eu-west-1', 'us-east-1', 4_000), 50_000);

        // Assess
        expect(await stores.observationStore.get('g1', 'eu-west-1', 'us-east-1')).toEqual(report('g1', 'eu-west-1', 'us-east-1', 5_000));
      });

      it('saves one observer\'s reports of a group together and answers them per observer and per group', async () => {
        // Prepare
        await stores.observationStore.putReports([report('g1', 'eu-west-1', 'eu-central-1', 1_000)]);

        // Act
        await stores.observationStore.putReports(
          ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((region) => report('g1', region, 'us-east-1', 2_000)),
          2_000,
        );

        // Assess
        expect(await stores.observationStore.getReports('g1', 'us-east-1')).toEqual(
          ['ap-southeast-2', 'eu-west-1', 'us-east-1'].map((region) => report('g1', region, 'us-east-1', 2_000)),
        );
        expect(await stores.observationStore.getReports('g2', 'us-east-1')).toEqual([]);
        expect(await stores.observationStore.listForGroup('g1', [])).toEqual([
          report('g1', 'ap-southeast-2', 'us-east-1', 2_000),
          report('g1', 'eu-west-1', 'eu-central-1', 1_000),
          report('g1', 'eu-west-1', 'us-east-1', 2_000),
          report('g1', 'us-east-1', 'us-east-1', 2_000),
        ]);
      });

      it('keeps a stored report newer than its region\'s report in a set, and saves the rest of the set', async () => {
        // Prepare: a faster invocation of the same observer already saved eu-west-1 at 3 s.
        await stores.observationStore.putReports([report('g1', 'eu-west-1', 'us-east-1', 3_000)], 3_000);

        // Act: a slow one saves its round of 2 s, the future-stamped rule given its clock.
        await stores.observationStore.putReports([report('g1', 'eu-west-1', 'us-east-1', 2_000), report('g1', 'us-east-1', 'us-east-1', 2_000)], 2_000);

        // Assess
        expect(await stores.observationStore.getReports('g1', 'us-east-1')).toEqual([
          report('g1', 'eu-west-1', 'us-east-1', 3_000),
          report('g1', 'us-east-1', 'us-east-1', 2_000),
        ]);
      });

      it('refuses a set that mixes groups or observers, naming the field, and saves nothing', async () => {
        // Act
        const saving = stores.observationStore.putReports([report('g1', 'eu-west-1', 'us-east-1', 1_000), report('g2', 'us-east-1', 'us-east-1', 1_000)]);

        // Assess
        await expect(saving).rejects.toThrow(/reports\[1\]\.groupId: g2, not g1/);
        expect(await stores.observationStore.listForGroup('g1', [])).toEqual([]);
        expect(await stores.observationStore.listForGroup('g2', [])).toEqual([]);
      });
      it('keeps one heartbeat per observer and shard, the last written, and lists a shard\'s heartbeats in one call', async () => {
        // Prepare
        const vouches = { g1: { at: 9_000, rounds: 4, reports: { 'eu-west-1': 2_000, 'us-east-1': 2_000 } } };
        await stores.observationStore.putHeartbeat({ observerRegion: 'us-east-1', shard: 'default', writtenAt: 5_000, vouches: {} });
        await stores.observationStore.putHeartbeat({ observerRegion: 'us-east-1', shard: 'eu', writtenAt: 5_000, vouches: {} });

        // Act
        await stores.observationStore.putHeartbeat({ observerRegion: 'us-east-1', shard: 'default', writtenAt: 9_500, vouches });
        await stores.observationStore.putHeartbeat({ observerRegion: 'eu-central-1', shard: 'default', writtenAt: 9_600, vouches: {} });

        // Assess
        const heartbeats = await stores.observationStore.heartbeats('default');
        expect(heartbeats.sort((a, b) => a.observerRegion.localeCompare(b.observerRegion))).toEqual([
          { observerRegion: 'eu-central-1', shard: 'default', writtenAt: 9_600, vouches: {} },
          { observerRegion: 'us-east-1', shard: 'default', writtenAt: 9_500, vouches },
        ]);
        expect(await stores.observationStore.heartbeats('eu')).toEqual([{ observerRegion: 'us-east-1', shard: 'eu', writtenAt: 5_000, vouches: {} }]);
        expect(await stores.observationStore.heartbeats('other')).toEqual([]);
      });

      it('lists a report its observer\'s heartbeat vouches for at the vouch\'s time and streak, and any other as stored', async () => {
        // Prepare
        await stores.observationStore.putReports([report('g1', 'eu-west-1', 'us-east-1', 2_000), report('g1', 'us-east-1', 'us-east-1', 2_500)], 2_500);
        await stores.observationStore.put(report('g1', 'eu-west-1', 'eu-central-1', 2_000));
        await stores.observationStore.putHeartbeat({
          observerRegion: 'us-east-1',
          shard: 'default',
          writtenAt: 9_500,
          // us-east-1's report was rewritten since this vouch (2_500, not 1_500): it keeps its own time.
          vouches: { g1: { at: 9_000, rounds: 2, reports: { 'eu-west-1': 2_000, 'us-east-1': 1_500 } } },
        });

        // Act
        const reports = await stores.observationStore.listForGroup('g1', await stores.observationStore.heartbeats('default'));

        // Assess
        expect(reports).toEqual([
          report('g1', 'eu-west-1', 'eu-central-1', 2_000),
          { ...report('g1', 'eu-west-1', 'us-east-1', 2_000), observedAt: 9_000, consecutiveSuccesses: 5 },
          report('g1', 'us-east-1', 'us-east-1', 2_500),
        ]);
        expect(await stores.observationStore.getReports('g1', 'us-east-1')).toEqual([report('g1', 'eu-west-1', 'us-east-1', 2_000), report('g1', 'us-east-1', 'us-east-1', 2_500)]);
      });
    });

    describe('CommandQueue', () => {
      it('answers duplicate with the stored command when the same id is enqueued again', async () => {
        // Prepare
        const first = await stores.commandQueue.enqueue(command('g1', 'c1', 1_000));

        // Act
        const again = await stores.commandQueue.enqueue({ ...command('g1', 'c1', 5_000), reason: 'retry' });

        // Assess
        expect(first).toEqual({ result: 'queued', stored: { ...command('g1', 'c1', 1_000), status: 'pending' } });
        expect(again).toEqual({ result: 'duplicate', stored: first.stored });
      });

      it('lists pending commands oldest first and drops them once completed', async () => {
        // Prepare
        await stores.commandQueue.enqueue(command('g1', 'c-late', 3_000));
        await stores.commandQueue.enqueue(command('g1', 'c-early', 1_000));
        await stores.commandQueue.enqueue(command('g1', 'c-middle', 2_000));
        await stores.commandQueue.enqueue(command('g2', 'c-elsewhere', 500));

        // Act
        await stores.commandQueue.complete('g1', 'c-middle', 'accepted', 'failover started', 4_000);

        // Assess
        const pending = await stores.commandQueue.pending('g1');
        expect(pending.map((stored) => stored.id)).toEqual(['c-early', 'c-late']);
        expect(await stores.commandQueue.get('g1', 'c-middle')).toEqual({
          ...command('g1', 'c-middle', 2_000),
          status: 'accepted',
          outcome: 'failover started',
          processedAt: 4_000,
        });
      });

      it('keeps the first completion when a command is completed twice', async () => {
        // Prepare
        await stores.commandQueue.enqueue(command('g1', 'c1', 1_000));
        await stores.commandQueue.complete('g1', 'c1', 'refused', 'paused', 2_000);

        // Act
        await stores.commandQueue.complete('g1', 'c1', 'accepted', 'late retry', 3_000);

        // Assess
        expect(await stores.commandQueue.get('g1', 'c1')).toMatchObject({
          status: 'refused',
          outcome: 'paused',
          processedAt: 2_000,
        });
      });

      it('keeps the id a cancel names and lists the cancel pending after the command it names', async () => {
        // Prepare
        await stores.commandQueue.enqueue(command('g1', 'c-pause', 1_000));
        const cancel = { ...command('g1', 'c-cancel', 2_000), type: 'cancel' as const, targetCommandId: 'c-pause' };

        // Act
        await stores.commandQueue.enqueue(cancel);

        // Assess
        const pending = await stores.commandQueue.pending('g1');
        expect(pending.map((stored) => [stored.id, stored.type, stored.targetCommandId])).toEqual([
          ['c-pause', command('g1', 'c-pause', 1_000).type, undefined],
          ['c-cancel', 'cancel', 'c-pause'],
        ]);
      });

      it('hands back a command stored with a 150 KB reason and drops it from the pending set once refused', async () => {
        // Prepare: a command written before requests were bounded
        const oversized = { ...command('g1', 'c-huge', 1_000), reason: 'x'.repeat(150_000) };
        await stores.commandQueue.enqueue(oversized);

        // Act
        const [pending] = await stores.commandQueue.pending('g1');
        await stores.commandQueue.complete('g1', 'c-huge', 'refused', 'malformed command, never applied', 2_000);

        // Assess
        expect(pending?.reason).toHaveLength(150_000);
        expect(await stores.commandQueue.pending('g1')).toEqual([]);
        expect(await stores.commandQueue.get('g1', 'c-huge')).toMatchObject({ status: 'refused', processedAt: 2_000 });
      });

      it('refuses to complete a command that was never enqueued', async () => {
        // Act
        const completing = stores.commandQueue.complete('g1', 'ghost', 'accepted', 'x', 1_000);

        // Assess
        await expect(completing).rejects.toThrow(/group g1: command ghost was never enqueued/);
        expect(await stores.commandQueue.get('g1', 'ghost')).toBeUndefined();
      });
    });

    describe('FleetLedger', () => {
      const windowMs = 60 * 60 * 1000;

      it('reserves exactly max slots among ten concurrent failovers of different groups', async () => {
        // Act
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            stores.fleetLedger.tryReserve({ failoverId: `f${index}`, groupId: `g${index}`, now: 1_000, windowMs, max: 2 }),
          ),
        );

        // Assess
        expect(answers.filter((answer) => answer === 'reserved')).toHaveLength(2);
        expect(answers.filter((answer) => answer === 'brake-engaged')).toHaveLength(8);
        expect(await stores.fleetLedger.countSince(0)).toBe(2);
      });

      it('answers reserved again for a failover that already holds a slot, even with the brake engaged', async () => {
        // Prepare
        await stores.fleetLedger.tryReserve({ failoverId: 'f1', groupId: 'g1', now: 1_000, windowMs, max: 1 });
        const other = await stores.fleetLedger.tryReserve({ failoverId: 'f2', groupId: 'g2', now: 2_000, windowMs, max: 1 });

        // Act
        const repeated = await stores.fleetLedger.tryReserve({ failoverId: 'f1', groupId: 'g1', now: 3_000, windowMs, max: 1 });

        // Assess
        expect(other).toBe('brake-engaged');
        expect(repeated).toBe('reserved');
        expect(await stores.fleetLedger.countSince(0)).toBe(1);
      });

      it('stops counting a released failover, freeing its slot; releasing twice or an unknown id changes nothing', async () => {
        // Prepare
        await stores.fleetLedger.tryReserve({ failoverId: 'f1', groupId: 'g1', now: 1_000, windowMs, max: 1 });
        await stores.fleetLedger.tryReserve({ failoverId: 'f2', groupId: 'g2', now: 1_500, windowMs, max: 2 });

        // Act
        await stores.fleetLedger.release('f1');
        await stores.fleetLedger.release('f1');
        await stores.fleetLedger.release('never-reserved');
        const next = await stores.fleetLedger.tryReserve({ failoverId: 'f3', groupId: 'g3', now: 2_000, windowMs, max: 2 });

        // Assess
        expect(next).toBe('reserved');
        expect(await stores.fleetLedger.countSince(0)).toBe(2);
      });

      it('releases the brake once earlier reservations fall out of the window', async () => {
        // Prepare
        await stores.fleetLedger.tryReserve({ failoverId: 'f1', groupId: 'g1', now: 1_000, windowMs, max: 1 });

        // Act
        const inside = await stores.fleetLedger.tryReserve({ failoverId: 'f2', groupId: 'g2', now: 1_000 + windowMs, windowMs, max: 1 });
        const after = await stores.fleetLedger.tryReserve({ failoverId: 'f3', groupId: 'g3', now: 1_001 + windowMs, windowMs, max: 1 });

        // Assess
        expect(inside).toBe('brake-engaged');
        expect(after).toBe('reserved');
        expect(await stores.fleetLedger.countSince(1_001)).toBe(1);
        expect(await stores.fleetLedger.countSince(0)).toBe(2);
      });
    });

    describe('FaultStore', () => {
      it('answers only unexpired faults and forgets a cleared one', async () => {
        // Prepare
        await stores.faultStore.put(fault('g1', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g1', 'us-east-1', 5_000));
        await stores.faultStore.put(fault('g2', 'eu-west-1', 10_000));

        // Act
        const beforeExpiry = await stores.faultStore.active('g1', 4_999);
        const afterOneExpired = await stores.faultStore.active('g1', 5_000);
        await stores.faultStore.clear('g1', 'eu-west-1');
        const afterClear = await stores.faultStore.active('g1', 0);

        // Assess
        expect(beforeExpiry).toEqual([fault('g1', 'eu-west-1', 10_000), fault('g1', 'us-east-1', 5_000)]);
        expect(afterOneExpired).toEqual([fault('g1', 'eu-west-1', 10_000)]);
        expect(afterClear).toEqual([fault('g1', 'us-east-1', 5_000)]);
      });

      it('replaces the fault of a region when a new one is put', async () => {
        // Prepare
        await stores.faultStore.put(fault('g1', 'eu-west-1', 10_000));

        // Act
        await stores.faultStore.put({ ...fault('g1', 'eu-west-1', 20_000), scenario: 'db-unreachable' });

        // Assess
        expect(await stores.faultStore.active('g1', 15_000)).toEqual([
          { ...fault('g1', 'eu-west-1', 20_000), scenario: 'db-unreachable' },
        ]);
      });

      it('answers the unexpired faults of every group asked for at once, by group then region, and none of the others', async () => {
        // Prepare
        await stores.faultStore.put(fault('g1', 'us-east-1', 10_000));
        await stores.faultStore.put(fault('g1', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g1-b', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g10', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g10', 'us-east-1', 5_000));
        await stores.faultStore.put(fault('g2', 'eu-west-1', 10_000));

        // Act
        const ofTwo = await stores.faultStore.activeFor(['g10', 'g1'], 5_000);
        const ofOne = await stores.faultStore.activeFor(['g1'], 5_000);
        const ofNone = await stores.faultStore.activeFor([], 5_000);
        const ofUnknown = await stores.faultStore.activeFor(['g3', 'g4'], 0);

        // Assess
        expect(ofTwo).toEqual([fault('g1', 'eu-west-1', 10_000), fault('g1', 'us-east-1', 10_000), fault('g10', 'eu-west-1', 10_000)]);
        expect(ofOne).toEqual([fault('g1', 'eu-west-1', 10_000), fault('g1', 'us-east-1', 10_000)]);
        expect(ofNone).toEqual([]);
        expect(ofUnknown).toEqual([]);
      });

      it('answers a group its own faults only, not those of a group whose id starts with it', async () => {
        // Prepare
        await stores.faultStore.put(fault('g1-b', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g10', 'eu-west-1', 10_000));
        await stores.faultStore.put(fault('g1', 'us-east-1', 10_000));

        // Act
        const active = await stores.faultStore.active('g1', 0);
        await stores.faultStore.clear('g1', 'us-east-1');
        const afterClear = await stores.faultStore.activeFor(['g1', 'g1-b'], 0);

        // Assess
        expect(active).toEqual([fault('g1', 'us-east-1', 10_000)]);
        expect(afterClear).toEqual([fault('g1-b', 'eu-west-1', 10_000)]);
      });
    });
  });
}

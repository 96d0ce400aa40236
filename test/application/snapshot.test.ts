import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { restoreSnapshot, stateName } from '../../src/application/snapshot.js';
import { SnapshotVersionError } from '../../src/domain/errors.js';
import type { GroupRecord } from '../../src/ports/StateStore.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { MACHINE_VERSION } from '../../state-machines/types.js';
import { input, primaryDown, T0 } from '../state-machines/fixtures.js';
import { drillConfig } from './harness.js';

const group = drillConfig().groups[0]!;

function recordOf(snapshot: unknown, machineVersion: number): GroupRecord {
  return {
    groupId: group.id,
    revision: 7,
    machineVersion,
    snapshot,
    health: {},
    outbox: { events: [], notifications: [] },
    nextEventSeq: 1,
    processedCommandIds: [],
    updatedAt: T0,
  };
}

/** A failover stopped at `failingOver.promoting`, persisted as the executor saves it. */
function persistedMidFailover(): Record<string, unknown> {
  const actor = createActor(failoverMachine, { input }).start();
  actor.send({ type: 'HEALTH', at: T0 + 1_000, assessment: primaryDown(T0 + 1_000) });
  actor.send({ type: 'FLEET_SLOT_RESERVED', at: T0 + 2_000 });
  actor.send({ type: 'FENCED', at: T0 + 3_000, outcome: 'fenced' });
  return structuredClone(actor.getPersistedSnapshot()) as Record<string, unknown>;
}

describe('restoreSnapshot', () => {
  it('refuses a snapshot saved by another machine version with a SnapshotVersionError naming both versions', () => {
    // Prepare
    const record = recordOf(persistedMidFailover(), MACHINE_VERSION + 1);

    // Act
    const refusal = (() => {
      try {
        return restoreSnapshot(record, group, T0);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(refusal).toBeInstanceOf(SnapshotVersionError);
    expect(refusal).toMatchObject({ groupId: group.id, storedVersion: MACHINE_VERSION + 1, runningVersion: MACHINE_VERSION });
    expect((refusal as Error).message).toContain(`machine version ${MACHINE_VERSION + 1}, this code runs version ${MACHINE_VERSION}`);
  });

  it('restores a version-2 snapshot whose settings still carry the retired maxReplicaLagSeconds, and the failover goes on', () => {
    // Prepare
    const persisted = persistedMidFailover();
    const context = persisted.context as { settings: Record<string, unknown> };
    context.settings = { ...context.settings, maxReplicaLagSeconds: 30 };

    // Act
    const restored = restoreSnapshot(recordOf(persisted, 2), group, T0 + 4_000);
    const next = createActor(failoverMachine, { snapshot: restored, input: undefined as never }).start();
    next.send({ type: 'PROMOTION_STARTED', at: T0 + 5_000, replicaLagSeconds: 2 });

    // Assess
    expect(MACHINE_VERSION).toBe(2);
    expect(stateName(restored)).toBe('failingOver.promoting');
    expect(stateName(next.getSnapshot())).toBe('failingOver.awaitingPromotion');
    expect(next.getSnapshot().context.failover?.replicaLagAtPromotionSeconds).toBe(2);
  });
});

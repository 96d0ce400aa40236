import { createActor, initialTransition, type SnapshotFrom } from 'xstate';
import { initialPrimaryOf } from '../config/groups.js';
import type { GroupConfig } from '../config/schema.js';
import { SnapshotVersionError } from '../domain/errors.js';
import type { EpochMs } from '../domain/types.js';
import type { GroupRecord } from '../ports/StateStore.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { MACHINE_VERSION } from '../../state-machines/types.js';
import { machineSettingsFor } from './settings.js';

export type FailoverSnapshot = SnapshotFrom<typeof failoverMachine>;

/** `monitoring`, `failingOver.promoting`... */
export function stateName(snapshot: FailoverSnapshot): string {
  const flatten = (value: unknown): string =>
    typeof value === 'string'
      ? value
      : Object.entries(value as Record<string, unknown>)
          .map(([key, child]) => `${key}.${flatten(child)}`)
          .join(',');
  return flatten(snapshot.value);
}

/**
 * The machine snapshot saved in a group record, or the initial one for a group never reconciled.
 * Refuses a snapshot written by another machine version rather than guess how to read it.
 *
 * @example
 * const snapshot = restoreSnapshot(await deps.stateStore.load(group.id), group, deps.clock.now());
 * snapshot.matches('failingOver');
 */
export function restoreSnapshot(record: GroupRecord | undefined, group: GroupConfig, now: EpochMs): FailoverSnapshot {
  if (record === undefined || record.snapshot === undefined || record.snapshot === null) {
    const [initial] = initialTransition(failoverMachine, {
      groupId: group.id,
      primaryRegion: initialPrimaryOf(group),
      settings: machineSettingsFor(group),
      now,
    });
    return initial;
  }
  if (record.machineVersion !== MACHINE_VERSION) {
    throw new SnapshotVersionError(group.id, record.machineVersion, MACHINE_VERSION);
  }
  // An actor only revives the persisted snapshot; it is never started, so nothing runs.
  return createActor(failoverMachine, { snapshot: record.snapshot as never, input: undefined as never }).getSnapshot();
}

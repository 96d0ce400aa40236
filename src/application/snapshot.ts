import { createActor, initialTransition, type ActorScope, type SnapshotFrom } from 'xstate';
import { initialPrimaryOf } from '../config/groups.js';
import type { GroupConfig } from '../config/schema.js';
import { SnapshotVersionError } from '../domain/errors.js';
import type { EpochMs } from '../domain/types.js';
import type { GroupRecord } from '../ports/StateStore.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { MACHINE_VERSION, type FailoverEvent } from '../../state-machines/types.js';
import { machineSettingsFor } from './settings.js';

export type FailoverSnapshot = SnapshotFrom<typeof failoverMachine>;

/**
 * One inert scope for every pure step of the machine. xstate's `transition()` builds a throwaway actor per call, whose
 * constructor computes the machine's initial snapshot (and, without input, throws and catches an error): most of the
 * cost of a step. The machine is pure (no invoked, spawned or delayed actors), so a step registers nothing in the
 * scope's system and runs no action through it: one scope serves every call, as `transition()` would.
 */
const inertScope: ActorScope<FailoverSnapshot, FailoverEvent> = (() => {
  const self = createActor(failoverMachine, { input: undefined as never });
  return {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: () => {},
  };
})();

/**
 * The machine's next snapshot for `event`: `transition(failoverMachine, snapshot, event)[0]`, without its per-call actor.
 *
 * @example
 * const after = nextSnapshot(before, { type: 'TICK', at: now });
 */
export function nextSnapshot(snapshot: FailoverSnapshot, event: FailoverEvent): FailoverSnapshot {
  return failoverMachine.transition(snapshot, event, inertScope);
}

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
  // Revives the persisted snapshot as an actor would (`createActor(failoverMachine, { snapshot })`), without one.
  return failoverMachine.restoreSnapshot(record.snapshot as never, inertScope) as FailoverSnapshot;
}

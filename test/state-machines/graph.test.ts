import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import type { AdjacencyValue } from 'xstate/graph';
import { FAILOVER_STEPS } from '../../src/domain/types.js';
import type { FailoverMode } from '../../src/domain/types.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { healthy, input, operator, otherRegion, primaryDown } from './fixtures.js';

type Snapshot = SnapshotFrom<typeof failoverMachine>;

const SECOND = 1_000;
/** Longer than every step timeout and the cooldown of the fixture settings. */
const LONG_WAIT = 2 * 3_600_000;
const MODES: readonly FailoverMode[] = ['automatic', 'approval', 'manual'];

/**
 * A finite, plausible set of events for a snapshot. Time always moves forward from the snapshot's `now`, so a
 * path replays the same way every run; an incident keeps its `since` while the primary stays down.
 */
function eventsFor(snapshot: Snapshot): FailoverEvent[] {
  const { context } = snapshot;
  const at = context.now + SECOND;
  const primary = context.primaryRegion;
  const other = otherRegion(primary);
  const { assessment } = context;
  const since =
    assessment?.primaryRegion === primary && assessment.primaryVerdict === 'unhealthy' ? assessment.primaryVerdictSince : at - 15 * SECOND;
  const about = { primaryRegion: primary, candidate: { region: other, replicaLagSeconds: 2 } };
  const request = { ...operator, failoverId: `fo-op-${at}`, allowDataLoss: false, trigger: { kind: 'operator', principalArn: operator.principalArn } } as const;
  const step = context.step?.name ?? 'reserving';
  return [
    { type: 'HEALTH', at, assessment: healthy(at, about) },
    { type: 'HEALTH', at, assessment: healthy(at, { ...about, primaryVerdict: 'suspect' }) },
    { type: 'HEALTH', at, assessment: primaryDown(at, { ...about, primaryVerdictSince: since }) },
    {
      type: 'HEALTH',
      at,
      assessment: primaryDown(at, { ...about, primaryVerdictSince: since, candidate: undefined, noCandidateReason: 'lag-over-budget' }),
    },
    { type: 'TICK', at },
    { type: 'TICK', at: context.now + LONG_WAIT },
    ...MODES.filter((mode) => mode !== context.settings.mode && !isMidFailover(snapshot)).map(
      (mode): FailoverEvent => ({ type: 'CONFIGURE', at, settings: { ...context.settings, mode } }),
    ),
    { type: 'FAILOVER_REQUESTED', at, ...request, to: other },
    { type: 'FAILOVER_REQUESTED', at, ...request, to: primary },
    { type: 'SWITCHOVER_REQUESTED', at, ...request, to: other },
    { type: 'APPROVE', at, ...operator },
    { type: 'REJECT', at, ...operator },
    { type: 'ABORT', at, ...operator },
    { type: 'RETRY', at, ...operator },
    { type: 'PAUSE', at, ...operator },
    { type: 'RESUME', at, ...operator },
    { type: 'ACKNOWLEDGE', at, ...operator },
    { type: 'FLEET_SLOT_RESERVED', at },
    { type: 'FLEET_BRAKE_ENGAGED', at, detail: '3 groups failing over in this account' },
    { type: 'FENCED', at, outcome: 'stopped' },
    { type: 'DRAINED', at },
    { type: 'LAG_OVER_BUDGET', at, replicaLagSeconds: 45, detail: 'lag 45 s over budget 30 s' },
    { type: 'PROMOTION_STARTED', at, replicaLagSeconds: 2 },
    { type: 'PROMOTED', at },
    { type: 'TRAFFIC_SWITCHED', at, changeId: 'C123' },
    { type: 'DNS_IN_SYNC', at },
    { type: 'VERIFIED', at },
    { type: 'STEP_FAILED', at, step, error: 'throttled', retryable: true },
    { type: 'STEP_FAILED', at, step, error: 'access denied', retryable: false },
  ];
}

/**
 * What of a snapshot decides its future, without the clock, so the graph stays finite while time advances.
 * Mid-failover only the failover's own progress counts; once settled, what the next incident would meet counts.
 * Regions are reduced to "is the assessment about the current primary": the two regions are symmetric.
 */
function abstractState(snapshot: Snapshot): string {
  const { context } = snapshot;
  const { assessment, failover } = context;
  if (isMidFailover(snapshot)) {
    return JSON.stringify({
      value: snapshot.value,
      automatic: failover?.trigger.kind === 'automatic',
      planned: failover?.planned,
      targetIsWriter: failover?.to === context.primaryRegion,
      attempts: context.step?.attempts,
      stalledAt: context.stalled?.step,
    });
  }
  const primaryDown = assessment?.primaryVerdict === 'unhealthy';
  return JSON.stringify({
    value: snapshot.value,
    mode: context.settings.mode,
    assessment: assessment && {
      aboutPrimary: assessment.primaryRegion === context.primaryRegion,
      primaryDown,
      candidate: primaryDown && assessment.candidate !== undefined,
      dismissed: primaryDown && context.dismissedIncident === assessment.primaryVerdictSince,
    },
    blocked: context.blocked && { reason: context.blocked.reason, sticky: context.blocked.sticky },
    awaitingAcknowledgement: context.awaitingAcknowledgement,
    inCooldown:
      context.lastCompletedFailoverAt !== undefined && context.now < context.lastCompletedFailoverAt + context.settings.cooldownMs,
  });
}

function isMidFailover(snapshot: Snapshot): boolean {
  return snapshot.matches('failingOver') || snapshot.matches('stalled');
}

const traversal = {
  input,
  events: eventsFor,
  serializeState: abstractState,
  // An event the state does not take is a self-loop: it adds nothing to reachability, so skip it.
  filterEvents: (snapshot: Snapshot, event: FailoverEvent) => snapshot.can(event),
  // Dequeued snapshots, duplicates included: about 30 events for each of a few hundred abstract states.
  limit: 50_000,
};

/** The snapshots one event away. (Keys of the transition map are branded strings, which hides the value type.) */
function successors({ transitions }: AdjacencyValue<Snapshot, FailoverEvent>): Snapshot[] {
  return Object.values(transitions as Record<string, { state: Snapshot }>).map(({ state }) => state);
}

function valueOf(snapshot: Snapshot): string {
  return JSON.stringify(snapshot.value);
}

describe('the failover machine as a graph', () => {
  // Traversed once for the file's checks; the shortest-path test below traverses again for its witness paths.
  const adjacency = getAdjacencyMap(failoverMachine, traversal);
  const reachable = Object.entries(adjacency);

  it('reaches every state node of the machine definition', () => {
    // Prepare
    const stateNodes = getStateNodes(failoverMachine.root);

    // Act
    const paths = getShortestPaths(failoverMachine, traversal);
    const unreached = stateNodes
      .filter((node) => !paths.some((path) => path.state.matches(node.path.join('.') as never)))
      .map((node) => node.id);

    // Assess
    expect(stateNodes.length).toBeGreaterThanOrEqual(7 + FAILOVER_STEPS.length);
    expect(unreached).toEqual([]);
  });

  it('has a way out of every reachable state: some event leads to a different state', () => {
    // Prepare
    const finalStates = getStateNodes(failoverMachine.root).filter((node) => node.type === 'final');

    // Act
    const stuck = reachable
      .filter(([, adjacent]) => successors(adjacent).every((next) => valueOf(next) === valueOf(adjacent.state)))
      .map(([key]) => key);

    // Assess
    expect(finalStates).toEqual([]);
    expect(stuck).toEqual([]);
  });

  it('can get back to monitoring or failedOver from every reachable state', () => {
    // Prepare: reverse edges of the abstract graph.
    const predecessors = new Map<string, Set<string>>();
    for (const [key, adjacent] of reachable) {
      for (const next of successors(adjacent)) {
        const nextKey = abstractState(next);
        if (!predecessors.has(nextKey)) predecessors.set(nextKey, new Set());
        predecessors.get(nextKey)!.add(key);
      }
    }

    // Act: walk back from the settled states.
    const settled = reachable
      .filter(([, { state }]) => state.matches('monitoring') || state.matches('failedOver'))
      .map(([key]) => key);
    const canSettle = new Set(settled);
    const queue = [...settled];
    while (queue.length > 0) {
      for (const previous of predecessors.get(queue.shift()!) ?? []) {
        if (!canSettle.has(previous)) {
          canSettle.add(previous);
          queue.push(previous);
        }
      }
    }
    const traps = reachable.map(([key]) => key).filter((key) => !canSettle.has(key));

    // Assess
    expect(settled.length).toBeGreaterThan(0);
    expect(traps).toEqual([]);
  });

  const invariants: [string, (snapshot: Snapshot) => boolean][] = [
    ['blocked carries a reason', (snapshot) => !snapshot.matches('blocked') || snapshot.context.blocked !== undefined],
    ['stalled names its step', (snapshot) => !snapshot.matches('stalled') || snapshot.context.stalled !== undefined],
    [
      'a failover in flight is in progress and has a current step',
      (snapshot) =>
        !snapshot.matches('failingOver') ||
        (snapshot.context.failover?.outcome === 'in-progress' && snapshot.context.step !== undefined),
    ],
    [
      'failedOver holds a completed failover awaiting acknowledgement, to the current primary',
      (snapshot) =>
        !snapshot.matches('failedOver') ||
        (snapshot.context.failover?.outcome === 'completed' &&
          snapshot.context.awaitingAcknowledgement &&
          snapshot.context.failover.to === snapshot.context.primaryRegion),
    ],
    [
      'once promoted, the new region is the primary',
      (snapshot) =>
        snapshot.context.failover?.timestamps.promotedAt === undefined ||
        snapshot.context.primaryRegion === snapshot.context.failover.to,
    ],
    [
      'ABORT is possible exactly while the step in hand comes before promoting',
      (snapshot) => {
        if (!isMidFailover(snapshot)) return true;
        const step = snapshot.context.stalled?.step ?? snapshot.context.step?.name;
        const beforePromotion = step !== undefined && FAILOVER_STEPS.indexOf(step) < FAILOVER_STEPS.indexOf('promoting');
        return snapshot.can({ type: 'ABORT', ...operator, at: snapshot.context.now }) === beforePromotion;
      },
    ],
  ];

  it.each(invariants)('holds in every reachable state: %s', (_, holds) => {
    // Act
    const violations = reachable.filter(([, { state }]) => !holds(state)).map(([key]) => key);

    // Assess
    expect(violations).toEqual([]);
  });

  // Regression test for a bug the graph and behaviour tests found (fixed in the machine).
  it('never starts a failover from a region to itself', () => {
    // Act
    const selfFailovers = reachable
      .filter(([, { state }]) => isMidFailover(state) && state.context.failover?.from === state.context.failover?.to)
      .map(([key]) => key);

    // Assess
    expect(selfFailovers).toEqual([]);
  });

  it('stays small enough to traverse exhaustively', () => {
    // Assess: a guard against an abstraction that stops collapsing time.
    expect(reachable.length).toBeLessThan(1_000);
  });
});

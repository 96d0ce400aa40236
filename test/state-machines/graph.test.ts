import { describe, expect, it } from 'vitest';
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import type { AdjacencyValue } from 'xstate/graph';
import { FAILOVER_STEPS } from '../../src/domain/types.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { operator } from './fixtures.js';
import { abstractState, isMidFailover, traversal, type Snapshot } from './graphTraversal.js';

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

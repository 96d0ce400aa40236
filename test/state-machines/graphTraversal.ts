import type { SnapshotFrom } from 'xstate';
import type { FailoverMode } from '../../src/domain/types.js';
import type { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { healthy, input, operator, otherRegion, primaryDown } from './fixtures.js';

/** The machine's graph as the graph and operator-exit tests traverse it: the events, and what of a state counts. */
export type Snapshot = SnapshotFrom<typeof failoverMachine>;

const SECOND = 1_000;
/** Longer than every step timeout of the fixture settings. */
export const LONG_WAIT = 2 * 3_600_000;
const MODES: readonly FailoverMode[] = ['automatic', 'approval', 'manual'];

/**
 * A finite, plausible set of events for a snapshot. Time always moves forward from the snapshot's `now`, so a
 * path replays the same way every run; an incident keeps its `since` while the primary stays down.
 */
export function eventsFor(snapshot: Snapshot): FailoverEvent[] {
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
    { type: 'FAILOVER_REQUESTED', at, ...request, failoverId: `fo-loss-${at}`, allowDataLoss: true, to: other },
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
export function abstractState(snapshot: Snapshot): string {
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
  });
}

export function isMidFailover(snapshot: Snapshot): boolean {
  return snapshot.matches('failingOver') || snapshot.matches('stalled');
}

export const traversal = {
  input,
  events: eventsFor,
  serializeState: abstractState,
  // An event the state does not take is a self-loop: it adds nothing to reachability, so skip it.
  filterEvents: (snapshot: Snapshot, event: FailoverEvent) => snapshot.can(event),
  // Dequeued snapshots, duplicates included: about 30 events for each of a few hundred abstract states.
  limit: 50_000,
};


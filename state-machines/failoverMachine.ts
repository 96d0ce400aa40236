import { and, assign, not, setup } from 'xstate';
import { FAILOVER_STEPS, type FailoverRecord, type FailoverStep, type FailoverTimestamps } from '../src/domain/types.js';
import { automaticFailover, blockReasonNow, canAbortFrom, closeFailover, completeFailover, freshStep, isNewIncident } from './rules.js';
import { failedAttempt, fenceOutcome, requestedFailover, retriesLeft, spendTime, stallReason, stampFailover, stepTimedOut } from './rules.js';
import type { BlockReason, FailoverContext, FailoverEvent, FailoverInput } from './types.js';

const typed = setup({
  types: { context: {} as FailoverContext, events: {} as FailoverEvent, input: {} as FailoverInput },
  guards: {
    primaryNotDown: ({ context }) =>
      context.assessment?.primaryVerdict !== 'unhealthy' || context.assessment.primaryRegion !== context.primaryRegion,
    isCurrentStep: ({ context, event }) => event.type === 'STEP_FAILED' && event.step === context.step?.name,
    wasPaused: ({ context }) => context.paused !== undefined,
    newIncident: ({ context }) => isNewIncident(context),
    awaitingAcknowledgement: ({ context }) => context.awaitingAcknowledgement,
    shouldBlock: ({ context }) => blockReasonNow(context) !== undefined,
    requiresApproval: ({ context }) => context.settings.mode === 'approval',
    blockLifted: ({ context }) => context.blocked !== undefined && !context.blocked.sticky && blockReasonNow(context) === undefined,
    isAutomatic: ({ context }) => context.failover?.trigger.kind === 'automatic',
    isPlanned: ({ context }) => context.failover?.planned === true,
    stepTimedOut: ({ context }) => stepTimedOut(context),
    retriesLeft: ({ context, event }) => retriesLeft(context, event),
    canAbort: ({ context }) => canAbortFrom(context),
    stalledAt: ({ context }, step: FailoverStep) => context.stalled?.step === step,
    // Only FAILOVER_REQUESTED and SWITCHOVER_REQUESTED name a target.
    targetIsNotPrimary: ({ context, event }) => 'to' in event && event.to !== context.primaryRegion,
    acceptsDataLoss: ({ event }) => event.type === 'FAILOVER_REQUESTED' && event.allowDataLoss,
  },
});

/** A step's result: the failover stamped with the event's time as `key`, plus what `record` reads from the event. */
function stampAt(key: keyof FailoverTimestamps, record: (event: FailoverEvent) => Partial<FailoverRecord> = () => ({})) {
  return typed.assign(({ context, event }) => ({
    now: event.at,
    failover: context.failover && { ...stampFailover(context.failover, { [key]: event.at })!, ...record(event) },
  }));
}

/** A block a step's result imposes: the failover it stops is aborted, and only an operator or recovery lifts it. */
function stickyBlockBy(reason: BlockReason) {
  return typed.assign(({ context, event }) => ({
    now: event.at,
    blocked: { reason, detail: 'detail' in event ? event.detail : '', at: event.at, sticky: true },
    failover: closeFailover(context.failover, 'aborted', event.at), step: undefined,
  }));
}

const machine = typed.extend({
  actions: {
    startStep: assign(({ context }, name: FailoverStep) => ({ step: freshStep(name, context.now) })),
    // CONFIGURE opens every executor session: the time before it was spent by nobody.
    applySettings: assign(({ context, event }) =>
      event.type === 'CONFIGURE' ? { settings: event.settings, now: event.at, step: spendTime(context.step, event.at, true) } : {},
    ),
    recordAssessment: assign(({ context, event }) =>
      event.type === 'HEALTH' ? { assessment: event.assessment, now: event.at, step: spendTime(context.step, event.at, false) } : {},
    ),
    recordTime: assign(({ context, event }) => ({ now: event.at, step: spendTime(context.step, event.at, false) })),
    startAutomaticFailover: assign(({ context }) =>
      context.assessment?.candidate === undefined ? {} : { failover: automaticFailover(context), blocked: undefined },
    ),
    startRequestedFailover: assign(({ context, event }) =>
      event.type === 'FAILOVER_REQUESTED' || event.type === 'SWITCHOVER_REQUESTED'
        ? { now: event.at, failover: requestedFailover(context, event, event.type === 'SWITCHOVER_REQUESTED'), blocked: undefined, stalled: undefined }
        : {},
    ),
    approve: stampAt('approvedAt'),
    dismissIncident: assign(({ context, event }) => ({
      now: event.at,
      dismissedIncident: context.assessment?.primaryVerdictSince,
      failover:
        context.failover?.outcome === 'in-progress'
          ? closeFailover(context.failover, event.type === 'REJECT' ? 'rejected' : 'aborted', event.at)
          : context.failover,
      blocked: undefined, stalled: undefined, step: undefined,
    })),
    // Pausing while a proposal awaits approval withdraws the proposal but not the incident: after RESUME it is proposed again.
    abandonProposal: assign(({ context, event }) => ({ now: event.at, failover: closeFailover(context.failover, 'aborted', event.at) })),
    block: assign(({ context }) => {
      const reason = blockReasonNow(context);
      return reason === undefined ? {} : { blocked: { ...reason, at: context.now, sticky: false } };
    }),
    blockByFleetBrake: stickyBlockBy('fleet-brake'),
    blockByLag: stickyBlockBy('lag-over-budget'),
    clearBlock: assign({ blocked: undefined }),
    // A retried step re-enters failingOver: the first decision time stands.
    markDecided: assign(({ context: { failover, now } }) => ({
      failover: stampFailover(failover, { decidedAt: failover?.timestamps.decidedAt ?? now }),
    })),
    markFenced: stampAt('fencedAt', (event) => ({ fenceOutcome: fenceOutcome(event) })),
    markDrained: stampAt('drainedAt'),
    markPromotionStarted: stampAt('promotionStartedAt', (event) => ({
      replicaLagAtPromotionSeconds: event.type === 'PROMOTION_STARTED' ? event.replicaLagSeconds : undefined,
    })),
    markPromoted: stampAt('promotedAt'),
    // From here on the new region is the writer, whatever happens to the remaining steps.
    handOverPrimary: assign(({ context }) => ({ primaryRegion: context.failover?.to ?? context.primaryRegion })),
    markTrafficSwitched: stampAt('trafficSwitchedAt', (event) => ({ dnsChangeId: event.type === 'TRAFFIC_SWITCHED' ? event.changeId : undefined })),
    markDnsInSync: stampAt('dnsInSyncAt'),
    complete: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && completeFailover(context.failover, event.at),
      primaryRegion: context.failover?.to ?? context.primaryRegion,
      awaitingAcknowledgement: true,
      step: undefined,
    })),
    recordStepFailure: assign(({ context, event }) => ({ now: event.at, step: failedAttempt(context.step, event) })),
    stall: assign(({ context, event }) => ({
      now: event.at,
      stalled: { step: context.step?.name ?? 'reserving', reason: stallReason(context, event), at: event.at },
    })),
    clearStall: assign(({ event }) => ({ now: event.at, stalled: undefined })),
    pause: assign(({ event }) =>
      event.type === 'PAUSE' ? { now: event.at, paused: { principalArn: event.principalArn, reason: event.reason, at: event.at } } : {},
    ),
    resume: assign(({ event }) => ({ now: event.at, paused: undefined })),
    acknowledge: assign(({ event }) => ({ now: event.at, awaitingAcknowledgement: false, blocked: undefined })),
  },
});

// Transitions several states share, defined once.
const requestFailover = { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' } as const;
const operatorRequests = { FAILOVER_REQUESTED: requestFailover, SWITCHOVER_REQUESTED: requestFailover } as const;
const pause = { PAUSE: { target: 'paused', actions: 'pause' } } as const;
const dismiss = { target: 'monitoring', actions: 'dismissIncident' } as const;
const abortBeforePointOfNoReturn = { ABORT: { guard: 'canAbort', ...dismiss } } as const;
const blockByLag = { LAG_OVER_BUDGET: { guard: not('isPlanned'), target: '#failover.blocked', actions: 'blockByLag' } } as const;
const step = (name: FailoverStep) => ({ entry: { type: 'startStep', params: name } }) as const;

/**
 * The failover lifecycle of one group. Pure: no I/O, no timers. Time comes in on every event (`at`);
 * the executor performs the step the current state names and feeds the result back as an event.
 *
 * @example
 * const actor = createActor(failoverMachine, { input }).start();
 * actor.send({ type: 'HEALTH', at, assessment, failoverId });
 * actor.getSnapshot().value; // 'monitoring' | { failingOver: 'promoting' } | ...
 */
export const failoverMachine = machine.createMachine({
  id: 'failover',
  context: ({ input }) => ({ ...input, awaitingAcknowledgement: false }),
  initial: 'monitoring',
  on: { CONFIGURE: { actions: 'applySettings' }, HEALTH: { actions: 'recordAssessment' }, TICK: { actions: 'recordTime' } },
  states: {
    monitoring: {
      always: [
        { guard: and(['newIncident', 'shouldBlock']), target: 'blocked', actions: 'block' },
        { guard: and(['newIncident', 'requiresApproval']), target: 'awaitingApproval', actions: 'startAutomaticFailover' },
        { guard: 'newIncident', target: 'failingOver', actions: 'startAutomaticFailover' },
      ],
      on: { ...operatorRequests, ...pause },
    },
    awaitingApproval: {
      always: { guard: 'primaryNotDown', ...dismiss },
      on: {
        APPROVE: { target: 'failingOver', actions: 'approve' },
        REJECT: dismiss, ABORT: dismiss,
        FAILOVER_REQUESTED: requestFailover,
        PAUSE: { target: 'paused', actions: ['abandonProposal', 'pause'] },
      },
    },
    blocked: {
      always: [
        { guard: 'primaryNotDown', target: 'monitoring', actions: 'clearBlock' },
        { guard: 'blockLifted', target: 'monitoring', actions: 'clearBlock' },
      ],
      on: {
        ...operatorRequests,
        ABORT: dismiss,
        ACKNOWLEDGE: { target: 'monitoring', actions: ['acknowledge', 'dismissIncident'] },
        ...pause,
      },
    },
    failingOver: {
      entry: 'markDecided',
      initial: 'reserving',
      always: { guard: 'stepTimedOut', target: 'stalled', actions: 'stall' },
      on: {
        STEP_FAILED: [
          { guard: 'retriesLeft', actions: 'recordStepFailure' },
          { guard: 'isCurrentStep', target: 'stalled', actions: 'stall' },
        ],
        ...abortBeforePointOfNoReturn,
      },
      states: {
        reserving: {
          ...step('reserving'),
          always: { guard: not('isAutomatic'), target: 'fencing' },
          on: {
            FLEET_SLOT_RESERVED: { target: 'fencing', actions: 'recordTime' },
            FLEET_BRAKE_ENGAGED: { target: '#failover.blocked', actions: 'blockByFleetBrake' },
          },
        },
        fencing: {
          ...step('fencing'),
          // Fencing an unplanned failover's old primary is best effort: it is usually unreachable.
          always: { guard: and(['stepTimedOut', not('isPlanned')]), target: 'draining', actions: 'markFenced' },
          on: {
            FENCED: { target: 'draining', actions: 'markFenced' },
            // Best effort, but with every attempt the policy allows: a throttled fence call is tried again.
            STEP_FAILED: [
              { guard: 'retriesLeft', actions: 'recordStepFailure' },
              { guard: and(['isCurrentStep', not('isPlanned')]), target: 'draining', actions: 'markFenced' },
            ],
            // Checked before fencing too, so a lag block never leaves a fenced primary behind.
            ...blockByLag,
          },
        },
        draining: { ...step('draining'), always: { guard: not('isPlanned'), target: 'promoting' }, on: { DRAINED: { target: 'promoting', actions: 'markDrained' } } },
        promoting: { ...step('promoting'), on: { PROMOTION_STARTED: { target: 'awaitingPromotion', actions: 'markPromotionStarted' }, ...blockByLag } },
        awaitingPromotion: { ...step('awaitingPromotion'), on: { PROMOTED: { target: 'switchingTraffic', actions: ['markPromoted', 'handOverPrimary'] } } },
        switchingTraffic: { ...step('switchingTraffic'), on: { TRAFFIC_SWITCHED: { target: 'awaitingDnsSync', actions: 'markTrafficSwitched' } } },
        awaitingDnsSync: { ...step('awaitingDnsSync'), on: { DNS_IN_SYNC: { target: 'verifying', actions: 'markDnsInSync' } } },
        verifying: { ...step('verifying'), on: { VERIFIED: { target: '#failover.failedOver', actions: 'complete' } } },
      },
    },
    stalled: {
      on: {
        // RETRY runs the step that stalled again: one row per step, in the order of FAILOVER_STEPS.
        RETRY: FAILOVER_STEPS.map((name) => ({ guard: { type: 'stalledAt', params: name }, target: `failingOver.${name}`, actions: 'clearStall' }) as const),
        ...abortBeforePointOfNoReturn,
        // The way on when RETRY keeps failing, at any step: a new failover that accepts data loss replaces the stalled one.
        FAILOVER_REQUESTED: { ...requestFailover, guard: and(['targetIsNotPrimary', 'acceptsDataLoss']), actions: ['clearStall', 'startRequestedFailover'] },
      },
    },
    failedOver: {
      on: {
        ACKNOWLEDGE: [
          // A manual failover made while paused returns to paused: only RESUME re-arms automatic failover.
          { guard: 'wasPaused', target: 'paused', actions: 'acknowledge' },
          { target: 'monitoring', actions: 'acknowledge' },
        ],
        ...operatorRequests,
        ...pause,
      },
    },
    paused: {
      on: {
        RESUME: [
          { guard: 'awaitingAcknowledgement', target: 'failedOver', actions: 'resume' },
          { target: 'monitoring', actions: 'resume' },
        ],
        ...operatorRequests,
      },
    },
  },
});

export type FailoverMachine = typeof failoverMachine;

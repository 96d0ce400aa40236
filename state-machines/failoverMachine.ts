import { and, assign, not, setup } from 'xstate';
import type { FailoverRecord, FailoverStep } from '../src/domain/types.js';
import {
  blockReasonNow,
  canAbortFrom,
  completeFailover,
  freshStep,
  isNewIncident,
  newFailover,
  spendTime,
  stampFailover,
  stepTimedOut,
} from './rules.js';
import type { BlockReason, FailoverContext, FailoverEvent, FailoverInput, FailoverRequest } from './types.js';

/** A block a step's result imposes: the failover it stops is aborted, and only an operator or recovery lifts it. */
function stickyBlock(context: FailoverContext, reason: BlockReason, detail: string, at: number): Partial<FailoverContext> {
  return {
    now: at,
    blocked: { reason, detail, at, sticky: true },
    failover: context.failover && {
      ...context.failover,
      outcome: 'aborted',
      timestamps: { ...context.failover.timestamps, abortedAt: at },
    },
    step: undefined,
  };
}

/**
 * The failover lifecycle of one group. Pure: no I/O, no timers. Time comes in on every event (`at`);
 * the executor performs the step the current state names and feeds the result back as an event.
 *
 * @example
 * const actor = createActor(failoverMachine, { input }).start();
 * actor.send({ type: 'HEALTH', at, assessment, failoverId });
 * actor.getSnapshot().value; // 'monitoring' | { failingOver: 'promoting' } | ...
 */
export const failoverMachine = setup({
  types: {
    context: {} as FailoverContext,
    events: {} as FailoverEvent,
    input: {} as FailoverInput,
  },
  guards: {
    primaryNotDown: ({ context }) =>
      context.assessment?.primaryVerdict !== 'unhealthy' || context.assessment.primaryRegion !== context.primaryRegion,
    isCurrentStep: ({ context, event }) => event.type === 'STEP_FAILED' && event.step === context.step?.name,
    wasPaused: ({ context }) => context.paused !== undefined,
    newIncident: ({ context }) => isNewIncident(context),
    awaitingAcknowledgement: ({ context }) => context.awaitingAcknowledgement,
    shouldBlock: ({ context }) => blockReasonNow(context) !== undefined,
    requiresApproval: ({ context }) => context.settings.mode === 'approval',
    blockLifted: ({ context }) =>
      context.blocked !== undefined && !context.blocked.sticky && blockReasonNow(context) === undefined,
    isAutomatic: ({ context }) => context.failover?.trigger.kind === 'automatic',
    isPlanned: ({ context }) => context.failover?.planned === true,
    stepTimedOut: ({ context }) => stepTimedOut(context),
    retriesLeft: ({ context, event }) =>
      event.type === 'STEP_FAILED' &&
      event.step === context.step?.name &&
      event.retryable &&
      context.step.attempts < context.settings.maxStepAttempts,
    canAbort: ({ context }) => canAbortFrom(context),
    stalledAt: ({ context }, step: FailoverStep) => context.stalled?.step === step,
    targetIsNotPrimary: ({ context, event }) =>
      (event.type === 'FAILOVER_REQUESTED' || event.type === 'SWITCHOVER_REQUESTED') && event.to !== context.primaryRegion,
    acceptsDataLoss: ({ event }) => event.type === 'FAILOVER_REQUESTED' && event.allowDataLoss,
  },
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
    startAutomaticFailover: assign(({ context }) => {
      const { assessment } = context;
      if (assessment?.candidate === undefined) return {};
      // Decided now: in approval mode this is when the proposal was made, and approval is its own step after it.
      return {
        failover: stampFailover(newFailover(context, {
          id: assessment.proposedFailoverId,
          trigger: { kind: 'automatic' },
          reason: `primary ${assessment.primaryRegion} confirmed ${assessment.primaryVerdict} since ${new Date(assessment.primaryVerdictSince).toISOString()}`,
          to: assessment.candidate.region,
          planned: false,
          allowDataLoss: false,
          detectedAt: assessment.primaryVerdictSince,
        }), { decidedAt: context.now }),
        blocked: undefined,
      };
    }),
    startRequestedFailover: assign(({ context, event }) => {
      if (event.type !== 'FAILOVER_REQUESTED' && event.type !== 'SWITCHOVER_REQUESTED') return {};
      const request: FailoverRequest = event;
      return {
        now: request.at,
        failover: newFailover(context, {
          id: request.failoverId,
          trigger: request.trigger,
          reason: request.reason,
          to: request.to,
          planned: event.type === 'SWITCHOVER_REQUESTED',
          allowDataLoss: request.allowDataLoss,
          detectedAt: request.at,
        }),
        blocked: undefined,
        stalled: undefined,
      };
    }),
    approve: assign(({ context, event }) => ({
      now: event.at,
      failover: stampFailover(context.failover, { approvedAt: event.at }),
    })),
    dismissIncident: assign(({ context, event }) => ({
      now: event.at,
      dismissedIncident: context.assessment?.primaryVerdictSince,
      failover:
        context.failover?.outcome === 'in-progress'
          ? ({
              ...context.failover,
              outcome: event.type === 'REJECT' ? 'rejected' : 'aborted',
              timestamps: { ...context.failover.timestamps, abortedAt: event.at },
            } satisfies FailoverRecord)
          : context.failover,
      blocked: undefined,
      stalled: undefined,
      step: undefined,
    })),
    // Pausing while a proposal awaits approval withdraws the proposal but not the incident: after RESUME it is proposed again.
    abandonProposal: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && {
        ...context.failover,
        outcome: 'aborted' as const,
        timestamps: { ...context.failover.timestamps, abortedAt: event.at },
      },
    })),
    block: assign(({ context }) => {
      const reason = blockReasonNow(context);
      return reason === undefined ? {} : { blocked: { ...reason, at: context.now, sticky: false } };
    }),
    blockByFleetBrake: assign(({ context, event }) =>
      stickyBlock(context, 'fleet-brake', event.type === 'FLEET_BRAKE_ENGAGED' ? event.detail : '', event.at),
    ),
    blockByLag: assign(({ context, event }) =>
      stickyBlock(context, 'lag-over-budget', event.type === 'LAG_OVER_BUDGET' ? event.detail : '', event.at),
    ),
    clearBlock: assign({ blocked: undefined }),
    // A retried step re-enters failingOver: the first decision time stands.
    markDecided: assign(({ context }) => ({
      failover: stampFailover(context.failover, { decidedAt: context.failover?.timestamps.decidedAt ?? context.now }),
    })),
    markFenced: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && {
        ...stampFailover(context.failover, { fencedAt: event.at })!,
        fenceOutcome: event.type === 'FENCED' ? event.outcome : `not fenced: ${event.type === 'STEP_FAILED' ? event.error : 'timed out'}`,
      },
    })),
    markDrained: assign(({ context, event }) => ({ now: event.at, failover: stampFailover(context.failover, { drainedAt: event.at }) })),
    markPromotionStarted: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && {
        ...stampFailover(context.failover, { promotionStartedAt: event.at })!,
        replicaLagAtPromotionSeconds: event.type === 'PROMOTION_STARTED' ? event.replicaLagSeconds : undefined,
      },
    })),
    markPromoted: assign(({ context, event }) => ({
      now: event.at,
      // From here on the new region is the writer, whatever happens to the remaining steps.
      primaryRegion: context.failover?.to ?? context.primaryRegion,
      failover: stampFailover(context.failover, { promotedAt: event.at }),
    })),
    markTrafficSwitched: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && {
        ...stampFailover(context.failover, { trafficSwitchedAt: event.at })!,
        dnsChangeId: event.type === 'TRAFFIC_SWITCHED' ? event.changeId : undefined,
      },
    })),
    markDnsInSync: assign(({ context, event }) => ({ now: event.at, failover: stampFailover(context.failover, { dnsInSyncAt: event.at }) })),
    complete: assign(({ context, event }) => ({
      now: event.at,
      failover: context.failover && completeFailover(context.failover, event.at),
      primaryRegion: context.failover?.to ?? context.primaryRegion,
      awaitingAcknowledgement: true,
      step: undefined,
    })),
    recordStepFailure: assign(({ context, event }) => ({
      now: event.at,
      step: context.step && {
        ...spendTime(context.step, event.at, false)!,
        attempts: context.step.attempts + 1,
        lastError: event.type === 'STEP_FAILED' ? event.error : context.step.lastError,
      },
    })),
    stall: assign(({ context, event }) => {
      const step = context.step?.name ?? 'reserving';
      const reason =
        event.type === 'STEP_FAILED'
          ? `${event.error} (attempt ${context.step?.attempts ?? 1} of ${context.settings.maxStepAttempts})`
          : `step ${step} timed out after ${Math.round(context.settings.stepTimeoutsMs[step] / 1000)} s${context.step?.lastError ? `; last error: ${context.step.lastError}` : ''}`;
      return { now: event.at, stalled: { step, reason, at: event.at } };
    }),
    clearStall: assign(({ event }) => ({ now: event.at, stalled: undefined })),
    pause: assign(({ event }) =>
      event.type === 'PAUSE' ? { now: event.at, paused: { principalArn: event.principalArn, reason: event.reason, at: event.at } } : {},
    ),
    resume: assign(({ event }) => ({ now: event.at, paused: undefined })),
    acknowledge: assign(({ event }) => ({ now: event.at, awaitingAcknowledgement: false, blocked: undefined })),
  },
}).createMachine({
  id: 'failover',
  context: ({ input }) => ({
    groupId: input.groupId,
    settings: input.settings,
    primaryRegion: input.primaryRegion,
    now: input.now,
    awaitingAcknowledgement: false,
  }),
  initial: 'monitoring',
  on: {
    CONFIGURE: { actions: 'applySettings' },
    HEALTH: { actions: 'recordAssessment' },
    TICK: { actions: 'recordTime' },
  },
  states: {
    monitoring: {
      always: [
        { guard: and(['newIncident', 'shouldBlock']), target: 'blocked', actions: 'block' },
        { guard: and(['newIncident', 'requiresApproval']), target: 'awaitingApproval', actions: 'startAutomaticFailover' },
        { guard: 'newIncident', target: 'failingOver', actions: 'startAutomaticFailover' },
      ],
      on: {
        FAILOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        SWITCHOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        PAUSE: { target: 'paused', actions: 'pause' },
      },
    },
    awaitingApproval: {
      always: { guard: 'primaryNotDown', target: 'monitoring', actions: 'dismissIncident' },
      on: {
        APPROVE: { target: 'failingOver', actions: 'approve' },
        REJECT: { target: 'monitoring', actions: 'dismissIncident' },
        ABORT: { target: 'monitoring', actions: 'dismissIncident' },
        FAILOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        PAUSE: { target: 'paused', actions: ['abandonProposal', 'pause'] },
      },
    },
    blocked: {
      always: [
        { guard: 'primaryNotDown', target: 'monitoring', actions: 'clearBlock' },
        { guard: 'blockLifted', target: 'monitoring', actions: 'clearBlock' },
      ],
      on: {
        FAILOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        SWITCHOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        ABORT: { target: 'monitoring', actions: 'dismissIncident' },
        ACKNOWLEDGE: { target: 'monitoring', actions: ['acknowledge', 'dismissIncident'] },
        PAUSE: { target: 'paused', actions: 'pause' },
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
        ABORT: { guard: 'canAbort', target: 'monitoring', actions: 'dismissIncident' },
      },
      states: {
        reserving: {
          entry: { type: 'startStep', params: 'reserving' },
          always: { guard: not('isAutomatic'), target: 'fencing' },
          on: {
            FLEET_SLOT_RESERVED: { target: 'fencing', actions: 'recordTime' },
            FLEET_BRAKE_ENGAGED: { target: '#failover.blocked', actions: 'blockByFleetBrake' },
          },
        },
        fencing: {
          entry: { type: 'startStep', params: 'fencing' },
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
            LAG_OVER_BUDGET: { guard: not('isPlanned'), target: '#failover.blocked', actions: 'blockByLag' },
          },
        },
        draining: {
          entry: { type: 'startStep', params: 'draining' },
          always: { guard: not('isPlanned'), target: 'promoting' },
          on: { DRAINED: { target: 'promoting', actions: 'markDrained' } },
        },
        promoting: {
          entry: { type: 'startStep', params: 'promoting' },
          on: {
            PROMOTION_STARTED: { target: 'awaitingPromotion', actions: 'markPromotionStarted' },
            LAG_OVER_BUDGET: { guard: not('isPlanned'), target: '#failover.blocked', actions: 'blockByLag' },
          },
        },
        awaitingPromotion: {
          entry: { type: 'startStep', params: 'awaitingPromotion' },
          on: { PROMOTED: { target: 'switchingTraffic', actions: 'markPromoted' } },
        },
        switchingTraffic: {
          entry: { type: 'startStep', params: 'switchingTraffic' },
          on: { TRAFFIC_SWITCHED: { target: 'awaitingDnsSync', actions: 'markTrafficSwitched' } },
        },
        awaitingDnsSync: {
          entry: { type: 'startStep', params: 'awaitingDnsSync' },
          on: { DNS_IN_SYNC: { target: 'verifying', actions: 'markDnsInSync' } },
        },
        verifying: {
          entry: { type: 'startStep', params: 'verifying' },
          on: { VERIFIED: { target: '#failover.failedOver', actions: 'complete' } },
        },
      },
    },
    stalled: {
      on: {
        RETRY: [
          { guard: { type: 'stalledAt', params: 'reserving' }, target: 'failingOver.reserving', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'fencing' }, target: 'failingOver.fencing', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'draining' }, target: 'failingOver.draining', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'promoting' }, target: 'failingOver.promoting', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'awaitingPromotion' }, target: 'failingOver.awaitingPromotion', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'switchingTraffic' }, target: 'failingOver.switchingTraffic', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'awaitingDnsSync' }, target: 'failingOver.awaitingDnsSync', actions: 'clearStall' },
          { guard: { type: 'stalledAt', params: 'verifying' }, target: 'failingOver.verifying', actions: 'clearStall' },
        ],
        ABORT: { guard: 'canAbort', target: 'monitoring', actions: 'dismissIncident' },
        // The way on when RETRY keeps failing, at any step: a new failover that accepts data loss replaces the stalled one.
        FAILOVER_REQUESTED: {
          guard: and(['targetIsNotPrimary', 'acceptsDataLoss']),
          target: 'failingOver',
          actions: ['clearStall', 'startRequestedFailover'],
        },
      },
    },
    failedOver: {
      on: {
        ACKNOWLEDGE: [
          // A manual failover made while paused returns to paused: only RESUME re-arms automatic failover.
          { guard: 'wasPaused', target: 'paused', actions: 'acknowledge' },
          { target: 'monitoring', actions: 'acknowledge' },
        ],
        FAILOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        SWITCHOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        PAUSE: { target: 'paused', actions: 'pause' },
      },
    },
    paused: {
      on: {
        RESUME: [
          { guard: 'awaitingAcknowledgement', target: 'failedOver', actions: 'resume' },
          { target: 'monitoring', actions: 'resume' },
        ],
        FAILOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
        SWITCHOVER_REQUESTED: { guard: 'targetIsNotPrimary', target: 'failingOver', actions: 'startRequestedFailover' },
      },
    },
  },
});

export type FailoverMachine = typeof failoverMachine;

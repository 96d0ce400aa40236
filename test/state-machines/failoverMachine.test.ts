import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { FailoverStep } from '../../src/domain/types.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { Assessment, FailoverEvent, MachineSettings } from '../../state-machines/types.js';
import { healthy, input, operator, primaryDown, settings, T0 } from './fixtures.js';

type Snapshot = SnapshotFrom<typeof failoverMachine>;
/** An event before the clock stamps it. */
type Untimed<E> = E extends unknown ? Omit<E, 'at'> : never;
type Command = Untimed<FailoverEvent>;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** When the fixture group's primary went down: one incident. */
const INCIDENT = T0 + 5 * SECOND;

/** A group's machine with its own clock: each event happens a second after the previous one unless told otherwise. */
function group(overrides: Partial<MachineSettings> = {}) {
  const actor = createActor(failoverMachine, { input: { ...input, settings: { ...settings, ...overrides } } }).start();
  let now = T0;
  const send = (event: Command, afterMs = SECOND): Snapshot => {
    now += afterMs;
    // Spreading a distributive Omit loses the discriminant in TypeScript's eyes; the union is intact at runtime.
    actor.send({ ...event, at: now } as FailoverEvent);
    return actor.getSnapshot();
  };
  return {
    actor,
    send,
    get now() {
      return now;
    },
    get snapshot() {
      return actor.getSnapshot();
    },
    health: (assess: (at: number) => Assessment, afterMs = SECOND) => send({ type: 'HEALTH', assessment: assess(now + afterMs) }, afterMs),
    by: (type: 'APPROVE' | 'REJECT' | 'ABORT' | 'RETRY' | 'PAUSE' | 'RESUME' | 'ACKNOWLEDGE', afterMs = SECOND) =>
      send({ type, ...operator }, afterMs),
  };
}

type Group = ReturnType<typeof group>;

const down = (since = INCIDENT) => (at: number) => primaryDown(at, { primaryVerdictSince: since });
const up = (at: number) => healthy(at);
const noCandidate = (at: number) =>
  primaryDown(at, {
    primaryVerdictSince: INCIDENT,
    candidate: undefined,
    noCandidateReason: 'lag-over-budget',
    ineligible: [
      { region: 'us-east-1', reason: 'replica lag 45 s over budget 30 s' },
      { region: 'ap-southeast-2', reason: 'unhealthy' },
    ],
  });

function request(to: string): Omit<Extract<FailoverEvent, { type: 'FAILOVER_REQUESTED' }>, 'type' | 'at'> {
  return { ...operator, failoverId: 'fo-operator-1', to, allowDataLoss: false, trigger: { kind: 'operator', principalArn: operator.principalArn } };
}

/** The result events of a successful failover from `step` on, in order. */
function resultsFrom(step: FailoverStep): Command[] {
  const results: Record<FailoverStep, Command> = {
    reserving: { type: 'FLEET_SLOT_RESERVED' },
    fencing: { type: 'FENCED', outcome: 'stopped eu-west-1 writer' },
    draining: { type: 'DRAINED' },
    promoting: { type: 'PROMOTION_STARTED', replicaLagSeconds: 2 },
    awaitingPromotion: { type: 'PROMOTED' },
    switchingTraffic: { type: 'TRAFFIC_SWITCHED', changeId: 'C0123' },
    awaitingDnsSync: { type: 'DNS_IN_SYNC' },
    verifying: { type: 'VERIFIED' },
  };
  const steps = Object.keys(results) as FailoverStep[];
  return steps.slice(steps.indexOf(step)).map((name) => results[name]);
}

/** Feeds results until the machine leaves the failover, skipping results of steps the path does not take. */
function completeFrom(g: Group, step: FailoverStep): Snapshot {
  for (const result of resultsFrom(step)) {
    if (g.snapshot.can({ ...result, at: g.now } as FailoverEvent)) g.send(result);
  }
  return g.snapshot;
}

/** An automatic failover started and stepped until it is in `step`. */
function automaticFailoverAt(step: FailoverStep): Group {
  const g = group();
  g.health(down());
  for (const result of resultsFrom('reserving')) {
    if (g.snapshot.matches({ failingOver: step })) break;
    if (g.snapshot.can({ ...result, at: g.now } as FailoverEvent)) g.send(result);
  }
  expect(g.snapshot.value, 'the failover reaches the step under test').toEqual({ failingOver: step });
  return g;
}

function stallAtFencingOfSwitchover(): Group {
  const g = group();
  g.send({ type: 'SWITCHOVER_REQUESTED', ...request('us-east-1') });
  for (let attempt = 1; attempt <= settings.maxStepAttempts; attempt++) {
    g.send({ type: 'STEP_FAILED', step: 'fencing', error: 'ModifyDBInstance throttled', retryable: true });
  }
  expect(g.snapshot.context.stalled?.step, 'the switchover stalls at fencing').toBe('fencing');
  return g;
}

describe('automatic failover', () => {
  it('fails over through every step to the eligible replica when the primary is confirmed unhealthy', () => {
    // Prepare
    const g = group();

    // Act
    const visited = [g.health(down()).value];
    for (const result of resultsFrom('reserving')) visited.push(g.send(result).value);

    // Assess
    expect(visited).toEqual([
      { failingOver: 'reserving' },
      { failingOver: 'fencing' },
      { failingOver: 'promoting' },
      { failingOver: 'promoting' },
      { failingOver: 'awaitingPromotion' },
      { failingOver: 'switchingTraffic' },
      { failingOver: 'awaitingDnsSync' },
      { failingOver: 'verifying' },
      'failedOver',
    ]);
    expect(g.snapshot.context.primaryRegion).toBe('us-east-1');
    expect(g.snapshot.context.awaitingAcknowledgement).toBe(true);
  });

  it('stamps every step of the failover record and computes the RTO from detection to completion', () => {
    // Prepare
    const g = group();
    const detectedAt = INCIDENT;
    const decidedAt = T0 + SECOND;

    // Act
    g.health(down());
    for (const result of resultsFrom('reserving')) g.send(result, 10 * SECOND);

    // Assess
    const { failover } = g.snapshot.context;
    expect(failover).toEqual({
      id: `fo-${decidedAt}`,
      groupId: 'orders',
      trigger: { kind: 'automatic' },
      reason: expect.stringContaining('primary eu-west-1 confirmed unhealthy'),
      from: 'eu-west-1',
      to: 'us-east-1',
      planned: false,
      allowDataLoss: false,
      outcome: 'completed',
      fenceOutcome: 'stopped eu-west-1 writer',
      replicaLagAtPromotionSeconds: 2,
      dnsChangeId: 'C0123',
      timestamps: {
        detectedAt,
        decidedAt,
        fencedAt: decidedAt + 20 * SECOND,
        promotionStartedAt: decidedAt + 40 * SECOND,
        promotedAt: decidedAt + 50 * SECOND,
        trafficSwitchedAt: decidedAt + 60 * SECOND,
        dnsInSyncAt: decidedAt + 70 * SECOND,
        verifiedAt: decidedAt + 80 * SECOND,
        completedAt: decidedAt + 80 * SECOND,
      },
      rtoMs: decidedAt + 80 * SECOND - detectedAt,
    });
    expect(g.snapshot.context.awaitingAcknowledgement).toBe(true);
  });

  it.each(['suspect', 'unknown'] as const)('does not fail over while the primary is only %s', (verdict) => {
    // Prepare
    const g = group();

    // Act
    const snapshot = g.health((at) => primaryDown(at, { primaryVerdict: verdict }));

    // Assess
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.failover).toBeUndefined();
  });

  it('does not fail over while the primary is healthy', () => {
    // Prepare
    const g = group();

    // Act
    const snapshot = g.health(up);

    // Assess
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.assessment?.primaryVerdict).toBe('healthy');
  });
});

describe('approval mode', () => {
  it('proposes the failover and starts it when an operator approves', () => {
    // Prepare
    const g = group({ mode: 'approval' });

    // Act
    const proposed = g.health(down());
    const approved = g.by('APPROVE', MINUTE);

    // Assess
    expect(proposed.value).toBe('awaitingApproval');
    expect(proposed.context.failover).toMatchObject({ to: 'us-east-1', outcome: 'in-progress' });
    expect(approved.value).toEqual({ failingOver: 'reserving' });
    expect(approved.context.failover?.timestamps).toMatchObject({ detectedAt: INCIDENT, approvedAt: T0 + SECOND + MINUTE });
  });

  it('records the decision when the proposal is made, so the wait for approval is its own step', () => {
    // Prepare
    const g = group({ mode: 'approval' });

    // Act
    g.health(down());
    const approved = g.by('APPROVE', MINUTE);

    // Assess
    expect(approved.context.failover?.timestamps).toMatchObject({ decidedAt: T0 + SECOND, approvedAt: T0 + SECOND + MINUTE });
  });

  it('returns to monitoring on REJECT and does not propose the same incident again', () => {
    // Prepare
    const g = group({ mode: 'approval' });
    g.health(down());

    // Act
    const rejected = g.by('REJECT');
    const later = g.health(down(), MINUTE);

    // Assess
    expect(rejected.value).toBe('monitoring');
    expect(rejected.context.failover?.outcome).toBe('rejected');
    expect(rejected.context.dismissedIncident).toBe(INCIDENT);
    expect(later.value).toBe('monitoring');
  });

  it('proposes a new incident after a rejected one', () => {
    // Prepare
    const g = group({ mode: 'approval' });
    g.health(down());
    g.by('REJECT');
    g.health(up);

    // Act
    const snapshot = g.health(down(g.now + SECOND));

    // Assess
    expect(snapshot.value).toBe('awaitingApproval');
    expect(snapshot.context.failover?.outcome).toBe('in-progress');
  });

  it('drops the proposal when the primary recovers before anyone approves', () => {
    // Prepare
    const g = group({ mode: 'approval' });
    g.health(down());

    // Act
    const snapshot = g.health(up);

    // Assess
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.failover?.outcome).not.toBe('in-progress');
  });
});

describe('manual mode', () => {
  it('blocks with reason manual-mode when the primary is unhealthy', () => {
    // Prepare
    const g = group({ mode: 'manual' });

    // Act
    const snapshot = g.health(down());

    // Assess
    expect(snapshot.value).toBe('blocked');
    expect(snapshot.context.blocked).toMatchObject({ reason: 'manual-mode', sticky: false });
  });

  it('starts the failover an operator requests, skipping the fleet reservation', () => {
    // Prepare
    const g = group({ mode: 'manual' });
    g.health(down());

    // Act
    const snapshot = g.send({ type: 'FAILOVER_REQUESTED', ...request('us-east-1') });

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'fencing' });
    expect(snapshot.context.blocked).toBeUndefined();
    expect(snapshot.context.failover).toMatchObject({
      id: 'fo-operator-1',
      trigger: { kind: 'operator' },
      to: 'us-east-1',
      planned: false,
    });
  });
});

describe('configuration', () => {
  it('lifts a manual-mode block and starts the failover when the group is switched to automatic', () => {
    // Prepare
    const g = group({ mode: 'manual' });
    g.health(down());

    // Act
    const snapshot = g.send({ type: 'CONFIGURE', settings: { ...settings, mode: 'automatic' } });

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'reserving' });
    expect(snapshot.context.settings.mode).toBe('automatic');
  });

  it('applies a shorter step timeout sent mid-failover', () => {
    // Prepare
    const g = automaticFailoverAt('awaitingPromotion');
    g.send({ type: 'CONFIGURE', settings: { ...settings, stepTimeoutsMs: { ...settings.stepTimeoutsMs, awaitingPromotion: MINUTE } } });

    // Act
    const snapshot = g.send({ type: 'TICK' }, MINUTE);

    // Assess
    expect(snapshot.value).toBe('stalled');
    expect(snapshot.context.stalled?.reason).toBe('step awaitingPromotion timed out after 60 s');
  });
});

describe('no eligible replica', () => {
  it('blocks with the reason and detail of the assessment', () => {
    // Prepare
    const g = group();

    // Act
    const snapshot = g.health(noCandidate);

    // Assess
    expect(snapshot.value).toBe('blocked');
    expect(snapshot.context.blocked).toEqual({
      reason: 'lag-over-budget',
      detail: 'us-east-1: replica lag 45 s over budget 30 s; ap-southeast-2: unhealthy',
      at: T0 + SECOND,
      sticky: false,
    });
  });

  it('returns to monitoring when the primary recovers', () => {
    // Prepare
    const g = group();
    g.health(noCandidate);

    // Act
    const snapshot = g.health(up);

    // Assess
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.blocked).toBeUndefined();
  });

  it('starts the failover once a replica becomes eligible during the same incident', () => {
    // Prepare
    const g = group();
    g.health(noCandidate);

    // Act
    const snapshot = g.health(down());

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'reserving' });
  });

  it('does not start the failover when a replica becomes eligible while the primary is unhealthy only by its old verdict (seed 2037486642)', () => {
    // Prepare: blocked with no candidate; then the primary's data plane passes again, but its database cannot be
    // confirmed (the provider API errs), so its verdict stays unhealthy with no observer seeing it fail now.
    const g = group();
    g.health(noCandidate);

    // Act: a replica becomes eligible on the old verdict; later the primary fails again, in the same verdict.
    const stale = g.health((at) => primaryDown(at, { primaryVerdictSince: INCIDENT, primaryFailingNow: false }));
    const failing = g.health((at) => primaryDown(at, { primaryVerdictSince: INCIDENT, primaryFailingNow: true }));

    // Assess
    expect(stale.value).toBe('monitoring');
    expect(failing.value).toEqual({ failingOver: 'reserving' });
  });
});

describe('blocks that come from a step', () => {
  it('blocks stickily when the replica lag measured at promotion is over budget', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');

    // Act
    const snapshot = g.send({ type: 'LAG_OVER_BUDGET', replicaLagSeconds: 45, detail: 'lag 45 s over budget 30 s' });

    // Assess
    expect(snapshot.value).toBe('blocked');
    expect(snapshot.context.blocked).toMatchObject({ reason: 'lag-over-budget', detail: 'lag 45 s over budget 30 s', sticky: true });
    expect(snapshot.context.failover?.outcome).toBe('aborted');
    expect(snapshot.context.primaryRegion).toBe('eu-west-1');
  });

  it('stays blocked by lag when a later assessment finds an eligible replica, until an operator acknowledges', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');
    g.send({ type: 'LAG_OVER_BUDGET', replicaLagSeconds: 45, detail: 'lag 45 s over budget 30 s' });

    // Act
    const afterGoodHealth = g.health(down(), MINUTE);
    const afterTime = g.send({ type: 'TICK' }, 2 * 3_600_000);
    const acknowledged = g.by('ACKNOWLEDGE');

    // Assess
    expect(afterGoodHealth.value).toBe('blocked');
    expect(afterTime.value).toBe('blocked');
    expect(acknowledged.value).toBe('monitoring');
    expect(acknowledged.context.dismissedIncident).toBe(INCIDENT);
  });

  // A sticky block resists an eligible-looking replica, not the end of the incident itself.
  it('returns to monitoring from a lag block when the primary recovers: the incident is over', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');
    g.send({ type: 'LAG_OVER_BUDGET', replicaLagSeconds: 45, detail: 'lag 45 s over budget 30 s' });

    // Act
    const snapshot = g.health(up);

    // Assess
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.blocked).toBeUndefined();
  });

  // A planned switchover's replica was drained to zero lag behind a fenced writer: a lag block would drop it in
  // `monitoring` with the old writer fenced, so the machine does not take one there.
  it('ignores a lag-over-budget result in a planned switchover, whose replica was drained first', () => {
    // Prepare
    const g = group();
    g.health(up);
    g.send({ type: 'SWITCHOVER_REQUESTED', ...request('us-east-1') });
    g.send({ type: 'FENCED', outcome: 'read-only parameter group applied' });
    g.send({ type: 'DRAINED' });

    // Act
    const snapshot = g.send({ type: 'LAG_OVER_BUDGET', replicaLagSeconds: 45, detail: 'lag 45 s over budget 30 s' });

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'promoting' });
    expect(snapshot.context.blocked).toBeUndefined();
  });

  it('blocks stickily on the fleet brake and lets an operator abort', () => {
    // Prepare
    const g = automaticFailoverAt('reserving');

    // Act
    const braked = g.send({ type: 'FLEET_BRAKE_ENGAGED', detail: '3 groups failing over in this account' });
    const afterGoodHealth = g.health(down(), MINUTE);
    const aborted = g.by('ABORT');

    // Assess
    expect(braked.value).toBe('blocked');
    expect(braked.context.blocked).toMatchObject({ reason: 'fleet-brake', detail: '3 groups failing over in this account', sticky: true });
    expect(braked.context.failover?.outcome).toBe('aborted');
    expect(afterGoodHealth.value).toBe('blocked');
    expect(aborted.value).toBe('monitoring');
    expect(aborted.context.blocked).toBeUndefined();
  });
});

describe('step failures and timeouts', () => {
  it('retries a failing step up to maxStepAttempts, then stalls with the last error', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');
    const fail = { type: 'STEP_FAILED', step: 'promoting', error: 'PromoteReadReplica throttled', retryable: true } as const;

    // Act
    const afterFirst = g.send(fail);
    const afterSecond = g.send(fail);
    const afterThird = g.send(fail);

    // Assess
    expect(afterFirst.value).toEqual({ failingOver: 'promoting' });
    expect(afterSecond.context.step).toMatchObject({ name: 'promoting', attempts: 3, lastError: 'PromoteReadReplica throttled' });
    expect(afterThird.value).toBe('stalled');
    expect(afterThird.context.stalled).toEqual({
      step: 'promoting',
      reason: 'PromoteReadReplica throttled (attempt 3 of 3)',
      at: g.now,
    });
  });

  it('stalls at once on a failure that is not retryable', () => {
    // Prepare
    const g = automaticFailoverAt('switchingTraffic');

    // Act
    const snapshot = g.send({ type: 'STEP_FAILED', step: 'switchingTraffic', error: 'AccessDenied', retryable: false });

    // Assess
    expect(snapshot.value).toBe('stalled');
    expect(snapshot.context.stalled?.step).toBe('switchingTraffic');
  });

  it('stalls a step that outlives its timeout when a TICK arrives', () => {
    // Prepare
    const g = automaticFailoverAt('awaitingPromotion');
    const timeout = settings.stepTimeoutsMs.awaitingPromotion;

    // Act
    const justBefore = g.send({ type: 'TICK' }, timeout - SECOND);
    const atTimeout = g.send({ type: 'TICK' }, SECOND);

    // Assess
    expect(justBefore.value).toEqual({ failingOver: 'awaitingPromotion' });
    expect(atTimeout.value).toBe('stalled');
    expect(atTimeout.context.stalled).toEqual({ step: 'awaitingPromotion', reason: 'step awaitingPromotion timed out after 900 s', at: g.now });
  });

  it('resumes the stalled step on RETRY with fresh attempts and a fresh timeout, and completes', () => {
    // Prepare
    const g = automaticFailoverAt('awaitingPromotion');
    g.send({ type: 'TICK' }, settings.stepTimeoutsMs.awaitingPromotion);

    // Act
    const retried = g.by('RETRY', 10 * MINUTE);
    const stillWaiting = g.send({ type: 'TICK' }, settings.stepTimeoutsMs.awaitingPromotion - SECOND);
    const completed = completeFrom(g, 'awaitingPromotion');

    // Assess
    expect(retried.value).toEqual({ failingOver: 'awaitingPromotion' });
    expect(retried.context.stalled).toBeUndefined();
    expect(retried.context.step).toEqual({
      name: 'awaitingPromotion',
      startedAt: retried.context.now,
      attempts: 1,
      spentMs: 0,
      lastActiveAt: retried.context.now,
    });
    expect(stillWaiting.value).toEqual({ failingOver: 'awaitingPromotion' });
    expect(completed.value).toBe('failedOver');
    expect(completed.context.failover?.timestamps.decidedAt).toBe(T0 + SECOND);
  });

  it('refuses RETRY outside the stalled state', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');

    // Act
    const snapshot = g.by('RETRY');

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'promoting' });
    expect(snapshot.context.step?.attempts).toBe(1);
  });
});

describe('abort', () => {
  const abortable: [string, () => Group][] = [
    ['reserving', () => automaticFailoverAt('reserving')],
    ['fencing', () => automaticFailoverAt('fencing')],
    ['stalled at fencing', stallAtFencingOfSwitchover],
  ];

  it.each(abortable)('is allowed from %s and returns to monitoring with the failover aborted', (_, prepare) => {
    // Prepare
    const g = prepare();
    const abort = { type: 'ABORT', ...operator, at: g.now + SECOND } as const;

    // Act
    const allowed = g.snapshot.can(abort);
    const snapshot = g.by('ABORT');

    // Assess
    expect(allowed).toBe(true);
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.failover?.outcome).toBe('aborted');
    expect(snapshot.context.failover?.timestamps.abortedAt).toBe(g.now);
    expect(snapshot.context.primaryRegion).toBe('eu-west-1');
    expect(snapshot.context.step).toBeUndefined();
  });

  it('does not propose an aborted incident again', () => {
    // Prepare
    const g = automaticFailoverAt('fencing');
    g.by('ABORT');

    // Act
    const snapshot = g.health(down(), MINUTE);

    // Assess
    expect(snapshot.value).toBe('monitoring');
  });

  const pastTheFence: [string, () => Group][] = [
    ...(['promoting', 'awaitingPromotion', 'switchingTraffic', 'awaitingDnsSync', 'verifying'] as const).map(
      (step): [string, () => Group] => [step, () => automaticFailoverAt(step)],
    ),
    [
      'stalled at promoting',
      () => {
        const g = automaticFailoverAt('promoting');
        g.send({ type: 'STEP_FAILED', step: 'promoting', error: 'InvalidDBInstanceState', retryable: false });
        return g;
      },
    ],
  ];

  it.each(pastTheFence)('is refused from %s: the state does not change', (_, prepare) => {
    // Prepare
    const g = prepare();
    const before = g.snapshot;

    // Act
    const allowed = before.can({ type: 'ABORT', ...operator, at: g.now + SECOND });
    const after = g.by('ABORT');

    // Assess
    expect(allowed).toBe(false);
    expect(after.value).toEqual(before.value);
    expect(after.context.failover).toEqual(before.context.failover);
  });
});

describe('planned switchover', () => {
  it('fences, then waits for DRAINED before promoting, and completes', () => {
    // Prepare
    const g = group();
    g.health(up);

    // Act
    const fencing = g.send({ type: 'SWITCHOVER_REQUESTED', ...request('us-east-1') });
    const draining = g.send({ type: 'FENCED', outcome: 'read-only parameter group applied' });
    const earlyPromotion = g.send({ type: 'PROMOTION_STARTED', replicaLagSeconds: 0 });
    const promoting = g.send({ type: 'DRAINED' });
    const done = completeFrom(g, 'promoting');

    // Assess
    expect(fencing.value).toEqual({ failingOver: 'fencing' });
    expect(draining.value).toEqual({ failingOver: 'draining' });
    expect(earlyPromotion.value).toEqual({ failingOver: 'draining' });
    expect(promoting.value).toEqual({ failingOver: 'promoting' });
    expect(done.value).toBe('failedOver');
    expect(done.context.failover).toMatchObject({ planned: true, outcome: 'completed' });
    expect(done.context.failover?.timestamps.drainedAt).toBe(T0 + 5 * SECOND);
    expect(done.context.failover?.rtoMs).toBe(done.context.failover!.timestamps.completedAt! - (T0 + 2 * SECOND));
  });

  it('stalls after the retries when fencing keeps failing', () => {
    // Act
    const g = stallAtFencingOfSwitchover();

    // Assess
    expect(g.snapshot.value).toBe('stalled');
    expect(g.snapshot.context.stalled?.step).toBe('fencing');
    expect(g.snapshot.context.failover?.timestamps.fencedAt).toBeUndefined();
  });

  it('stalls when fencing times out', () => {
    // Prepare
    const g = group();
    g.send({ type: 'SWITCHOVER_REQUESTED', ...request('us-east-1') });

    // Act
    const snapshot = g.send({ type: 'TICK' }, settings.stepTimeoutsMs.fencing);

    // Assess
    expect(snapshot.value).toBe('stalled');
    expect(snapshot.context.stalled?.step).toBe('fencing');
  });
});

describe('unplanned fencing is best effort', () => {
  // Regression test (#8 §4): on main one retryable error (a throttled ModifyDBInstance) gave up fencing at once.
  it('tries a fence that fails with a retryable error maxStepAttempts times before moving on unfenced', () => {
    // Prepare
    const g = automaticFailoverAt('fencing');
    const fail = { type: 'STEP_FAILED', step: 'fencing', error: 'eu-west-1 endpoint unreachable', retryable: true } as const;

    // Act
    const attempts = Array.from({ length: settings.maxStepAttempts }, () => g.send(fail));

    // Assess
    expect(attempts.slice(0, -1).map((snapshot) => snapshot.value)).toEqual(
      Array.from({ length: settings.maxStepAttempts - 1 }, () => ({ failingOver: 'fencing' })),
    );
    expect(attempts[1]?.context.step).toMatchObject({ name: 'fencing', attempts: 3, lastError: 'eu-west-1 endpoint unreachable' });
    expect(g.snapshot.value).toEqual({ failingOver: 'promoting' });
    expect(g.snapshot.context.failover?.fenceOutcome).toBe('not fenced: eu-west-1 endpoint unreachable');
  });

  it('moves on unfenced at once when the fence fails with an error that is not retryable', () => {
    // Prepare
    const g = automaticFailoverAt('fencing');

    // Act
    const snapshot = g.send({ type: 'STEP_FAILED', step: 'fencing', error: 'AccessDenied', retryable: false });

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'promoting' });
    expect(snapshot.context.failover?.fenceOutcome).toBe('not fenced: AccessDenied');
  });

  it('proceeds to promotion when fencing times out', () => {
    // Prepare
    const g = automaticFailoverAt('fencing');

    // Act
    const snapshot = g.send({ type: 'TICK' }, settings.stepTimeoutsMs.fencing);

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'promoting' });
    expect(snapshot.context.failover?.fenceOutcome).toBe('not fenced: timed out');
  });
});

describe('after a failover', () => {
  /** Failed over to us-east-1; then the new primary goes down with eu-west-1 eligible. */
  function failedOverThenNewPrimaryDown(): Group {
    const g = automaticFailoverAt('verifying');
    g.send({ type: 'VERIFIED' });
    g.health((at) =>
      primaryDown(at, { primaryRegion: 'us-east-1', primaryVerdictSince: at - 15 * SECOND, candidate: { region: 'eu-west-1', replicaLagSeconds: 1 } }),
    );
    return g;
  }

  it('suppresses automatic failover until an operator acknowledges', () => {
    // Act
    const g = failedOverThenNewPrimaryDown();

    // Assess
    expect(g.snapshot.value).toBe('failedOver');
    expect(g.snapshot.context.failover?.outcome).toBe('completed');
  });

  // Regression test (#8 §6): on main the acknowledgement left the group blocked by a cooldown for the rest of the hour.
  it('re-arms automatic failover at once when an operator acknowledges: no cooldown after the acknowledgement', () => {
    // Prepare
    const g = failedOverThenNewPrimaryDown();

    // Act
    const acknowledged = g.by('ACKNOWLEDGE');

    // Assess
    expect(acknowledged.value).toEqual({ failingOver: 'reserving' });
    expect(acknowledged.context.awaitingAcknowledgement).toBe(false);
    expect(acknowledged.context.blocked).toBeUndefined();
    expect(acknowledged.context.failover).toMatchObject({ from: 'us-east-1', to: 'eu-west-1', outcome: 'in-progress' });
  });

  // Regression test for a bug the graph and behaviour tests found (fixed in the machine).
  it('does not take the old primary\'s assessment for an incident of the new primary', () => {
    // Prepare
    const g = automaticFailoverAt('verifying');
    g.send({ type: 'VERIFIED' });

    // Act
    const acknowledged = g.by('ACKNOWLEDGE');
    const afterCooldown = g.send({ type: 'TICK' }, 60 * MINUTE);

    // Assess
    expect(acknowledged.value).toBe('monitoring');
    expect(afterCooldown.value).toBe('monitoring');
  });

  it('refuses a failover request to the region that is now the primary', () => {
    // Prepare
    const g = automaticFailoverAt('verifying');
    g.send({ type: 'VERIFIED' });
    const toPrimary = { type: 'FAILOVER_REQUESTED', ...request('us-east-1') } as const;

    // Act
    const allowed = g.snapshot.can({ ...toPrimary, at: g.now + SECOND });
    const snapshot = g.send(toPrimary);

    // Assess
    expect(allowed).toBe(false);
    expect(snapshot.value).toBe('failedOver');
  });
});

describe('pause', () => {
  it('suppresses automatic failover while paused', () => {
    // Prepare
    const g = group();
    g.by('PAUSE');

    // Act
    const snapshot = g.health(down());

    // Assess
    expect(snapshot.value).toBe('paused');
    expect(snapshot.context.paused).toMatchObject({ principalArn: operator.principalArn, at: T0 + SECOND });
  });

  it('starts the automatic failover on RESUME when the primary is still down', () => {
    // Prepare
    const g = group();
    g.by('PAUSE');
    g.health(down());

    // Act
    const snapshot = g.by('RESUME');

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'reserving' });
    expect(snapshot.context.paused).toBeUndefined();
  });

  // Regression test for a bug the graph and behaviour tests found (fixed in the machine).
  it('proposes the ongoing incident again after a pause during approval is resumed', () => {
    // Prepare
    const g = group({ mode: 'approval' });
    g.health(down());
    g.by('PAUSE');

    // Act
    g.by('RESUME');
    const snapshot = g.health(down());

    // Assess
    expect(snapshot.value).toBe('awaitingApproval');
  });

  it('still lets an operator request a failover while paused', () => {
    // Prepare
    const g = group();
    g.by('PAUSE');

    // Act
    const snapshot = g.send({ type: 'FAILOVER_REQUESTED', ...request('us-east-1') });

    // Assess
    expect(snapshot.value).toEqual({ failingOver: 'fencing' });
  });

  it('returns to failedOver on RESUME when an acknowledgement is pending', () => {
    // Prepare
    const g = automaticFailoverAt('verifying');
    g.send({ type: 'VERIFIED' });
    g.by('PAUSE');

    // Act
    const snapshot = g.by('RESUME');

    // Assess
    expect(snapshot.value).toBe('failedOver');
    expect(snapshot.context.awaitingAcknowledgement).toBe(true);
  });
});

describe('operator requests', () => {
  it('refuses a failover request to the current primary', () => {
    // Prepare
    const g = group();
    const toPrimary = { type: 'FAILOVER_REQUESTED', ...request('eu-west-1') } as const;

    // Act
    const allowed = g.snapshot.can({ ...toPrimary, at: g.now + SECOND });
    const snapshot = g.send(toPrimary);

    // Assess
    expect(allowed).toBe(false);
    expect(snapshot.value).toBe('monitoring');
    expect(snapshot.context.failover).toBeUndefined();
  });

  it('measures an operator failover from the request', () => {
    // Prepare
    const g = group();
    const requestedAt = T0 + SECOND;

    // Act
    g.send({ type: 'FAILOVER_REQUESTED', ...request('us-east-1') });
    const done = completeFrom(g, 'fencing');

    // Assess
    expect(done.value).toBe('failedOver');
    expect(done.context.failover?.timestamps).toMatchObject({ detectedAt: requestedAt, decidedAt: requestedAt });
    expect(done.context.failover?.rtoMs).toBe(g.now - requestedAt);
  });
});

describe('time a step spent', () => {
  // Regression test (#8 §5): on main a successor that started after a gap found the step timed out and skipped fencing
  // without ever calling fence.
  it('does not count the gap before a new executor session: a successor an hour later still fences', () => {
    // Prepare
    const g = automaticFailoverAt('fencing');
    g.send({ type: 'TICK' }, 10 * SECOND);

    // Act: the executor died; the next session begins with CONFIGURE an hour later.
    const resumed = g.send({ type: 'CONFIGURE', settings }, 60 * MINUTE);

    // Assess
    expect(resumed.value).toEqual({ failingOver: 'fencing' });
    expect(resumed.context.failover?.fenceOutcome).toBeUndefined();
    expect(resumed.context.step).toMatchObject({ name: 'fencing', spentMs: 10 * SECOND, lastActiveAt: g.now });
  });

  it('counts the time between the events of one session, and times the step out once it has spent its timeout', () => {
    // Prepare
    const g = automaticFailoverAt('awaitingPromotion');
    const timeout = settings.stepTimeoutsMs.awaitingPromotion;
    g.send({ type: 'TICK' }, timeout / 2);
    g.send({ type: 'CONFIGURE', settings }, 6 * 60 * MINUTE);

    // Act
    const justBefore = g.send({ type: 'TICK' }, timeout / 2 - SECOND);
    const atTimeout = g.send({ type: 'HEALTH', assessment: primaryDown(g.now + SECOND, { primaryVerdictSince: INCIDENT }) });

    // Assess
    expect(justBefore.value).toEqual({ failingOver: 'awaitingPromotion' });
    expect(atTimeout.value).toBe('stalled');
    expect(atTimeout.context.stalled?.reason).toBe('step awaitingPromotion timed out after 900 s');
  });

  it('keeps a planned switchover\'s fencing from stalling on a gap nobody ran it in', () => {
    // Prepare
    const g = group();
    g.send({ type: 'SWITCHOVER_REQUESTED', ...request('us-east-1') });

    // Act
    const resumed = g.send({ type: 'CONFIGURE', settings }, 2 * settings.stepTimeoutsMs.fencing);

    // Assess
    expect(resumed.value).toEqual({ failingOver: 'fencing' });
  });
});

describe('a way on from a stalled failover', () => {
  /** An operator failover stalled at `promoting`: the promote call keeps failing (Aurora refusing without AllowDataLoss). */
  function stalledAtPromoting(): Group {
    const g = group();
    g.send({ type: 'FAILOVER_REQUESTED', ...request('us-east-1') });
    g.send({ type: 'FENCED', outcome: 'fenced' });
    g.send({ type: 'STEP_FAILED', step: 'promoting', error: 'FailoverGlobalCluster needs AllowDataLoss', retryable: false });
    expect(g.snapshot.context.stalled?.step, 'the failover stalls at promoting').toBe('promoting');
    return g;
  }

  // Regression test (#8 §4): on main a failover stalled at promoting took RETRY only; ABORT is past the point of no return.
  it('replaces a failover stalled at promoting with a new one that accepts data loss, to the same target', () => {
    // Prepare
    const g = stalledAtPromoting();
    const stalledId = g.snapshot.context.failover?.id;

    // Act
    const replaced = g.send({ type: 'FAILOVER_REQUESTED', ...request('us-east-1'), failoverId: 'fo-operator-2', allowDataLoss: true });
    const done = completeFrom(g, 'fencing');

    // Assess
    expect(replaced.value).toEqual({ failingOver: 'fencing' });
    expect(replaced.context.stalled).toBeUndefined();
    expect(replaced.context.failover).toMatchObject({ id: 'fo-operator-2', from: 'eu-west-1', to: 'us-east-1', allowDataLoss: true, outcome: 'in-progress' });
    expect(stalledId).toBe('fo-operator-1');
    expect(done.value).toBe('failedOver');
  });

  it('does not let a plain failover request replace a stalled failover: only one that accepts data loss', () => {
    // Prepare
    const g = stalledAtPromoting();

    // Act
    const can = g.snapshot.can({ type: 'FAILOVER_REQUESTED', ...request('ap-southeast-2'), at: g.now + SECOND });

    // Assess
    expect(can).toBe(false);
  });
});

describe('results for another step', () => {
  const strays: [FailoverStep, Command][] = [
    ['fencing', { type: 'PROMOTED' }],
    ['reserving', { type: 'DNS_IN_SYNC' }],
    ['promoting', { type: 'FENCED', outcome: 'stopped' }],
    ['awaitingDnsSync', { type: 'VERIFIED' }],
    ['verifying', { type: 'FLEET_SLOT_RESERVED' }],
  ];

  it.each(strays)('are ignored: in %s, %o changes nothing', (step, stray) => {
    // Prepare
    const g = automaticFailoverAt(step);
    const before = g.snapshot;

    // Act
    const after = g.send(stray);

    // Assess
    expect(after.value).toEqual(before.value);
    expect(after.context.failover).toEqual(before.context.failover);
    expect(after.context.step).toEqual(before.context.step);
  });

  // Regression test for a bug the graph and behaviour tests found (fixed in the machine).
  it('ignores a STEP_FAILED that names another step', () => {
    // Prepare
    const g = automaticFailoverAt('promoting');
    const before = g.snapshot;

    // Act
    const after = g.send({ type: 'STEP_FAILED', step: 'fencing', error: 'late fencing failure', retryable: true });

    // Assess
    expect(after.context.step).toEqual(before.context.step);
  });
});

describe('persistence', () => {
  /** What the state store keeps: the persisted snapshot as JSON text. */
  function persist(g: Group): string {
    return JSON.stringify(g.actor.getPersistedSnapshot());
  }

  function restore(stored: string) {
    // The types ask for input too; a restored actor takes its context from the snapshot and ignores it.
    return createActor(failoverMachine, { snapshot: JSON.parse(stored) as Snapshot, input }).start();
  }

  const scenario: Command[] = [
    { type: 'HEALTH', assessment: primaryDown(T0 + SECOND, { primaryVerdictSince: INCIDENT }) },
    ...resultsFrom('reserving').slice(0, 3),
    { type: 'STEP_FAILED', step: 'awaitingPromotion', error: 'throttled', retryable: true },
    { type: 'TICK' },
    ...resultsFrom('awaitingPromotion'),
    { type: 'ACKNOWLEDGE', ...operator },
  ];

  it.each(scenario.map((_, index) => index))('restores a snapshot persisted after event %i and continues identically', (index) => {
    // Prepare
    const original = group();
    for (const event of scenario.slice(0, index + 1)) original.send(event);
    const restored = restore(persist(original));

    // Act
    const trail: [unknown, unknown][] = [];
    let at = original.now;
    for (const event of scenario.slice(index + 1)) {
      at += SECOND;
      original.send(event);
      restored.send({ ...event, at } as FailoverEvent);
      trail.push([original.snapshot.value, restored.getSnapshot().value]);
    }

    // Assess
    expect(restored.getSnapshot().value).toEqual(original.snapshot.value);
    expect(restored.getPersistedSnapshot()).toEqual(original.actor.getPersistedSnapshot());
    for (const [fromOriginal, fromRestored] of trail) expect(fromRestored).toEqual(fromOriginal);
  });

  it('keeps a stalled failover stalled across a restore, with its reason', () => {
    // Prepare
    const original = stallAtFencingOfSwitchover();

    // Act
    const restored = restore(persist(original));
    restored.send({ type: 'RETRY', ...operator, at: original.now + SECOND });

    // Assess
    expect(JSON.parse(persist(original))).toMatchObject({ value: 'stalled', context: { stalled: { step: 'fencing' } } });
    expect(restored.getSnapshot().value).toEqual({ failingOver: 'fencing' });
  });
});

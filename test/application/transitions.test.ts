import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { describeTransition } from '../../src/application/transitions.js';
import type { GroupConfig } from '../../src/config/schema.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { input, primaryDown, T0 } from '../state-machines/fixtures.js';
import { confirmDown, drillConfig, FAR_REPLICA, inMemoryWorld, PRIMARY, REPLICA } from './harness.js';

describe('describeTransition', () => {
  it('tells people an aborted switchover left the old primary fenced', () => {
    // Prepare: a planned switchover that fenced the primary, then waits to drain.
    const group = drillConfig().groups[0]!;
    const principal = { principalArn: 'arn:aws:iam::000000000000:user/oncall', reason: 'maintenance', commandId: 'c1' };
    let [snapshot] = initialTransition(failoverMachine, input);
    [snapshot] = transition(failoverMachine, snapshot, {
      type: 'SWITCHOVER_REQUESTED',
      at: T0 + 1_000,
      ...principal,
      failoverId: 'fo-1',
      to: 'us-east-1',
      allowDataLoss: false,
      trigger: { kind: 'operator', principalArn: principal.principalArn },
    });
    [snapshot] = transition(failoverMachine, snapshot, { type: 'FENCED', at: T0 + 2_000, outcome: 'fenced' });
    const abort = { type: 'ABORT' as const, at: T0 + 3_000, ...principal, reason: 'replica will not catch up' };

    // Act
    const [after] = transition(failoverMachine, snapshot, abort);
    const { notifications } = describeTransition(group, snapshot, after, abort);

    // Assess
    expect(after.value).toBe('monitoring');
    expect(notifications.map((notification) => notification.type)).toEqual(['failover-aborted']);
    expect(notifications[0]?.text).toContain('eu-west-1 was fenced during the attempt and stays fenced');
  });

  // Regression test (#8 §7): on main the replaced proposal was never closed and stayed `in-progress` forever.
  it('closes a proposal awaiting approval as aborted when an operator failover replaces it, saying by what', () => {
    // Prepare
    const group = drillConfig().groups[0]!;
    const principal = { principalArn: 'arn:aws:iam::000000000000:user/oncall', reason: 'go to ap-southeast-2', commandId: 'c2' };
    let [snapshot] = initialTransition(failoverMachine, { ...input, settings: { ...input.settings, mode: 'approval' } });
    [snapshot] = transition(failoverMachine, snapshot, {
      type: 'HEALTH',
      at: T0 + 1_000,
      assessment: primaryDown(T0 + 1_000, { proposedFailoverId: 'fo-proposed' }),
    });
    const request = {
      type: 'FAILOVER_REQUESTED' as const,
      at: T0 + 2_000,
      ...principal,
      failoverId: 'fo-operator',
      to: 'ap-southeast-2',
      allowDataLoss: false,
      trigger: { kind: 'operator' as const, principalArn: principal.principalArn },
    };

    // Act
    const [after] = transition(failoverMachine, snapshot, request);
    const effects = describeTransition(group, snapshot, after, request);

    // Assess
    expect(snapshot.value).toBe('awaitingApproval');
    expect(effects.failover).toMatchObject({ id: 'fo-operator', outcome: 'in-progress' });
    expect(effects.closedFailover).toMatchObject({
      id: 'fo-proposed',
      outcome: 'aborted',
      timestamps: { abortedAt: T0 + 2_000 },
      endReason: `superseded by failover fo-operator (eu-west-1 → ap-southeast-2) requested by ${principal.principalArn}`,
    });
    expect(effects.events.map((event) => event.type)).toContain('FAILOVER_SUPERSEDED');
    expect(effects.notifications.map((notification) => notification.type)).toContain('failover-started');
  });

  it('leaves no proposal in progress in the event log after an operator failover replaced it', async () => {
    // Prepare
    const { deps, group, clock } = inMemoryWorld(drillConfig((config) => {
      (config.groups[0] as GroupConfig).mode = 'approval';
    }));
    await confirmDown(deps, group, [PRIMARY]);
    await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: clock.now() + 60_000 });
    await deps.commands.enqueue({
      id: 'c-operator',
      groupId: group.id,
      type: 'failover',
      principalArn: 'arn:aws:iam::000000000000:user/oncall',
      reason: 'take the far replica',
      requestedAt: clock.now(),
      targetRegion: FAR_REPLICA,
      allowDataLoss: true,
    });

    // Act
    await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: clock.now() + 60_000 });
    const records = await deps.eventLog.listFailovers(group.id);

    // Assess
    expect(records.map((record) => [record.to, record.outcome])).toEqual(
      expect.arrayContaining([[REPLICA, 'aborted'], [FAR_REPLICA, 'completed']]),
    );
    expect(records.filter((record) => record.outcome === 'in-progress')).toEqual([]);
  });

  it('tells the operator of a completed failover that acknowledging re-arms automatic failover at once', () => {
    // Prepare
    const group = drillConfig().groups[0]!;
    let [snapshot] = initialTransition(failoverMachine, input);
    const principal = { principalArn: 'arn:aws:iam::000000000000:user/oncall', reason: 'move', commandId: 'c1' };
    [snapshot] = transition(failoverMachine, snapshot, {
      type: 'FAILOVER_REQUESTED', at: T0 + 1_000, ...principal, failoverId: 'fo-1', to: 'us-east-1', allowDataLoss: false,
      trigger: { kind: 'operator', principalArn: principal.principalArn },
    });
    [snapshot] = transition(failoverMachine, snapshot, { type: 'FENCED', at: T0 + 2_000, outcome: 'fenced' });
    for (const type of ['PROMOTION_STARTED', 'PROMOTED', 'TRAFFIC_SWITCHED', 'DNS_IN_SYNC'] as const) {
      [snapshot] = transition(failoverMachine, snapshot, { type, at: T0 + 3_000 });
    }
    const verified = { type: 'VERIFIED' as const, at: T0 + 5_000 };

    // Act
    const [after] = transition(failoverMachine, snapshot, verified);
    const { notifications } = describeTransition(group, snapshot, after, verified);

    // Assess
    expect(after.value).toBe('failedOver');
    expect(notifications.find((notification) => notification.type === 'failover-completed')?.text).toContain(
      'automatic failover stays off after a completed failover until an operator acknowledges it; acknowledging re-arms it at once',
    );
  });
});

describe('describeTransition: the words of the event log', () => {
  // Regression test (#13 §3): on main a promotion without a lag reading was logged as "replica lag unknown s".
  it('says the replica lag is unknown, without a unit, when the promotion started without a reading', () => {
    // Prepare
    const group = drillConfig().groups[0]!;
    const principal = { principalArn: 'arn:aws:iam::000000000000:user/oncall', reason: 'move', commandId: 'c1' };
    let [snapshot] = initialTransition(failoverMachine, input);
    [snapshot] = transition(failoverMachine, snapshot, {
      type: 'FAILOVER_REQUESTED', at: T0 + 1_000, ...principal, failoverId: 'fo-1', to: 'us-east-1', allowDataLoss: true,
      trigger: { kind: 'operator', principalArn: principal.principalArn },
    });
    [snapshot] = transition(failoverMachine, snapshot, { type: 'FENCED', at: T0 + 2_000, outcome: 'fenced' });
    const unknownLag = { type: 'PROMOTION_STARTED' as const, at: T0 + 3_000 };
    const knownLag = { type: 'PROMOTION_STARTED' as const, at: T0 + 3_000, replicaLagSeconds: 4 };

    // Act
    const [unknown, known] = [unknownLag, knownLag].map((event) => {
      const [after] = transition(failoverMachine, snapshot, event);
      return describeTransition(group, snapshot, after, event).events[0]?.message;
    });

    // Assess
    expect(unknown).toMatch(/^promotion of us-east-1 started \(replica lag unknown\) /);
    expect(known).toMatch(/^promotion of us-east-1 started \(replica lag 4 s\) /);
  });
});

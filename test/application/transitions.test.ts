import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { describeTransition } from '../../src/application/transitions.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { input, T0 } from '../state-machines/fixtures.js';
import { drillConfig } from './harness.js';

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
});

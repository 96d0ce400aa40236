import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { decideCommand, operatorExits, type CommandDecision } from '../../src/application/commands.js';
import type { FailoverSnapshot } from '../../src/application/snapshot.js';
import type { RegionHealth } from '../../src/domain/types.js';
import type { OperatorCommand } from '../../src/ports/CommandQueue.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { input, T0 } from '../state-machines/fixtures.js';
import { drillConfig, FAR_REPLICA, PRIMARY, REPLICA } from './harness.js';

const SECOND = 1_000;
const NOW = T0 + 60 * SECOND;
const group = drillConfig().groups[0]!;
const principal = { principalArn: 'arn:aws:iam::123456789012:role/oncall', reason: 'incident', commandId: 'c-1' };

function monitoring(): FailoverSnapshot {
  return initialTransition(failoverMachine, input)[0];
}

function replica(region: string, overrides: Partial<RegionHealth> = {}): RegionHealth {
  return {
    region,
    verdict: 'healthy',
    since: T0,
    failingObservers: [],
    recoveredObservers: [],
    staleObservers: [],
    reasons: [],
    databaseRole: 'replica',
    replicationSource: PRIMARY,
    replicaLagSeconds: 2,
    replicaLagMeasuredAt: NOW - 5 * SECOND,
    ...overrides,
  };
}

function failover(to: string, options: Partial<OperatorCommand> = {}): OperatorCommand {
  return { id: 'c-1', groupId: group.id, type: 'failover', principalArn: principal.principalArn, reason: 'incident', requestedAt: NOW, targetRegion: to, ...options };
}

function decide(snapshot: FailoverSnapshot, health: Record<string, RegionHealth>, command: OperatorCommand): CommandDecision {
  return decideCommand({ group, snapshot, health, command, failoverId: 'fo-new', now: NOW });
}

/** An operator failover to `to` stalled at promoting: the promote call failed for good. */
function stalledAtPromoting(to = REPLICA): FailoverSnapshot {
  const events: FailoverEvent[] = [
    { type: 'FAILOVER_REQUESTED', at: T0 + SECOND, ...principal, failoverId: 'fo-1', to, allowDataLoss: false, trigger: { kind: 'operator', principalArn: principal.principalArn } },
    { type: 'FENCED', at: T0 + 2 * SECOND, outcome: 'fenced' },
    { type: 'STEP_FAILED', at: T0 + 3 * SECOND, step: 'promoting', error: 'FailoverGlobalCluster refused: AllowDataLoss not set', retryable: false },
  ];
  return events.reduce((snapshot, event) => transition(failoverMachine, snapshot, event)[0], monitoring());
}

describe('decideCommand: a plain failover decides on fresh evidence only', () => {
  // Regression test (#8 §5): on main an hour-old lag of 2 s passed the budget and was recorded as the data-loss window.
  it('refuses a plain failover when the target lag was measured over two probe intervals ago, calling it unknown', () => {
    // Prepare
    const health = { [REPLICA]: replica(REPLICA, { replicaLagMeasuredAt: NOW - 3_600_000 }) };

    // Act
    const decision = decide(monitoring(), health, failover(REPLICA));

    // Assess
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toContain(`replica lag of ${REPLICA} is unknown or stale`);
    expect(decision.kind === 'refused' && decision.reason).toContain('--allow-data-loss');
  });

  it('accepts a plain failover over a lag measured within the probe intervals, stating the window', () => {
    // Act
    const decision = decide(monitoring(), { [REPLICA]: replica(REPLICA) }, failover(REPLICA));

    // Assess
    expect(decision.kind).toBe('accept');
    expect(decision.kind === 'accept' && decision.summary).toContain('expected data loss: up to 2 s of writes');
  });

  // Regression test (#8 §2): on main a replica that follows another region was promoted by a plain failover.
  it('refuses a plain failover to an orphaned replica, saying what it replicates from and what would be lost', () => {
    // Prepare
    const health = { [FAR_REPLICA]: replica(FAR_REPLICA, { replicationSource: REPLICA }) };

    // Act
    const decision = decide(monitoring(), health, failover(FAR_REPLICA));

    // Assess
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toBe(
      `${FAR_REPLICA} is orphaned: it replicates from ${REPLICA}, not from the primary ${PRIMARY}, so promoting it would drop every write ${PRIMARY} took since ${FAR_REPLICA} stopped following it. Re-run with --allow-data-loss to accept that`,
    );
  });

  it('fails over to an orphaned replica with --allow-data-loss, saying the loss is every write since it stopped following the primary', () => {
    // Prepare
    const health = { [FAR_REPLICA]: replica(FAR_REPLICA, { replicationSource: REPLICA }) };

    // Act
    const decision = decide(monitoring(), health, failover(FAR_REPLICA, { allowDataLoss: true }));

    // Assess
    expect(decision.kind).toBe('accept');
    expect(decision.kind === 'accept' && decision.summary).toContain(
      `expected data loss: every write ${PRIMARY} took since ${FAR_REPLICA} stopped following it`,
    );
  });

  it('does not choose an orphaned replica itself when no --to is given', () => {
    // Prepare
    const health = {
      [REPLICA]: replica(REPLICA, { replicationSource: FAR_REPLICA }),
      [FAR_REPLICA]: replica(FAR_REPLICA),
    };

    // Act
    const decision = decide(monitoring(), health, { ...failover(REPLICA), targetRegion: undefined });

    // Assess
    expect(decision.kind === 'accept' && decision.event.type === 'FAILOVER_REQUESTED' && decision.event.to).toBe(FAR_REPLICA);
  });

  // Regression test (#8 §5): on main --allow-data-loss to a diverged standalone was taken as "already promoted",
  // with the data loss shown as "unknown".
  it('refuses even with --allow-data-loss a failover to a standalone database that diverged from the primary', () => {
    // Prepare
    const health = { [REPLICA]: replica(REPLICA, { databaseRole: 'standalone', replicationSource: undefined, replicaLagSeconds: undefined }) };

    // Act
    const decision = decide(monitoring(), health, failover(REPLICA, { allowDataLoss: true }));

    // Assess
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toContain(`${REPLICA} is a standalone database, not a replica of the primary ${PRIMARY}: it diverged`);
    expect(decision.kind === 'refused' && decision.reason).toContain('--allow-data-loss does not cover that');
  });
});

describe('decideCommand: a stalled failover', () => {
  // Regression test (#8 §4): on main `failover --allow-data-loss` answered 409 while stalled, leaving RETRY only.
  it('accepts failover --allow-data-loss to the stalled target, whose standalone role is this failover\'s own promotion', () => {
    // Prepare
    const health = { [REPLICA]: replica(REPLICA, { databaseRole: 'standalone', replicationSource: undefined }) };

    // Act
    const decision = decide(stalledAtPromoting(), health, failover(REPLICA, { allowDataLoss: true }));

    // Assess
    expect(decision.kind).toBe('accept');
    expect(decision.kind === 'accept' && decision.summary).toContain('replaces stalled failover fo-1, which is closed as aborted');
  });

  it('answers a plain failover while stalled with a conflict that names the ways on', () => {
    // Act
    const decision = decide(stalledAtPromoting(), { [FAR_REPLICA]: replica(FAR_REPLICA) }, failover(FAR_REPLICA));

    // Assess
    expect(decision.kind).toBe('conflict');
    expect(decision.kind === 'conflict' && decision.reason).toContain(`fcp retry ${group.id}, fcp failover ${group.id} --to <region> --allow-data-loss`);
  });

  it('lists retry and failovers that accept data loss as the ways on from a failover stalled at promoting', () => {
    // Act
    const exits = operatorExits(group, stalledAtPromoting(), { [FAR_REPLICA]: replica(FAR_REPLICA) }, NOW);

    // Assess
    expect(exits.map((exit) => exit.command)).toEqual([
      `fcp retry ${group.id} --reason "..."`,
      `fcp failover ${group.id} --to ${REPLICA} --allow-data-loss --reason "..."`,
      `fcp failover ${group.id} --to ${FAR_REPLICA} --allow-data-loss --reason "..."`,
    ]);
  });
});

describe('decideCommand: acknowledge', () => {
  it('says the acknowledgement re-arms automatic failover at once', () => {
    // Prepare
    const completed = (['FAILOVER_REQUESTED', 'FENCED', 'PROMOTION_STARTED', 'PROMOTED', 'TRAFFIC_SWITCHED', 'DNS_IN_SYNC', 'VERIFIED'] as const).reduce(
      (snapshot, type, index) => {
        const at = T0 + (index + 1) * SECOND;
        const event: FailoverEvent =
          type === 'FAILOVER_REQUESTED'
            ? { type, at, ...principal, failoverId: 'fo-1', to: REPLICA, allowDataLoss: false, trigger: { kind: 'operator', principalArn: principal.principalArn } }
            : type === 'FENCED'
              ? { type, at, outcome: 'fenced' }
              : ({ type, at } as FailoverEvent);
        return transition(failoverMachine, snapshot, event)[0];
      },
      monitoring(),
    );

    // Act
    const decision = decide(completed, {}, { ...failover(REPLICA), type: 'acknowledge', targetRegion: undefined });

    // Assess
    expect(completed.value).toBe('failedOver');
    expect(decision.kind === 'accept' && decision.summary).toContain('acknowledging re-arms it at once');
  });
});

describe('decideCommand: an acknowledgement acknowledges what the operator could see', () => {
  /** An operator failover to REPLICA that completed at T0 + 7 s and awaits acknowledgement. */
  function completed(): FailoverSnapshot {
    const at = (seconds: number) => T0 + seconds * SECOND;
    const events: FailoverEvent[] = [
      { type: 'FAILOVER_REQUESTED', at: at(1), ...principal, failoverId: 'fo-1', to: REPLICA, allowDataLoss: false, trigger: { kind: 'operator', principalArn: principal.principalArn } },
      { type: 'FENCED', at: at(2), outcome: 'fenced' },
      { type: 'PROMOTION_STARTED', at: at(3), replicaLagSeconds: 1 },
      { type: 'PROMOTED', at: at(4) },
      { type: 'TRAFFIC_SWITCHED', at: at(5), changeId: 'C1' },
      { type: 'DNS_IN_SYNC', at: at(6) },
      { type: 'VERIFIED', at: at(7) },
    ];
    return events.reduce((snapshot, event) => transition(failoverMachine, snapshot, event)[0], monitoring());
  }

  // Regression test (found by the simulator on the merged #8 fixes, seed 796076848): an ack queued while the failover
  // was still verifying was applied to the completion after it and re-armed automatic failover unseen.
  it('refuses an acknowledgement requested before the failover it would acknowledge completed', () => {
    // Prepare
    const snapshot = completed();
    const early: OperatorCommand = { ...failover(REPLICA), type: 'acknowledge', targetRegion: undefined, requestedAt: T0 + 6 * SECOND };
    const late: OperatorCommand = { ...early, requestedAt: T0 + 8 * SECOND };

    // Act
    const [refused, accepted] = [decide(snapshot, {}, early), decide(snapshot, {}, late)];

    // Assess
    expect(snapshot.value).toBe('failedOver');
    expect(refused.kind).toBe('refused');
    expect(refused.kind === 'refused' ? refused.reason : '').toContain('before failover fo-1 completed');
    expect(accepted.kind).toBe('accept');
  });
});

describe('decideCommand: what a refusal says the group is doing', () => {
  // Regression test (#13 §3): on main an approval refused after a completed, acknowledged failover said
  // "failover fo-1 eu-west-1 → us-east-1 is paused": the failover had ended; the group is paused.
  it('names the group, not its last failover, when the group is paused', () => {
    // Prepare
    const at = (seconds: number) => T0 + seconds * SECOND;
    const events: FailoverEvent[] = [
      { type: 'FAILOVER_REQUESTED', at: at(1), ...principal, failoverId: 'fo-1', to: REPLICA, allowDataLoss: false, trigger: { kind: 'operator', principalArn: principal.principalArn } },
      { type: 'FENCED', at: at(2), outcome: 'fenced' },
      { type: 'PROMOTION_STARTED', at: at(3), replicaLagSeconds: 1 },
      { type: 'PROMOTED', at: at(4) },
      { type: 'TRAFFIC_SWITCHED', at: at(5), changeId: 'C1' },
      { type: 'DNS_IN_SYNC', at: at(6) },
      { type: 'VERIFIED', at: at(7) },
      { type: 'ACKNOWLEDGE', at: at(8), ...principal },
      { type: 'PAUSE', at: at(9), ...principal },
    ];
    const paused = events.reduce((snapshot, event) => transition(failoverMachine, snapshot, event)[0], monitoring());

    // Act
    const decision = decide(paused, {}, { ...failover(REPLICA), type: 'approve', targetRegion: undefined });

    // Assess
    expect(paused.value).toBe('paused');
    expect(paused.context.failover?.id).toBe('fo-1');
    expect(decision).toEqual({ kind: 'refused', reason: 'nothing awaits approval: the group is paused' });
  });
});

import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { decideCommand, operatorExits } from '../../src/application/commands.js';
import { reconcileGroup } from '../../src/application/executor.js';
import { planGroup } from '../../src/application/plan.js';
import { stateName } from '../../src/application/snapshot.js';
import { FatalStepError } from '../../src/domain/errors.js';
import type { RegionHealth } from '../../src/domain/types.js';
import type { OperatorCommand } from '../../src/ports/CommandQueue.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { abstractState, LONG_WAIT, traversal, type Snapshot } from '../state-machines/graphTraversal.js';
import { drillConfig, inMemoryWorld, PRIMARY, probeRound, REPLICA } from './harness.js';

const SECOND = 1_000;
const group = drillConfig().groups[0]!;

/** Every way the current step can fail, and the state each leaves the group in once the machine has given up on it. */
function failuresOf(snapshot: Snapshot): [string, Snapshot][] {
  if (!snapshot.matches('failingOver')) return [['no step in hand', snapshot]];
  const step = snapshot.context.step!.name;
  const failRepeatedly = (retryable: boolean): Snapshot => {
    let current = snapshot;
    for (let attempt = 1; attempt <= 10 && current.matches('failingOver') && current.context.step?.name === step; attempt++) {
      [current] = transition(failoverMachine, current, {
        type: 'STEP_FAILED',
        at: snapshot.context.now + attempt * SECOND,
        step,
        error: `${step} keeps failing`,
        retryable,
      });
    }
    return current;
  };
  const [timedOut] = transition(failoverMachine, snapshot, { type: 'TICK', at: snapshot.context.now + LONG_WAIT });
  return [
    [`${step}: a retryable error on every attempt`, failRepeatedly(true)],
    [`${step}: an error that is not retryable`, failRepeatedly(false)],
    [`${step}: no answer until the timeout`, timedOut],
  ];
}

type HealthCase = 'nothing known' | 'fresh replicas' | 'stale lag' | 'orphaned replicas' | 'diverged writers';

/** What the observers may say about the other regions while the group is stuck. */
function healthOf(snapshot: Snapshot, kind: HealthCase, now: number): Record<string, RegionHealth> {
  if (kind === 'nothing known') return {};
  const primary = snapshot.context.primaryRegion;
  const stalledTarget = snapshot.context.failover?.to;
  return Object.fromEntries(
    Object.keys(group.regions)
      .filter((region) => region !== primary)
      .map((region): [string, RegionHealth] => {
        const base = { region, verdict: 'healthy', since: now - 60 * SECOND, failingObservers: [], recoveredObservers: [], staleObservers: [], reasons: [] } as const;
        switch (kind) {
          case 'fresh replicas':
            return [region, { ...base, databaseRole: 'replica', replicationSource: primary, replicaLagSeconds: 2, replicaLagMeasuredAt: now - SECOND }];
          case 'stale lag':
            return [region, { ...base, databaseRole: 'replica', replicationSource: primary, replicaLagSeconds: 2, replicaLagMeasuredAt: now - 3_600_000 }];
          case 'orphaned replicas':
            return [region, { ...base, databaseRole: 'replica', replicationSource: 'eu-central-1', replicaLagSeconds: 2, replicaLagMeasuredAt: now - SECOND }];
          case 'diverged writers':
            return [region, { ...base, databaseRole: region === stalledTarget ? 'standalone' : 'primary' }];
        }
      }),
  );
}

const HEALTH_CASES: readonly HealthCase[] = ['nothing known', 'fresh replicas', 'stale lag', 'orphaned replicas', 'diverged writers'];

describe('an operator exit from every state', () => {
  const reachable = Object.values(getAdjacencyMap(failoverMachine, traversal)).map(({ state }) => state);
  const outcomes = reachable.flatMap((snapshot) =>
    failuresOf(snapshot).map(([failure, after]): [string, Snapshot, Snapshot] => [`${abstractState(snapshot)} then ${failure}`, snapshot, after]),
  );
  // Monitoring needs no way on; a failover the machine carried past the failed step (best-effort fencing) runs on.
  const stuck = outcomes
    .filter(([, , after]) => !after.matches('monitoring') && !after.matches('failingOver'))
    .map(([path, , after]): [string, Snapshot] => [path, after]);

  it('never keeps trying a failing step forever: the machine gives up on it or moves past it', () => {
    // Act
    const endless = outcomes
      .filter(([, before, after]) => before.matches('failingOver') && after.matches('failingOver') && after.context.step?.name === before.context.step?.name)
      .map(([path]) => path);

    // Assess
    expect(endless).toEqual([]);
  });

  it('finds stuck states to check: every settled state and every failure of every step', () => {
    // Assess
    expect(stuck.length).toBeGreaterThan(50);
    expect(stuck.some(([, after]) => after.matches('stalled') && after.context.stalled?.step === 'awaitingPromotion')).toBe(true);
  });

  it('offers in every state, whatever the observers say, a command the command table accepts and that moves the group on', () => {
    // Act
    const trapped = stuck.flatMap(([path, after]) =>
      HEALTH_CASES.filter((kind) => {
        const now = after.context.now + SECOND;
        const exits = operatorExits(group, after, healthOf(after, kind, now), now);
        return exits.length === 0;
      }).map((kind) => `${stateName(after)} (${path}; ${kind})`),
    );

    // Assess
    expect(trapped).toEqual([]);
  });

  // Regression test (#8 §4): on main a failover stalled at or after promotion offered RETRY only, and `failover
  // --allow-data-loss` and `pause` answered 409; a RETRY that keeps failing (Aurora refusing without AllowDataLoss) trapped it.
  it('offers a stalled failover a way on besides RETRY unless every other region is a diverged writer', () => {
    // Act
    const retryOnly = stuck
      .filter(([, after]) => after.matches('stalled'))
      .flatMap(([path, after]) =>
        HEALTH_CASES.filter((kind) => kind !== 'diverged writers')
          .filter((kind) => {
            const now = after.context.now + SECOND;
            return operatorExits(group, after, healthOf(after, kind, now), now).every((exit) => exit.type === 'retry');
          })
          .map((kind) => `${stateName(after)} at ${after.context.stalled?.step ?? ''} (${path}; ${kind})`),
      );

    // Assess
    expect(retryOnly).toEqual([]);
  });

  it('lists only commands the command table accepts now, each leaving the state it is sent in', () => {
    // Act
    const wrong = stuck.flatMap(([path, after]) => {
      const now = after.context.now + SECOND;
      const health = healthOf(after, 'fresh replicas', now);
      return operatorExits(group, after, health, now)
        .filter((exit) => {
          const [, type, , , to] = /^fcp (\w+) \S+(?: --to (\S+))?/.exec(exit.command) ?? [];
          const command: OperatorCommand = {
            id: 'check',
            groupId: group.id,
            type: type === 'ack' ? 'acknowledge' : exit.type,
            principalArn: 'arn:aws:iam::123456789012:role/oncall',
            reason: 'check',
            requestedAt: now,
            ...(to === undefined ? {} : { targetRegion: to }),
            ...(exit.command.includes('--allow-data-loss') ? { allowDataLoss: true } : {}),
          };
          const decision = decideCommand({ group, snapshot: after, health, command, failoverId: 'fo-check', now });
          if (decision.kind !== 'accept') return true;
          const [next] = transition(failoverMachine, after, decision.event);
          return stateName(next) === stateName(after) && next.context.failover?.id === after.context.failover?.id;
        })
        .map((exit) => `${stateName(after)} (${path}): ${exit.command}`);
    });

    // Assess
    expect(wrong).toEqual([]);
  });
});

describe('the way on, end to end', () => {
  // Regression test (#8 §4): on main a promotion the database refuses without AllowDataLoss (Aurora global) stalled the
  // failover for good: RETRY repeated the refusal, ABORT was past the point of no return, failover answered 409.
  it('plans the ways on from a failover stalled at promoting, and completes it with failover --allow-data-loss', async () => {
    // Prepare: a database that refuses the first promotion for good (a fatal answer, as Aurora's FailoverGlobalCluster
    // gave without AllowDataLoss before the executor passed it, or an access denied), then accepts the next.
    const { deps, group, clock } = inMemoryWorld();
    const promote = deps.database.promote.bind(deps.database);
    let refusals = 1;
    deps.database.promote = async (...args: Parameters<typeof promote>) => {
      if (refusals > 0) {
        refusals -= 1;
        throw new FatalStepError('FailoverGlobalCluster refused the promotion', { groupId: group.id, step: 'promoting' });
      }
      return promote(...args);
    };
    await probeRound(deps, group);
    const operator = { groupId: group.id, principalArn: 'arn:aws:iam::000000000000:user/oncall', reason: 'primary lost', requestedAt: clock.now() };
    await deps.commands.enqueue({ ...operator, id: 'c-1', type: 'failover', targetRegion: REPLICA });
    await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: clock.now() + 60_000 });
    await probeRound(deps, group);

    // Act
    const plan = await planGroup(deps, group);
    await deps.commands.enqueue({ ...operator, id: 'c-2', type: 'failover', targetRegion: REPLICA, allowDataLoss: true, requestedAt: clock.now() });
    await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: clock.now() + 60_000 });
    const records = await deps.eventLog.listFailovers(group.id);

    // Assess
    expect(plan.state).toBe('stalled');
    expect(plan.exits.map((exit) => exit.command)).toContain(`fcp failover ${group.id} --to ${REPLICA} --allow-data-loss --reason "..."`);
    expect(plan.exits.map((exit) => exit.type)).not.toContain('abort');
    expect(plan.summary).toContain(`ways on: fcp retry ${group.id}`);
    expect(records.map((record) => [record.from, record.to, record.allowDataLoss, record.outcome])).toEqual(
      expect.arrayContaining([[PRIMARY, REPLICA, false, 'aborted'], [PRIMARY, REPLICA, true, 'completed']]),
    );
    expect(deps.traffic.calls.pointTo).toBe(1);
  });
});

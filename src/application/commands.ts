import type { GroupConfig } from '../config/schema.js';
import { transition } from 'xstate';
import { ACKNOWLEDGEMENT_RULE } from '../domain/acknowledgement.js';
import { pastPointOfNoReturn } from '../domain/phases.js';
import { lagBudgetProblem, lagReferenceAt, usableHealthLag } from '../domain/replicaLag.js';
import { orphanReason } from '../domain/topology.js';
import type { RegionHealth, RegionName } from '../domain/types.js';
import type { OperatorCommand, OperatorCommandType } from '../ports/CommandQueue.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';
import { canAbortFrom } from '../../state-machines/rules.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { stateName, type FailoverSnapshot } from './snapshot.js';

export type CommandDecision =
  | { readonly kind: 'accept'; readonly event: FailoverEvent; readonly summary: string }
  /** The command is valid but the machine is busy with something it conflicts with (API: 409). */
  | { readonly kind: 'conflict'; readonly reason: string }
  /** The command is not allowed as asked (API: 422 / CLI exit 3); the reason says why and what to do. */
  | { readonly kind: 'refused'; readonly reason: string };

function failoverTarget(
  group: GroupConfig,
  command: OperatorCommand,
  primary: RegionName,
  health: Readonly<Record<string, RegionHealth>>,
): { region: RegionName } | { refused: string } {
  if (command.targetRegion !== undefined) {
    if (group.regions[command.targetRegion] === undefined) {
      return { refused: `region ${command.targetRegion} is not part of group ${group.id} (regions: ${Object.keys(group.regions).join(', ')})` };
    }
    if (command.targetRegion === primary) return { refused: `${command.targetRegion} is already the primary of ${group.id}` };
    return { region: command.targetRegion };
  }
  // Chosen for the operator only among replicas that follow the primary; an orphaned one must be named with --to.
  const best = Object.entries(group.regions)
    .filter(([region]) => region !== primary && health[region]?.verdict === 'healthy' && orphanReason(health[region], primary) === undefined)
    .sort(([, a], [, b]) => b.failoverPriority - a.failoverPriority)[0];
  if (best === undefined) return { refused: `no healthy replica region to fail over to; name one with --to` };
  return { region: best[0] };
}

/**
 * The replica lag of `region` that may decide now: measured within two probe intervals, else unknown. Old data never
 * decides: a lag read an hour ago says nothing about the writes a promotion would drop now.
 *
 * @example
 * targetLag(group, health['us-east-1'], now); // 2, or undefined when unknown or stale
 */
export function targetLag(group: GroupConfig, health: RegionHealth | undefined, now: number, primaryHealth?: RegionHealth): number | undefined {
  return usableHealthLag(health, now, group.policy.probeIntervalSeconds, lagReferenceAt(primaryHealth, now));
}

/**
 * Why `target` can never be failed over to by a command, whatever it accepts: it is a writer already (standalone or
 * primary) that is not the primary. Its data diverged from the primary's when it stopped replicating; "promoting" it
 * would keep its own writes and silently drop every write the primary took since. The one exception is the target
 * of the stalled failover being replaced: its promotion is this failover's own.
 */
function divergedTarget(
  target: RegionName,
  primary: RegionName,
  health: RegionHealth | undefined,
  stalledTarget: RegionName | undefined,
): string | undefined {
  const role = health?.databaseRole;
  if ((role !== 'standalone' && role !== 'primary') || target === stalledTarget) return undefined;
  return (
    `${target} is a ${role} database, not a replica of the primary ${primary}: it diverged when it stopped replicating, ` +
    `so failing over to it would keep its own writes and drop every write ${primary} took since (nothing can tell how many), ` +
    `and --allow-data-loss does not cover that. Rebuild ${target} as a replica of ${primary} first ` +
    `(fcp reprotect, or a new cross-region read replica), or, if ${target}'s data is the one to keep, follow the runbook's "diverged database" section`
  );
}

/**
 * Decides whether an operator command may enter the machine now, and as which event. Pure: the API uses it to
 * answer at once (400/409/422), the executor uses it again when it feeds the command (the state may have moved on).
 *
 * @example
 * const decision = decideCommand({ group, snapshot, health, command, failoverId: 'fo-1' });
 * if (decision.kind === 'accept') actor.send(decision.event);
 */
export function decideCommand(input: {
  group: GroupConfig;
  snapshot: FailoverSnapshot;
  health: Readonly<Record<string, RegionHealth>>;
  command: OperatorCommand;
  failoverId: string;
  now: number;
}): CommandDecision {
  const { group, snapshot, health, command, now } = input;
  const { context } = snapshot;
  const state = stateName(snapshot);
  const base = { at: now, principalArn: command.principalArn, reason: command.reason, commandId: command.id };
  const stalled = snapshot.matches('stalled');
  const busy = snapshot.matches('failingOver') || stalled;
  const current = context.failover;
  // The last failover stays in the context after it ends: it is what the group is doing only while it runs, waits for
  // approval or awaits its acknowledgement. A paused or blocked group is described as the group.
  const failoverOwnsState = busy || snapshot.matches('awaitingApproval') || snapshot.matches('failedOver');
  const describeCurrent = current && failoverOwnsState ? `failover ${current.id} ${current.from} → ${current.to} is ${state}` : `the group is ${state}`;
  const ways = () => stalledWays(group, snapshot);

  switch (command.type) {
    case 'failover':
    case 'switchover': {
      const planned = command.type === 'switchover';
      const replacesStalled = stalled && !planned && command.allowDataLoss === true;
      if (busy && !replacesStalled) {
        return {
          kind: 'conflict',
          reason: stalled
            ? `${describeCurrent}; a new failover may replace it only with --allow-data-loss. Ways on: ${ways()}`
            : `${describeCurrent}; wait for it (a step that keeps failing stalls it), or abort it first if it has not reached promotion`,
        };
      }
      const target = failoverTarget(group, command, context.primaryRegion, health);
      if ('refused' in target) return { kind: 'refused', reason: target.refused };
      const targetHealth = health[target.region];
      if (targetHealth?.verdict === 'unhealthy') {
        return { kind: 'refused', reason: `${target.region} is itself unhealthy (${targetHealth.reasons.join('; ')}): failing over to it would make things worse` };
      }
      const diverged = divergedTarget(target.region, context.primaryRegion, targetHealth, stalled ? current?.to : undefined);
      if (diverged !== undefined) return { kind: 'refused', reason: diverged };
      const lag = targetLag(group, targetHealth, now, health[context.primaryRegion]);
      const budget = group.policy.maxReplicaLagSeconds;
      const orphaned = orphanReason(targetHealth, context.primaryRegion);
      if (planned) {
        const kind = group.regions[target.region]!.database.kind;
        if ((kind === 'rds-instance' || kind === 'postgres') && group.policy.fencing === 'none') {
          return { kind: 'refused', reason: 'a planned switchover must stop writes on the old primary first: set policy.fencing to read-only-parameter-group (RDS cannot stop an instance that has replicas)' };
        }
        if (orphaned !== undefined) {
          return { kind: 'refused', reason: `${target.region} ${orphaned}: a switchover drains it to the primary, which it does not follow; rebuild it as a replica of ${context.primaryRegion} first` };
        }
      } else if (!command.allowDataLoss) {
        if (orphaned !== undefined) {
          return {
            kind: 'refused',
            reason: `${target.region} is orphaned: it ${orphaned}, so promoting it would drop every write ${context.primaryRegion} took since ${target.region} stopped following it. Re-run with --allow-data-loss to accept that`,
          };
        }
        const problem = lagBudgetProblem(target.region, lag, budget);
        if (problem !== undefined) {
          return {
            kind: 'refused',
            reason: `${problem}: up to ${lag ?? 'an unknown number of'} seconds of writes would be lost. Re-run with --allow-data-loss to accept that, or use a planned switchover if the primary is still up`,
          };
        }
      }
      const trigger = command.drillScenario
        ? ({ kind: 'drill', principalArn: command.principalArn, scenario: command.drillScenario } as const)
        : ({ kind: 'operator', principalArn: command.principalArn } as const);
      const event: FailoverEvent = {
        type: planned ? 'SWITCHOVER_REQUESTED' : 'FAILOVER_REQUESTED',
        ...base,
        failoverId: input.failoverId,
        to: target.region,
        allowDataLoss: planned ? false : command.allowDataLoss === true,
        trigger,
      };
      const window = planned
        ? 'none (planned: writes are fenced and the replica catches up first)'
        : orphaned !== undefined
          ? `every write ${context.primaryRegion} took since ${target.region} stopped following it (${orphaned})`
          : lag === undefined
            ? 'unknown (the replica lag is unknown or stale)'
            : `up to ${lag} s of writes`;
      const replaces = replacesStalled && current ? `; replaces stalled failover ${current.id}, which is closed as aborted` : '';
      return accept(snapshot, event, `${planned ? 'switchover' : 'failover'} ${context.primaryRegion} → ${target.region}; expected data loss: ${window}${replaces}`, describeCurrent);
    }
    case 'approve':
      return accept(snapshot, { type: 'APPROVE', ...base }, `approved failover ${current?.id ?? ''}`, `nothing awaits approval: ${describeCurrent}`);
    case 'reject':
      return accept(snapshot, { type: 'REJECT', ...base }, `rejected failover ${current?.id ?? ''}`, `nothing awaits approval: ${describeCurrent}`);
    case 'abort': {
      const step = context.stalled?.step ?? context.step?.name;
      if (busy && step !== undefined && pastPointOfNoReturn(step)) {
        return {
          kind: 'refused',
          reason: `${describeCurrent}: the promotion of ${current?.to ?? 'the replica'} may already have happened, so aborting could leave two writers or none. ` +
            (stalled ? `Ways on: ${ways()}` : 'Let it finish, then fail back with a planned switchover'),
        };
      }
      return accept(snapshot, { type: 'ABORT', ...base }, `aborted: ${describeCurrent}`, `nothing to abort: ${describeCurrent}`);
    }
    case 'retry':
      return accept(snapshot, { type: 'RETRY', ...base }, `retrying step ${context.stalled?.step ?? ''}`, `nothing is stalled: ${describeCurrent}`);
    case 'pause':
      if (busy) {
        return {
          kind: 'conflict',
          reason: `${describeCurrent}; a failover in progress cannot be paused` + (stalled ? `. Ways on: ${ways()}` : ''),
        };
      }
      return accept(snapshot, { type: 'PAUSE', ...base }, 'automatic failover paused', `already ${state}`);
    case 'resume':
      return accept(snapshot, { type: 'RESUME', ...base }, 'automatic failover resumed', `not paused: ${describeCurrent}`);
    case 'acknowledge': {
      // An acknowledgement re-arms automatic failover: it must have been given after the failover it acknowledges
      // completed, so the operator could see what they acknowledge. One queued during the failover is refused.
      const completedAt = context.awaitingAcknowledgement ? current?.timestamps.completedAt : undefined;
      if (completedAt !== undefined && command.requestedAt < completedAt) {
        return {
          kind: 'refused',
          reason: `this acknowledgement was requested at ${new Date(command.requestedAt).toISOString()}, before failover ${current?.id ?? ''} completed at ${new Date(completedAt).toISOString()}: review the completed failover (fcp history ${group.id}), then acknowledge again`,
        };
      }
      return accept(snapshot, { type: 'ACKNOWLEDGE', ...base }, `acknowledged: ${ACKNOWLEDGEMENT_RULE}`, `nothing to acknowledge: ${describeCurrent}`);
    }
    case 'reprotect':
      return { kind: 'refused', reason: 'reprotect is not a failover machine command: decideReprotect (src/application/reprotect.ts) decides it' };
    case 'cancel':
      // Acts on the queue, not on the machine: the executor applies it before it takes any other command.
      return { kind: 'refused', reason: 'a cancel names a pending command; it moves the machine nowhere' };
  }
}

function accept(snapshot: FailoverSnapshot, event: FailoverEvent, summary: string, refusal: string): CommandDecision {
  return snapshot.can(event) ? { kind: 'accept', event, summary } : { kind: 'refused', reason: refusal };
}

/** The ways on from a stalled failover, in one line, for refusals (`operatorExits` says exactly what each would do). */
function stalledWays(group: GroupConfig, snapshot: FailoverSnapshot): string {
  return [
    `fcp retry ${group.id}`,
    ...(canAbortFrom(snapshot.context) ? [`fcp abort ${group.id}`] : []),
    `fcp failover ${group.id} --to <region> --allow-data-loss`,
    `(fcp plan ${group.id} shows what each would do)`,
  ].join(', ');
}

/** One command an operator can send now that moves the group on, and what it would do. */
export interface OperatorExit {
  readonly type: OperatorCommandType;
  /** The command line to type, with a placeholder reason. */
  readonly command: string;
  /** What it would do (the summary the executor would log). */
  readonly effect: string;
  readonly stateAfter: string;
}

/**
 * The commands an operator can send now that the command table accepts and that move the group to another state
 * (or replace its failover): the way on from any state, derived from `decideCommand` and the machine, never listed by
 * hand. A failover with `--allow-data-loss` is listed for a region only when a plain one is not accepted.
 * Without `health`, a failover's lag and topology are unknown, so only `--allow-data-loss` failovers are listed.
 *
 * @example
 * operatorExits(group, snapshot, health).map((exit) => exit.command);
 * // ['fcp retry orders --reason "..."', 'fcp failover orders --to us-east-1 --allow-data-loss --reason "..."']
 */
export function operatorExits(
  group: GroupConfig,
  snapshot: FailoverSnapshot,
  health: Readonly<Record<string, RegionHealth>> = {},
  now: number = snapshot.context.now,
): OperatorExit[] {
  const base = { groupId: group.id, principalArn: 'operator', reason: '...', requestedAt: now } as const;
  const regions = Object.keys(group.regions).filter((region) => region !== snapshot.context.primaryRegion);
  const candidates: { command: OperatorCommand; line: string; unless?: string }[] = [
    ...(['retry', 'approve', 'reject', 'abort', 'acknowledge', 'resume'] as const).map((type) => ({
      command: { ...base, id: `exit-${type}`, type },
      line: `fcp ${type === 'acknowledge' ? 'ack' : type} ${group.id} --reason "..."`,
    })),
    ...regions.flatMap((region) => [
      {
        command: { ...base, id: `exit-failover-${region}`, type: 'failover' as const, targetRegion: region },
        line: `fcp failover ${group.id} --to ${region} --reason "..."`,
      },
      {
        command: { ...base, id: `exit-failover-${region}-data-loss`, type: 'failover' as const, targetRegion: region, allowDataLoss: true },
        line: `fcp failover ${group.id} --to ${region} --allow-data-loss --reason "..."`,
        unless: `exit-failover-${region}`,
      },
    ]),
  ];
  const exits = new Map<string, OperatorExit>();
  for (const { command, line, unless } of candidates) {
    if (unless !== undefined && exits.has(unless)) continue;
    const decision = decideCommand({ group, snapshot, health, command, failoverId: `(new failover)`, now });
    if (decision.kind !== 'accept') continue;
    const [after] = transition(failoverMachine, snapshot, decision.event);
    const movesOn = stateName(after) !== stateName(snapshot) || after.context.failover?.id !== snapshot.context.failover?.id;
    if (movesOn) exits.set(command.id, { type: command.type, command: line, effect: decision.summary, stateAfter: stateName(after) });
  }
  return [...exits.values()];
}

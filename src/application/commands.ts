import type { GroupConfig } from '../config/schema.js';
import type { RegionHealth, RegionName } from '../domain/types.js';
import type { OperatorCommand } from '../ports/CommandQueue.js';
import type { FailoverEvent } from '../../state-machines/types.js';
import { stateName, type FailoverSnapshot } from './transitions.js';

export type CommandDecision =
  | { readonly kind: 'accept'; readonly event: FailoverEvent; readonly summary: string }
  /** The command is valid but the machine is busy with something it conflicts with (API: 409). */
  | { readonly kind: 'conflict'; readonly reason: string }
  /** The command is not allowed as asked (API: 422 / CLI exit 3); the reason says why and what to do. */
  | { readonly kind: 'refused'; readonly reason: string };

const STEPS_AFTER_PROMOTION = ['promoting', 'awaitingPromotion', 'switchingTraffic', 'awaitingDnsSync', 'verifying'];

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
  const best = Object.entries(group.regions)
    .filter(([region]) => region !== primary && health[region]?.verdict === 'healthy')
    .sort(([, a], [, b]) => b.failoverPriority - a.failoverPriority)[0];
  if (best === undefined) return { refused: `no healthy replica region to fail over to; name one with --to` };
  return { region: best[0] };
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
  const busy = snapshot.matches('failingOver') || snapshot.matches('stalled');
  const current = context.failover;
  const describeCurrent = current ? `failover ${current.id} ${current.from} → ${current.to} is ${state}` : `the group is ${state}`;

  switch (command.type) {
    case 'failover':
    case 'switchover': {
      if (busy) return { kind: 'conflict', reason: `${describeCurrent}; wait for it, or abort it first if it has not reached promotion` };
      const target = failoverTarget(group, command, context.primaryRegion, health);
      if ('refused' in target) return { kind: 'refused', reason: target.refused };
      const targetHealth = health[target.region];
      if (targetHealth?.verdict === 'unhealthy') {
        return { kind: 'refused', reason: `${target.region} is itself unhealthy (${targetHealth.reasons.join('; ')}): failing over to it would make things worse` };
      }
      const lag = targetHealth?.replicaLagSeconds;
      const budget = group.policy.maxReplicaLagSeconds;
      const planned = command.type === 'switchover';
      if (planned) {
        const kind = group.regions[target.region]!.database.kind;
        if ((kind === 'rds-instance' || kind === 'postgres') && group.policy.fencing === 'none') {
          return { kind: 'refused', reason: 'a planned switchover must stop writes on the old primary first: set policy.fencing to read-only-parameter-group (RDS cannot stop an instance that has replicas)' };
        }
      } else if (!command.allowDataLoss && (lag === undefined || lag > budget)) {
        return {
          kind: 'refused',
          reason: `replica lag of ${target.region} is ${lag === undefined ? 'unknown' : `${lag} s`}, over the ${budget} s budget: up to ${lag ?? 'an unknown number of'} seconds of writes would be lost. Re-run with --allow-data-loss to accept that, or use a planned switchover if the primary is still up`,
        };
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
      const window = planned ? 'none (planned: writes are fenced and the replica catches up first)' : lag === undefined ? 'unknown' : `up to ${lag} s of writes`;
      return accept(snapshot, event, `${planned ? 'switchover' : 'failover'} ${context.primaryRegion} → ${target.region}; expected data loss: ${window}`, describeCurrent);
    }
    case 'approve':
      return accept(snapshot, { type: 'APPROVE', ...base }, `approved failover ${current?.id ?? ''}`, `nothing awaits approval: ${describeCurrent}`);
    case 'reject':
      return accept(snapshot, { type: 'REJECT', ...base }, `rejected failover ${current?.id ?? ''}`, `nothing awaits approval: ${describeCurrent}`);
    case 'abort': {
      const step = context.stalled?.step ?? context.step?.name;
      if (busy && step !== undefined && STEPS_AFTER_PROMOTION.includes(step)) {
        return {
          kind: 'refused',
          reason: `${describeCurrent}: the promotion of ${current?.to ?? 'the replica'} may already have happened, so aborting could leave two writers or none. Let it finish (or fcp retry if stalled), then fail back with a planned switchover`,
        };
      }
      return accept(snapshot, { type: 'ABORT', ...base }, `aborted: ${describeCurrent}`, `nothing to abort: ${describeCurrent}`);
    }
    case 'retry':
      return accept(snapshot, { type: 'RETRY', ...base }, `retrying step ${context.stalled?.step ?? ''}`, `nothing is stalled: ${describeCurrent}`);
    case 'pause':
      if (busy) return { kind: 'conflict', reason: `${describeCurrent}; a failover in progress cannot be paused` };
      return accept(snapshot, { type: 'PAUSE', ...base }, 'automatic failover paused', `already ${state}`);
    case 'resume':
      return accept(snapshot, { type: 'RESUME', ...base }, 'automatic failover resumed', `not paused: ${describeCurrent}`);
    case 'acknowledge':
      return accept(snapshot, { type: 'ACKNOWLEDGE', ...base }, 'acknowledged; automatic failover re-armed', `nothing to acknowledge: ${describeCurrent}`);
  }
}

function accept(snapshot: FailoverSnapshot, event: FailoverEvent, summary: string, refusal: string): CommandDecision {
  return snapshot.can(event) ? { kind: 'accept', event, summary } : { kind: 'refused', reason: refusal };
}

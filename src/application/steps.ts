import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { FatalStepError, LeaseHeldError, RetryableStepError, StaleStateError } from '../domain/errors.js';
import type { FailoverRecord, FailoverStep, RegionHealth } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Database, DatabaseState } from '../ports/Database.js';
import type { EffectOptions } from '../ports/EffectOptions.js';
import type { FleetLedger } from '../ports/FleetLedger.js';
import type { Prober } from '../ports/Prober.js';
import type { Traffic } from '../ports/Traffic.js';
import { drainDecidesPromotion, drainedBy } from '../domain/drain.js';
import { lagBudgetProblem, lagReferenceAt, usableLag, type ReplicaLagReading } from '../domain/replicaLag.js';
import type { FailoverEvent } from '../../state-machines/types.js';

export interface StepPorts {
  readonly config: ControlPlaneConfig;
  readonly database: Database;
  readonly traffic: Traffic;
  readonly prober: Prober;
  readonly fleet: FleetLedger;
  readonly clock: Clock;
}

/** A step's answer: an event for the machine, or `waiting` (poll again later) with what it is waiting for. */
export type StepResult = { readonly event: FailoverEvent } | { readonly waiting: string };

export interface StepInput {
  readonly group: GroupConfig;
  readonly step: FailoverStep;
  readonly failover: FailoverRecord;
  readonly health: Readonly<Record<string, RegionHealth>>;
  /**
   * Called right before each side effect (fence, promote, DNS change, fleet reservation): makes sure the lease
   * outlives the effect and answers its deadline and abort signal. Throws `StaleStateError` or `LeaseHeldError` when
   * the lease is lost; the step then acts no further and the error reaches the executor. Without it (plan previews,
   * tests of a single step) effects run without a deadline.
   */
  readonly holdLease?: () => Promise<EffectOptions>;
}

/**
 * Performs one failover step. Every step observes before it acts, so running it again after a crash changes
 * nothing that was already done: a promoted replica is not promoted again, a record that already points at the
 * target is not changed again. Port errors become STEP_FAILED events (retryable or not); nothing is thrown.
 *
 * @example
 * const result = await performStep(ports, { group, step: 'promoting', failover, health });
 * if ('event' in result) actor.send(result.event);
 */
export async function performStep(ports: StepPorts, input: StepInput): Promise<StepResult> {
  const { step } = input;
  try {
    return await runStep(ports, input);
  } catch (error) {
    // A lost lease is not a failed step: the executor must stop, not record a failure it has no right to save.
    if (error instanceof StaleStateError || error instanceof LeaseHeldError) throw error;
    const at = ports.clock.now();
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(error instanceof FatalStepError);
    // Unknown errors (network, SDK retries exhausted) are retried: the step observes first, so a retry is safe.
    return { event: { type: 'STEP_FAILED', at, step, error: message, retryable } };
  }
}

async function runStep(ports: StepPorts, input: StepInput): Promise<StepResult> {
  const { group, step, failover, health } = input;
  const { database, traffic, clock } = ports;
  const now = () => clock.now();
  const holdLease = input.holdLease ?? (async (): Promise<EffectOptions> => ({}));
  const kind = group.regions[failover.to]?.database.kind;

  switch (step) {
    case 'reserving': {
      const { fleetBrake } = ports.config.fleet;
      await holdLease();
      const answer = await ports.fleet.tryReserve({
        failoverId: failover.id,
        groupId: group.id,
        now: now(),
        windowMs: fleetBrake.windowSeconds * 1000,
        max: fleetBrake.maxAutomaticFailovers,
      });
      if (answer === 'reserved') return { event: { type: 'FLEET_SLOT_RESERVED', at: now() } };
      return {
        event: {
          type: 'FLEET_BRAKE_ENGAGED',
          at: now(),
          detail: `${fleetBrake.maxAutomaticFailovers} automatic failovers already happened across the fleet in the last ${fleetBrake.windowSeconds} s; many regions failing at once more likely means the control plane's own view is wrong`,
        },
      };
    }
    case 'fencing': {
      const mode = group.policy.fencing;
      // The lag is checked before fencing as well as before promotion, so a lag block never leaves a fenced primary.
      // Without a fence there is nothing to leave behind: the promotion's own check, on a reading taken then, decides.
      if (mode !== 'none' && !failover.planned && !failover.allowDataLoss) {
        const overBudget = await lagOverBudget(database, group, failover, health, now);
        if (overBudget !== undefined) return { event: overBudget };
      }
      const outcome = await database.fence(group, failover.from, mode, await holdLease());
      return { event: { type: 'FENCED', at: now(), outcome } };
    }
    case 'draining': {
      if (kind === 'aurora-global') return { event: { type: 'DRAINED', at: now() } };
      const readAt = now();
      const target = await database.describe(group, failover.to);
      // Drained only on a lag of 0 measured after the fence took effect: a datapoint from before it proves nothing.
      const reading = target.replicaLagSeconds === undefined ? undefined : { seconds: target.replicaLagSeconds, measuredAt: target.replicaLagMeasuredAt ?? readAt };
      if (drainedBy(reading, failover.timestamps.fencedAt)) return { event: { type: 'DRAINED', at: now() } };
      return {
        waiting:
          target.replicaLagSeconds === 0
            ? `replica lag of ${failover.to} is 0 s but was measured before the fence, waiting for a reading taken after it`
            : `replica lag of ${failover.to} is ${target.replicaLagSeconds === undefined ? 'unknown' : `${target.replicaLagSeconds} s`}, waiting for 0`,
      };
    }
    case 'promoting': {
      // A planned switchover whose fence took effect was drained on a reading taken after it: no write has reached the
      // old primary since, so that reading still holds and a second one would decide nothing (`drainDecidesPromotion`).
      // The promote call observes first: a target already promoted is not promoted again.
      if (drainDecidesPromotion(failover, group.regions[failover.to]?.database)) {
        await promote(ports, input, await holdLease());
        return { event: { type: 'PROMOTION_STARTED', at: now(), replicaLagSeconds: 0 } };
      }
      const readAt = now();
      const target = await database.describe(group, failover.to);
      const alreadyPromoted = target.role === 'primary' || target.role === 'standalone';
      const lag = decidingLag(group, failover, target, health, readAt);
      if (!alreadyPromoted && !failover.planned && !failover.allowDataLoss) {
        const overBudget = lagVerdict(group, failover, lag, now(), 'at promotion');
        if (overBudget !== undefined) return { event: overBudget };
      }
      // Only an answered promote call (or a target already promoted) starts a promotion: PROMOTION_STARTED means
      // the provider took the request, never that the replica merely looked busy.
      if (!alreadyPromoted) await promote(ports, input, await holdLease());
      return { event: { type: 'PROMOTION_STARTED', at: now(), replicaLagSeconds: failover.planned ? 0 : lag } };
    }
    case 'awaitingPromotion': {
      const target = await database.describe(group, failover.to);
      if (target.writable && target.status === 'available') return { event: { type: 'PROMOTED', at: now() } };
      // An available replica is not being promoted: the promote call never took effect (the step was retried after
      // a stall, or a provider dropped the request). Promote it now rather than wait for a promotion that will not come.
      if (target.role === 'replica' && target.status === 'available') {
        await promote(ports, input, await holdLease());
        return { waiting: `${failover.to} was still a replica: promote called again, waiting for a writable primary` };
      }
      return { waiting: `${failover.to} is ${target.status} (${target.role}), waiting for a writable primary` };
    }
    case 'switchingTraffic': {
      const comment = `failover ${failover.id}: ${failover.from} -> ${failover.to}`;
      const result = await traffic.pointTo(group, failover.to, comment, await holdLease());
      return { event: { type: 'TRAFFIC_SWITCHED', at: now(), changeId: result.changeId } };
    }
    case 'awaitingDnsSync': {
      // No change id: the record already pointed at the target when we looked (a previous run changed it and died
      // before saving the id). Route 53 has no lookup of the last change by record, so the record's value is the proof.
      if (failover.dnsChangeId === undefined) {
        const current = await traffic.currentRegion(group);
        if (current === failover.to) return { event: { type: 'DNS_IN_SYNC', at: now() } };
        throw new RetryableStepError(`record ${group.dns.recordName} points at ${current ?? 'an unknown target'}, not ${failover.to}`, {
          groupId: group.id,
          step: 'awaitingDnsSync',
        });
      }
      const status = await traffic.changeStatus(failover.dnsChangeId);
      if (status === 'INSYNC') return { event: { type: 'DNS_IN_SYNC', at: now() } };
      return { waiting: `Route 53 change ${failover.dnsChangeId} is ${status}` };
    }
    case 'verifying': {
      const [target, current, probes] = await Promise.all([
        database.describe(group, failover.to),
        traffic.currentRegion(group),
        ports.prober.probe(group.regions[failover.to]!.healthEndpoints),
      ]);
      const problems = [
        ...(target.writable ? [] : [`database is ${target.status} (${target.role}), not writable`]),
        ...(current === failover.to ? [] : [`DNS points at ${current ?? 'an unknown target'}`]),
        ...probes.filter((probe) => !probe.ok).map((probe) => `${probe.url}: ${probe.error ?? 'failed'}`),
      ];
      if (problems.length === 0) return { event: { type: 'VERIFIED', at: now() } };
      return { waiting: `verification of ${failover.to}: ${problems.join('; ')}` };
    }
  }
}

/**
 * Calls promote on the failover's target. An unplanned failover that got this far either passed the lag guard (its
 * loss is at most the lag budget, recorded as the data-loss window) or had the loss accepted by an operator: either
 * way the provider may lose the unreplicated writes (Aurora: `FailoverGlobalCluster` with `AllowDataLoss`). A planned
 * switchover never loses data.
 */
async function promote(ports: StepPorts, input: StepInput, effect: EffectOptions): Promise<void> {
  const { group, failover } = input;
  await ports.database.promote(
    group,
    failover.to,
    { failoverId: failover.id, planned: failover.planned, allowDataLoss: !failover.planned, fromRegion: failover.from },
    effect,
  );
}

function lagVerdict(
  group: GroupConfig,
  failover: FailoverRecord,
  lag: number | undefined,
  at: number,
  when: string,
): FailoverEvent | undefined {
  const problem = lagBudgetProblem(failover.to, lag, group.policy.maxReplicaLagSeconds);
  if (problem === undefined) return undefined;
  return {
    type: 'LAG_OVER_BUDGET',
    at,
    replicaLagSeconds: lag,
    detail: `${problem} (${when}); an operator may accept the loss with fcp failover --allow-data-loss`,
  };
}

/**
 * The target's lag that may decide this step: the newer of what the database says now and what the observers last
 * saw, judged against the old primary's last sign of life (`lagReferenceAt`); older than two intervals: unknown.
 */
function decidingLag(
  group: GroupConfig,
  failover: FailoverRecord,
  target: DatabaseState,
  health: Readonly<Record<string, RegionHealth>>,
  readAt: number,
): number | undefined {
  const readings: ReplicaLagReading[] = [];
  if (target.replicaLagSeconds !== undefined) readings.push({ seconds: target.replicaLagSeconds, measuredAt: target.replicaLagMeasuredAt ?? readAt });
  const observed = health[failover.to];
  if (observed?.replicaLagSeconds !== undefined && observed.replicaLagMeasuredAt !== undefined) {
    readings.push({ seconds: observed.replicaLagSeconds, measuredAt: observed.replicaLagMeasuredAt });
  }
  const newest = readings.sort((a, b) => b.measuredAt - a.measuredAt)[0];
  return usableLag(newest, readAt, group.policy.probeIntervalSeconds, lagReferenceAt(health[failover.from], readAt));
}

async function lagOverBudget(
  database: Database,
  group: GroupConfig,
  failover: FailoverRecord,
  health: Readonly<Record<string, RegionHealth>>,
  now: () => number,
): Promise<FailoverEvent | undefined> {
  const readAt = now();
  const target = await database.describe(group, failover.to);
  if (target.role === 'primary' || target.role === 'standalone') return undefined;
  return lagVerdict(group, failover, decidingLag(group, failover, target, health, readAt), now(), 'before fencing');
}

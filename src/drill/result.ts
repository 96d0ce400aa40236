import type { SimWorld } from '../adapters/sim/SimWorld.js';
import { restoreSnapshot } from '../application/plan.js';
import { stateName } from '../application/transitions.js';
import type { GroupConfig } from '../config/schema.js';
import { initialPrimaryOf } from '../config/schema.js';
import type { EpochMs, FailoverRecord, LoggedEvent, Notification, RegionName } from '../domain/types.js';
import type { StateStore } from '../ports/StateStore.js';
import type { EffectCounts } from './countingPorts.js';
import type { Starvation } from './DrillClock.js';
import type { StarvedProbe } from './DrillProber.js';
import type { EventTrail } from './eventTrail.js';
import { checkExpectations, type DrillFacts, type ExpectationResult } from './expectations.js';
import { formatDuration } from './format.js';
import { minimumDetectionMs, physicsChecks, type ProbeSighting } from './physics.js';
import { buildDrillReport, targetsOf, type DrillReport } from './report.js';
import type { Scenario } from './scenarios/types.js';
import type { VerdictChange } from './verdictHistory.js';

/**
 * How a drill ended: `pass` and `fail` are verdicts; `not-trusted` is none: the machine was too busy for the run's
 * timings to mean anything (see `trust`).
 */
export type DrillOutcome = 'pass' | 'fail' | 'not-trusted';

/** Whether the run's timings can be believed, and what the machine did to it. */
export interface DrillTrust {
  readonly trusted: boolean;
  /** Why not, in words; empty when trusted. */
  readonly reasons: readonly string[];
  /** What the machine did to the simulated clock; absent for a run in real time (the postgres world), which has none. */
  readonly starvation?: Starvation;
}

/** How the drill ended. */
export interface DrillEndState {
  readonly state: string;
  readonly primaryRegion: RegionName;
  readonly failover?: FailoverRecord;
  /** Simulated time from the start of the drill to its end. */
  readonly elapsedMs: number;
  /** Real time the drill took. */
  readonly realMs: number;
  /** True when the time box ended the drill before its expected end state. */
  readonly timedOut: boolean;
}

export interface DrillResult {
  readonly scenario: Scenario;
  /** When the drill started (T+0 of the console and the report). */
  readonly startedAt: EpochMs;
  /** Why things happened or did not: each change of a region's verdict, with its failing observers and reasons. */
  readonly verdicts: readonly VerdictChange[];
  readonly outcome: DrillOutcome;
  readonly trust: DrillTrust;
  /** What physics allows the drill to have seen (no failure before a fault, no detection faster than the probes). */
  readonly physics: readonly ExpectationResult[];
  /** The failover's report; absent when no failover started. */
  readonly report?: DrillReport;
  readonly endState: DrillEndState;
  readonly expectationResults: readonly ExpectationResult[];
  /** Every expectation held and physics was respected (a verdict only when `trust.trusted`). */
  readonly pass: boolean;
  readonly facts: DrillFacts;
  /** The group's event log, oldest first. */
  readonly events: readonly LoggedEvent[];
  /** What the control plane published to the (simulated) SNS topic. */
  readonly notifications: readonly Notification[];
}

/**
 * A verdict only for a run that can be trusted.
 *
 * @example
 * outcomeOf({ trusted: false, reasons: ['...'] }, true); // 'not-trusted'
 */
export function outcomeOf(trust: DrillTrust, pass: boolean): DrillOutcome {
  if (!trust.trusted) return 'not-trusted';
  return pass ? 'pass' : 'fail';
}

/** What a simulated run saw, for its result. */
export interface SimulatedRun {
  readonly scenario: Scenario;
  readonly group: GroupConfig;
  readonly world: SimWorld;
  readonly stateStore: StateStore;
  readonly trail: EventTrail;
  readonly counts: EffectCounts;
  readonly verdicts: readonly VerdictChange[];
  readonly sightings: readonly ProbeSighting[];
  readonly starvedProbes: readonly StarvedProbe[];
  /** What the machine did to the clock so far: asked last, so a stall while the result is built counts. */
  starvation(): Starvation;
  readonly firstCommandAt: EpochMs | undefined;
  /** When each operator command was queued. */
  readonly commandsAt: readonly EpochMs[];
  readonly startedAt: EpochMs;
  readonly now: EpochMs;
  readonly timedOut: boolean;
  readonly realMs: number;
}

/**
 * A simulated drill's result: the group's end state and failover report, the facts checked against the scenario's
 * expectations and against physics, and whether the machine let the run's timings mean anything.
 *
 * @example
 * const result = await simulatedResult({ scenario, group, world, ...seen, now: clock.now(), timedOut: false, realMs });
 * result.outcome; // 'pass'
 */
export async function simulatedResult(run: SimulatedRun): Promise<DrillResult> {
  const { group, world, trail, now, startedAt } = run;
  const snapshot = restoreSnapshot(await run.stateStore.load(group.id), group, now);
  const failover = snapshot.context.failover;
  const dataLoss = world.dataLoss();
  const faultInjectedAt = primaryFaultAt(world, group);
  const report =
    failover === undefined
      ? undefined
      : buildDrillReport({
          record: failover,
          events: trail.events,
          targets: targetsOf(group),
          scenario: run.scenario.name,
          sim: dataLoss,
          originAt: startedAt,
          endedAt: now,
          outside: { waits: world.outsideWaits(), operatorCommandsAt: run.commandsAt },
          ...(faultInjectedAt === undefined ? {} : { faultInjectedAt }),
        });
  const facts: DrillFacts = {
    state: stateName(snapshot),
    primaryRegion: snapshot.context.primaryRegion,
    ...(failover === undefined ? {} : { failover }),
    ...(report?.rtoMs === undefined ? {} : { rtoMs: report.rtoMs }),
    ...(dataLoss.lostWrites === undefined ? {} : { lostWrites: dataLoss.lostWrites }),
    promotions: run.counts.promoteOutcomes.started,
    promoteCalls: world.databases.calls.promote,
    trafficChanges: world.traffic.changes().length,
    visited: trail.visited(),
    eventCounts: trail.eventCounts(),
  };
  const expectationResults = checkExpectations(run.scenario.expect, facts);
  const worldChangedAt = earliest(trail.firstMoveAt(), run.firstCommandAt);
  const physics = physicsChecks({
    sightings: run.sightings,
    faultLog: world.faultLog(),
    startedAt,
    ...(worldChangedAt === undefined ? {} : { worldChangedAt }),
    minDetectionMs: minimumDetectionMs(group.policy),
    ...(report?.detectionMs === undefined || failover?.trigger.kind !== 'automatic' ? {} : { detectionMs: report.detectionMs }),
  });
  const trust = trustOf(run);
  const pass = expectationResults.every((result) => result.pass) && physics.every((check) => check.pass);
  return {
    scenario: run.scenario,
    outcome: outcomeOf(trust, pass),
    startedAt,
    verdicts: [...run.verdicts],
    trust,
    physics,
    ...(report === undefined ? {} : { report }),
    endState: {
      state: facts.state,
      primaryRegion: facts.primaryRegion,
      ...(failover === undefined ? {} : { failover }),
      elapsedMs: now - startedAt,
      realMs: run.realMs,
      timedOut: run.timedOut,
    },
    expectationResults,
    pass,
    facts,
    events: [...trail.events],
    notifications: world.notifier.messages().map((message) => message.notification),
  };
}

/** The machine was too busy when a probe hit its real-time bound, or a stall moved the clock further than it may. */
function trustOf(run: SimulatedRun): DrillTrust {
  const starvation = run.starvation();
  const { startedAt } = run;
  const reasons = [
    ...run.starvedProbes.map(
      (probe) => `a probe of ${probe.url} waited ${formatDuration(probe.realMs)} of real time for an answer the server gives at once (T+${((probe.at - startedAt) / 1000).toFixed(1)} s)`,
    ),
    ...starvation.stalls.map(
      (stall) => `the machine stopped the drill for ${formatDuration(stall.realMs)} of real time (T+${((stall.at - startedAt) / 1000).toFixed(1)} s)`,
    ),
  ];
  return { trusted: reasons.length === 0, reasons, starvation };
}

/** The first fault that hits the initial primary: detection is measured from it. */
function primaryFaultAt(world: SimWorld, group: GroupConfig): EpochMs | undefined {
  const primary = initialPrimaryOf(group);
  return world
    .faultLog()
    .find((entry) => entry.action === 'injected' && 'region' in entry.fault && entry.fault.region === primary && entry.fault.kind !== 'replica-lag')?.at;
}

function earliest(...times: readonly (EpochMs | undefined)[]): EpochMs | undefined {
  const known = times.filter((time) => time !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

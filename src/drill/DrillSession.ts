import type { SimWorld } from '../adapters/sim/SimWorld.js';
import { reconcileGroup, type ExecutorDeps } from '../application/executor.js';
import { runProbeRound, type ProbeDeps } from '../application/probeRound.js';
import { controlPlaneRegionsOf, type ControlPlaneConfig, type GroupConfig } from '../config/schema.js';
import { OPERATOR_INLINE_BUDGET_MS } from '../domain/timing.js';
import type { EpochMs, RegionName } from '../domain/types.js';
import type { EffectCounts } from './countingPorts.js';
import { DrillExecutors } from './crashInjection.js';
import type { DrillClock } from './DrillClock.js';
import type { DrillProber } from './DrillProber.js';
import { EventTrail } from './eventTrail.js';
import { isInState } from './expectations.js';
import type { FaultControl } from './interactiveFaults.js';
import type { ProbeSighting } from './physics.js';
import { progressEmitter, type DrillProgress, type ProgressWithoutTime } from './progress.js';
import { simulatedResult, type DrillResult } from './result.js';
import { ScriptPlayer } from './ScriptPlayer.js';
import type { Scenario } from './scenarios/types.js';
import { VerdictHistory } from './verdictHistory.js';
import { groupReports } from '../application/observerReports.js';

/** A drill's world and control plane, wired (see `startDrill`). */
export interface DrillParts {
  readonly scenario: Scenario;
  readonly config: ControlPlaneConfig;
  readonly world: SimWorld;
  readonly clock: DrillClock;
  readonly factor: number;
  /** The executor's ports: the world's effects (promotions counted in `counts`), the stores held off the clock. */
  readonly deps: ExecutorDeps;
  /** One observer's probe ports, as its probe Lambda would have them. */
  probeDeps(observer: RegionName): ProbeDeps;
  /** The prober every observer's probes go through: it knows which probes the machine starved. */
  readonly prober: DrillProber;
  readonly counts: EffectCounts;
  /** Who the scripted operator commands are recorded as. */
  readonly principalArn: string;
  readonly onProgress?: (progress: DrillProgress) => void;
}

/**
 * The run loop of a drill: observers probe every probe interval on their own schedule, the executor reconciles the
 * group after each round it has not seen, the script's due entries happen at the start of each round; `run()` stops at
 * the scenario's expected end state or its time box, `keepRunning()` goes on until told to stop.
 *
 * @example
 * const session = await startDrill({ scenario, stores });
 * const result = await session.run();
 * await session.close();
 */
export class DrillSession {
  readonly group: GroupConfig;
  readonly deps: ExecutorDeps;
  readonly config: ControlPlaneConfig;
  readonly world: SimWorld;
  readonly clock: DrillClock;
  readonly factor: number;
  private readonly trail = new EventTrail();
  private readonly verdicts: VerdictHistory;
  private readonly sightings: ProbeSighting[] = [];
  private readonly executors: DrillExecutors;
  private readonly script: ScriptPlayer;
  private readonly emit: (progress: ProgressWithoutTime) => void;
  private startedAt: EpochMs = 0;
  private roundsDone = 0;
  private roundsSeen = 0;
  private roundWaiter: (() => void) | undefined;
  private observerFailure: unknown;
  /** Executor runs the operator's commands started, still going. */
  private readonly operatorRuns = new Set<Promise<void>>();

  constructor(private readonly parts: DrillParts) {
    const { world, config } = parts;
    this.group = world.group;
    this.deps = parts.deps;
    this.config = config;
    this.world = world;
    this.clock = parts.clock;
    this.factor = parts.factor;
    this.emit = progressEmitter(parts.onProgress, () => this.startedAt);
    this.verdicts = new VerdictHistory(this.group, config.fleet.observerRegions);
    this.executors = new DrillExecutors((description) => this.emit({ kind: 'action', atMs: this.elapsed(), description }));
    this.script = new ScriptPlayer({
      scenario: parts.scenario,
      group: this.group,
      world: faultsOffTheClock(world, parts.clock),
      commands: parts.deps.commands,
      clock: parts.clock,
      trail: this.trail,
      executors: this.executors,
      principalArn: parts.principalArn,
      startedAt: () => this.startedAt,
      emit: (progress) => this.emit(progress),
      commandQueued: (commandId) => this.operatorRun(commandId),
    });
  }

  private get scenario(): Scenario {
    return this.parts.scenario;
  }

  private get intervalMs(): number {
    return this.group.policy.probeIntervalSeconds * 1000;
  }

  /** Plays the scenario to its expected end or its time box, then checks the expectations and builds the report. */
  async run(): Promise<DrillResult> {
    this.startedAt = this.clock.now();
    const realStart = performance.now();
    this.emit({ kind: 'started', atMs: 0, scenario: this.scenario, groupId: this.group.id, factor: this.factor });
    const timeBoxMs = this.scenario.timeBoxSeconds * 1000;
    const expect = this.scenario.expect;
    let timedOut = false;
    await this.whileObserving(async () => {
      for (;;) {
        await this.nextRound();
        await this.orchestrate();
        if (expect.failover && isInState(this.trail.state, expect.endState)) return;
        if (this.elapsed() >= timeBoxMs) {
          timedOut = expect.failover;
          return;
        }
      }
    });
    const realMs = performance.now() - realStart;
    this.emit({ kind: 'finished', atMs: this.elapsed(), state: this.trail.state, realMs });
    return simulatedResult({
      scenario: this.scenario,
      group: this.group,
      world: this.world,
      stateStore: this.deps.stateStore,
      trail: this.trail,
      counts: this.parts.counts,
      verdicts: this.verdicts.changes,
      sightings: this.sightings,
      starvedProbes: this.parts.prober.starved,
      starvation: () => this.clock.starvation(),
      firstCommandAt: this.script.firstCommandAt,
      commandsAt: this.script.commandsAt,
      startedAt: this.startedAt,
      now: this.clock.now(),
      timedOut,
      realMs,
    });
  }

  /**
   * After `run()`: keeps the observers probing and the executor reconciling, with no time box, so an operator can
   * drive the same world by hand (`fcp --local`) until `stop` settles.
   */
  async keepRunning(stop: Promise<void>): Promise<void> {
    let stopped = false;
    const stopping = stop.then(() => {
      stopped = true;
      this.wakeOrchestrator();
    });
    await this.whileObserving(async () => {
      while (!stopped) {
        await Promise.race([this.nextRound(), stopping]);
        if (stopped) return;
        await this.orchestrate();
      }
    });
  }

  /** What `fcp --local inject|clear` may do to this world while it keeps running (see `ScriptPlayer.faultControl`). */
  faultControl(): FaultControl {
    return this.script.faultControl();
  }

  async close(): Promise<void> {
    this.clock.stop();
    await this.world.close();
  }

  /**
   * Runs `orchestrator` while the observers probe every probe interval on their own schedule, as the probe Lambdas do:
   * a long executor run (a promotion being polled) does not delay the probes. The scenario's due actions fire at the
   * start of each round. The observers stop when the orchestrator returns; an error in either ends both.
   */
  private async whileObserving(orchestrator: () => Promise<void>): Promise<void> {
    let stopped = false;
    const observers = (async () => {
      let nextRoundAt = this.clock.now();
      while (!stopped) {
        await this.sleepUntil(nextRoundAt);
        if (stopped) return;
        await this.script.fireDue();
        await this.probeRound();
        this.roundsDone += 1;
        this.wakeOrchestrator();
        // A round that overran its interval is not followed by a burst of catch-up rounds.
        nextRoundAt = Math.max(nextRoundAt + this.intervalMs, this.clock.now());
      }
    })().catch((error: unknown) => {
      this.observerFailure = error;
      this.wakeOrchestrator();
    });
    try {
      await orchestrator();
    } finally {
      stopped = true;
      await observers;
      while (this.operatorRuns.size > 0) await Promise.all(this.operatorRuns);
    }
    if (this.observerFailure !== undefined) throw this.observerFailure;
  }

  /**
   * What the operator API does with a command it queued: runs the executor for the group at once, under its own owner
   * and for its inline budget, while the observers and the orchestrator go on (`postCommand`). The executor takes the
   * command if no other run holds the group's lease; otherwise the holder's next pass takes it, as in AWS. A failure
   * ends the drill as an observer's would.
   */
  private operatorRun(commandId: string): void {
    const run = reconcileGroup(this.deps, this.group, { owner: `drill-operator-${commandId}`, deadline: this.clock.now() + OPERATOR_INLINE_BUDGET_MS })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.observerFailure ??= error;
        this.wakeOrchestrator();
      })
      .finally(() => this.operatorRuns.delete(run));
    this.operatorRuns.add(run);
  }

  /** Waits for a probe round the orchestrator has not seen yet. */
  private async nextRound(): Promise<void> {
    while (this.roundsDone <= this.roundsSeen && this.observerFailure === undefined) {
      await new Promise<void>((resolve) => (this.roundWaiter = resolve));
    }
    if (this.observerFailure !== undefined) throw this.observerFailure;
    this.roundsSeen = this.roundsDone;
  }

  private wakeOrchestrator(): void {
    const waiter = this.roundWaiter;
    this.roundWaiter = undefined;
    waiter?.();
  }

  /** One executor run after a probe round, for at most one probe interval, then the events it logged. */
  private async orchestrate(): Promise<void> {
    await this.reconcile(this.clock.now() + this.intervalMs);
    for (const event of await this.trail.collect(this.deps.eventLog, this.group.id)) {
      this.emit({ kind: 'event', atMs: event.at - this.startedAt, event });
    }
  }

  /** Every observer probes every region at once. An observer whose own region is down does not run: its Lambda is down too. */
  private async probeRound(): Promise<void> {
    const observers = this.config.fleet.observerRegions.filter((observer) => !this.script.downRegions.has(observer));
    const rounds = await Promise.all(
      observers.map((observer) =>
        runProbeRound(this.parts.probeDeps(observer), { observerRegion: observer, groups: [this.group] }).then((round) => ({ observer, round })),
      ),
    );
    for (const { observer, round } of rounds) {
      for (const region of round.regions) {
        this.sightings.push({ at: round.startedAt, observer, region: region.region, ok: region.ok, reasons: region.failureReasons });
      }
    }
    const now = this.clock.now();
    this.verdicts.record(await groupReports(this.deps.observations, this.group), now);
  }

  /**
   * One executor run in every control-plane region still up, at once: all try the lease, one acts, the others stand
   * by (with one control-plane region, the single executor of every other scenario).
   */
  private async reconcile(deadline: EpochMs): Promise<void> {
    const regions = controlPlaneRegionsOf(this.config.fleet);
    if (regions.length === 1) return this.executors.reconcile(this.deps, this.group, undefined, deadline);
    const alive = regions.filter((region) => !this.executors.isDown(region) && !this.script.downRegions.has(region));
    await Promise.all(alive.map((region) => this.executors.reconcile(this.deps, this.group, region, deadline)));
  }

  private elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  private async sleepUntil(at: EpochMs): Promise<void> {
    const waitMs = at - this.clock.now();
    if (waitMs > 0) await this.clock.sleep(waitMs);
  }
}

/**
 * The world's fault switch with the clock standing still: a fault happens at the round's time, and its real plumbing
 * (closing a health server's sockets) is no simulated time. Otherwise that real wait, ×100, made the injection and the
 * round that sees it late (0.03-0.2 s, seconds when the machine woke the drill late), the next rounds kept their
 * schedule, and the detection came in under the probe schedule's minimum: a false failed physics check.
 */
function faultsOffTheClock(world: SimWorld, clock: DrillClock): Pick<SimWorld, 'inject'> {
  return {
    inject: async (fault) => {
      const handle = await clock.hold(() => world.inject(fault));
      return { ...handle, clear: () => clock.hold(() => handle.clear()) };
    },
  };
}

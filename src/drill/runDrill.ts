import { fileURLToPath } from 'node:url';
import { SimWorld, type SimFault, type SimFaultHandle } from '../adapters/sim/SimWorld.js';
import { HttpProber } from '../adapters/http/HttpProber.js';
import { reconcileGroup, type ExecutorDeps } from '../application/executor.js';
import { restoreSnapshot } from '../application/plan.js';
import { runProbeRound } from '../application/probeRound.js';
import { trackedDatabase } from '../application/trackedDatabase.js';
import { stateName } from '../application/transitions.js';
import { formatIssues } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import { controlPlaneRegionsOf, GroupSchema, initialPrimaryOf, type ControlPlaneConfig, type GroupConfig } from '../config/schema.js';
import { ValidationError } from '../domain/errors.js';
import { evaluateGroup } from '../domain/verdicts.js';
import type { EpochMs, FailoverRecord, LoggedEvent, Notification, RegionHealth, RegionName, Verdict } from '../domain/types.js';
import type { CommandQueue } from '../ports/CommandQueue.js';
import type { Database, PromoteOutcome } from '../ports/Database.js';
import type { EventLog } from '../ports/EventLog.js';
import type { FaultStore } from '../ports/FaultStore.js';
import type { FleetLedger } from '../ports/FleetLedger.js';
import type { ObservationStore } from '../ports/ObservationStore.js';
import type { StateStore } from '../ports/StateStore.js';
import { DrillClock, type Starvation } from './DrillClock.js';
import { DrillProber } from './DrillProber.js';
import type { FaultControl } from './interactiveFaults.js';
import { minimumDetectionMs, physicsChecks, type ProbeSighting } from './physics.js';
import { checkExpectations, isInState, type DrillFacts, type ExpectationResult } from './expectations.js';
import { formatDuration } from './format.js';
import { buildDrillReport, targetsOf, type DrillReport } from './report.js';
import type { CrashPoint, DrillAction, DrillTrigger, GroupOverrides, Scenario } from './scenarios/types.js';

/**
 * Simulated time runs this many times faster than real time. Storage calls and HTTP probes take no simulated time
 * (DrillClock holds the clock during them), so the factor only trades real time against the control plane's own CPU
 * time showing up in the step timings. Measured (docs/drills.md, "The drill clock and choosing the factor"): at 100
 * the sub-second steps stay within about a second of their simulated cost and the default scenario runs in 6-9 s.
 */
export const DEFAULT_CLOCK_FACTOR = 100;
export const DRILL_PRINCIPAL = 'arn:aws:iam::000000000000:user/drill-operator';
export const DRILL_CONFIG_PATH = fileURLToPath(new URL('../../config/drill.yaml', import.meta.url));

/** The storage ports the control plane uses: DynamoDB Local for `npm start`, anything that implements them in tests. */
export interface DrillStores {
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly observations: ObservationStore;
  readonly commands: CommandQueue;
  readonly fleet: FleetLedger;
  readonly faults: FaultStore;
}

/** Live output: what the drill did, each logged event (state changes, step results) with its simulated time. */
export type DrillProgress = ProgressWithoutTime & {
  /** The simulated moment, as a date (printed in UTC next to the T+ offset `atMs`). */
  readonly at: EpochMs;
};

export type ProgressWithoutTime =
  | { readonly kind: 'started'; readonly atMs: 0; readonly scenario: Scenario; readonly groupId: string; readonly factor: number }
  | { readonly kind: 'action'; readonly atMs: number; readonly description: string }
  | { readonly kind: 'event'; readonly atMs: number; readonly event: LoggedEvent }
  | { readonly kind: 'finished'; readonly atMs: number; readonly state: string; readonly realMs: number };

export interface DrillOptions {
  readonly scenario: Scenario;
  readonly stores: DrillStores;
  /** Default: config/drill.yaml. The scenario plays against its first group. */
  readonly config?: ControlPlaneConfig;
  /** Default: DEFAULT_CLOCK_FACTOR. */
  readonly factor?: number;
  readonly onProgress?: (progress: DrillProgress) => void;
  /** Who the scripted operator commands are recorded as. */
  readonly principalArn?: string;
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

/** A region's verdict changed (or its failing observers or reasons did) after a probe round. */
export interface VerdictChange {
  readonly at: EpochMs;
  readonly region: RegionName;
  readonly verdict: Verdict;
  readonly failingObservers: readonly RegionName[];
  readonly reasons: readonly string[];
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
 * Plays `scenario` against the simulated world with the real control plane: three observers run a probe round every
 * probe interval (real HTTP to local health servers, each through its own partition view), the executor reconciles
 * the group after each round, scripted faults and operator commands (through the CommandQueue, so `decideCommand`
 * judges them) happen at their simulated times. Stops at the scenario's expected end state or its time box.
 *
 * @example
 * const result = await runDrill({ scenario: primaryRegionOutage, stores, onProgress: (p) => console.log(p.kind) });
 * result.pass; // every expectation of the scenario held
 * result.report?.rtoMs; // the failover's RTO in simulated milliseconds
 */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const session = await startDrill(options);
  try {
    return await session.run();
  } finally {
    await session.close();
  }
}

/**
 * Builds the world and the control plane for a drill without running it: `run()` plays the scenario, `deps` is the
 * control plane's wiring (what an operator API server takes), `close()` stops the health servers.
 *
 * @example
 * const session = await startDrill({ scenario, stores });
 * const result = await session.run();
 * await session.close();
 */
export async function startDrill(options: DrillOptions): Promise<DrillSession> {
  const config = options.config ?? (await loadConfig(DRILL_CONFIG_PATH));
  const [first] = config.groups;
  if (first === undefined) throw new ValidationError('the drill configuration has no group', ['groups: needs one group to drill']);
  const factor = options.factor ?? DEFAULT_CLOCK_FACTOR;
  const clock = new DrillClock({ factor });
  const group = withOverrides(first, options.scenario.overrides);
  const world = await SimWorld.create(group, {
    clock,
    ...(options.scenario.timings === undefined ? {} : { timings: options.scenario.timings }),
  });
  const regions = options.scenario.controlPlaneRegions;
  const fleet =
    regions === undefined ? config.fleet : { ...config.fleet, controlPlaneRegion: regions[0], controlPlaneReplicaRegions: [regions[1], regions[2]] };
  return new DrillSession(options, { ...config, fleet, groups: [world.group] }, world, clock, factor);
}

/**
 * Applies a scenario's overrides to a group and validates the result as a configuration would be.
 *
 * @example
 * const group = withOverrides(config.groups[0], { mode: 'approval' });
 */
export function withOverrides(group: GroupConfig, overrides: GroupOverrides | undefined): GroupConfig {
  if (overrides === undefined) return group;
  const policy = {
    ...group.policy,
    ...overrides.policy,
    stepTimeouts: { ...group.policy.stepTimeouts, ...overrides.policy?.stepTimeouts },
    targets: { ...group.policy.targets, ...overrides.policy?.targets },
  };
  const parameterGroup = overrides.readOnlyParameterGroup;
  const regions = Object.fromEntries(
    Object.entries(group.regions).map(([name, region]) => [
      name,
      parameterGroup !== undefined && region.database.kind === 'rds-instance'
        ? { ...region, database: { ...region.database, readOnlyParameterGroup: parameterGroup } }
        : region,
    ]),
  );
  const dns = overrides.trafficSwitch === undefined ? group.dns : simulatedArcSwitch(group);
  const result = GroupSchema.safeParse({ ...group, mode: overrides.mode ?? group.mode, policy, regions, dns });
  if (!result.success) {
    throw new ValidationError(`the scenario's overrides make group ${group.id} invalid`, formatIssues(result.error.issues), { groupId: group.id });
  }
  return result.data;
}

/**
 * The drill's ARC settings: placeholders, as the simulated zone plays the routing controls' records. The name server
 * address is never asked (the simulated zone answers `currentRegion` itself).
 */
function simulatedArcSwitch(group: GroupConfig): GroupConfig['dns'] {
  const control = (region: string) => `arn:aws:route53-recovery-control::000000000000:controlpanel/drill/routingcontrol/${region}`;
  return {
    ...group.dns,
    switch: 'arc-routing-control',
    nameServers: ['127.0.0.1:53'],
    arc: {
      clusterEndpoints: [{ region: 'us-west-2', endpoint: 'https://drill.route53-recovery-cluster.invalid/v1' }],
      routingControls: Object.fromEntries(Object.keys(group.regions).map((region) => [region, control(region)])),
    },
  };
}

interface PendingEntry {
  readonly index: number;
  readonly at: DrillTrigger;
  readonly action: DrillAction;
}

const never = new Promise<never>(() => {});

export class DrillSession {
  readonly group: GroupConfig;
  readonly deps: ExecutorDeps;
  private readonly stores: DrillStores;
  private readonly prober: DrillProber;
  private readonly sightings: ProbeSighting[] = [];
  private readonly verdicts: VerdictChange[] = [];
  private health: Record<RegionName, RegionHealth> = {};
  private readonly faultHandles = new Map<string, SimFaultHandle>();
  private readonly downRegions = new Set<RegionName>();
  private readonly firstVisit = new Map<string, EpochMs>();
  private readonly events: LoggedEvent[] = [];
  private readonly promoteOutcomes: Record<PromoteOutcome, number> = { started: 0, 'in-progress': 0, 'already-promoted': 0 };
  private pending: PendingEntry[];
  private crashAt: CrashPoint | undefined;
  private crashTakesRegionDown = false;
  /** Control-plane regions gone down with their executor: no executor runs there again. */
  private readonly downControlPlaneRegions = new Set<RegionName>();
  private executorGeneration = 1;
  private interactiveFaults = 0;
  private state = 'monitoring';
  private startedAt: EpochMs = 0;
  private firstCommandAt: EpochMs | undefined;
  /** When each operator command was queued: the operator's time ends there, the control plane's begins. */
  private readonly commandsAt: EpochMs[] = [];
  private roundsDone = 0;
  private roundsSeen = 0;
  private roundWaiter: (() => void) | undefined;
  private observerFailure: unknown;

  constructor(
    private readonly options: DrillOptions,
    readonly config: ControlPlaneConfig,
    readonly world: SimWorld,
    readonly clock: DrillClock,
    readonly factor: number,
  ) {
    this.group = world.group;
    this.pending = options.scenario.script.map((entry, index) => ({ index, ...entry }));
    this.prober = new DrillProber(new HttpProber(), clock, {
      behaviourAt: (url) => {
        for (const region of Object.keys(world.group.regions)) {
          const server = world.server(region);
          if (url.startsWith(`${server.origin}/`)) return { region, behaviour: server.current };
        }
        return undefined;
      },
    });
    const stores = holdingStores(clock, options.stores);
    this.stores = stores;
    this.deps = {
      config,
      clock,
      stateStore: stores.stateStore,
      eventLog: stores.eventLog,
      observations: stores.observations,
      commands: stores.commands,
      fleet: stores.fleet,
      database: this.countingPromotions(world.database),
      traffic: world.traffic,
      notifier: world.notifier,
      prober: this.prober,
      // Short enough that the last save of a pass lands before the next probe round.
      safetyMarginMs: 500,
    };
  }

  private get scenario(): Scenario {
    return this.options.scenario;
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
        if (expect.failover && isInState(this.state, expect.endState)) return;
        if (this.elapsed() >= timeBoxMs) {
          timedOut = expect.failover;
          return;
        }
      }
    });
    const realMs = performance.now() - realStart;
    this.emit({ kind: 'finished', atMs: this.elapsed(), state: this.state, realMs });
    return this.result(timedOut, realMs);
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

  /**
   * What `fcp --local inject|clear` may do to this world while it keeps running: inject a fault now (as a scripted
   * `inject` would), clear one or all of those injected so.
   */
  faultControl(): FaultControl {
    const interactive = new Map<string, string>();
    return {
      regions: Object.keys(this.group.regions),
      inject: async (fault) => {
        this.interactiveFaults += 1;
        const id = `fault-${this.interactiveFaults}`;
        await this.perform({ index: -1, at: { seconds: 0 }, action: { kind: 'inject', fault, id } });
        interactive.set(id, describeFault(fault));
        return { id, description: describeFault(fault) };
      },
      clear: async (id) => {
        const ids = id === undefined ? [...interactive.keys()] : interactive.has(id) ? [id] : [];
        for (const each of ids) {
          await this.perform({ index: -1, at: { seconds: 0 }, action: { kind: 'clear', id: each } });
          interactive.delete(each);
        }
        return ids;
      },
      active: () => [...interactive].map(([id, description]) => ({ id, description })),
    };
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
        await this.fireDueActions();
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
    }
    if (this.observerFailure !== undefined) throw this.observerFailure;
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
    await this.collectEvents();
  }

  /** Every observer probes every region at once. An observer whose own region is down does not run: its Lambda is down too. */
  private async probeRound(): Promise<void> {
    const observers = this.config.fleet.observerRegions.filter((observer) => !this.downRegions.has(observer));
    const rounds = await Promise.all(
      observers.map((observer) =>
        runProbeRound(
        {
          config: this.config,
          prober: this.world.proberFor(observer, this.prober),
          database: trackedDatabase(this.world.databaseFor(observer), this.stores.stateStore, this.clock),
          observations: this.stores.observations,
          faults: this.stores.faults,
          clock: this.clock,
        },
          { observerRegion: observer, groups: [this.group] },
        ).then((round) => ({ observer, round })),
      ),
    );
    for (const { observer, round } of rounds) {
      for (const region of round.regions) {
        this.sightings.push({ at: round.startedAt, observer, region: region.region, ok: region.ok, reasons: region.failureReasons });
      }
    }
    await this.recordVerdicts();
  }

  /** The verdicts the observers' reports give now (the rule of src/domain/verdicts.ts); a change is a history line. */
  private async recordVerdicts(): Promise<void> {
    const now = this.clock.now();
    const health = evaluateGroup({
      group: this.group,
      previous: this.health,
      reports: await this.stores.observations.listForGroup(this.group.id),
      observerRegions: this.config.fleet.observerRegions,
      now,
    });
    for (const [region, verdict] of Object.entries(health)) {
      const before = this.health[region];
      const changed =
        before === undefined
          ? verdict.verdict !== 'healthy'
          : before.verdict !== verdict.verdict || before.failingObservers.join() !== verdict.failingObservers.join() || before.reasons.join() !== verdict.reasons.join();
      if (changed) {
        this.verdicts.push({ at: now, region, verdict: verdict.verdict, failingObservers: verdict.failingObservers, reasons: verdict.reasons });
      }
    }
    this.health = health;
  }

  /**
   * One executor run in every control-plane region still up, at once: all try the lease, one acts, the others stand
   * by (with one control-plane region, the single executor of every other scenario).
   */
  private async reconcile(deadline: EpochMs): Promise<void> {
    const regions = controlPlaneRegionsOf(this.config.fleet);
    if (regions.length === 1) return this.reconcileIn(undefined, deadline);
    const alive = regions.filter((region) => !this.downControlPlaneRegions.has(region) && !this.downRegions.has(region));
    await Promise.all(alive.map((region) => this.reconcileIn(region, deadline)));
  }

  private async reconcileIn(region: RegionName | undefined, deadline: EpochMs): Promise<void> {
    const owner = region === undefined ? `drill-executor-${this.executorGeneration}` : `drill-executor-${region}-${this.executorGeneration}`;
    const crashAt = this.crashAt;
    if (crashAt === undefined) {
      await reconcileGroup(this.deps, this.group, { owner, deadline });
      return;
    }
    let died = (): void => {};
    const death = new Promise<'died'>((resolve) => (died = () => resolve('died')));
    const deps: ExecutorDeps = {
      ...this.deps,
      database: dyingAfter(this.deps.database, crashAt, died),
      traffic: dyingAfter(this.deps.traffic, crashAt, died),
    };
    const ending = await Promise.race([reconcileGroup(deps, this.group, { owner, deadline }), death]);
    if (ending !== 'died') return;
    // The dead run never returns and keeps its lease until it expires; the next run is another executor.
    this.crashAt = undefined;
    this.executorGeneration += 1;
    this.emit({ kind: 'action', atMs: this.elapsed(), description: `executor ${owner} died right after its ${crashAt} call (its lease expires on its own)` });
    if (region !== undefined && this.crashTakesRegionDown) {
      this.crashTakesRegionDown = false;
      this.downControlPlaneRegions.add(region);
      this.emit({ kind: 'action', atMs: this.elapsed(), description: `control-plane region ${region} is down: the executors in the other regions carry on` });
    }
  }

  /** Appends the events logged since the last look, records each state's first visit, reports them. */
  private async collectEvents(): Promise<void> {
    const lastSeq = this.events.at(-1)?.seq ?? 0;
    const fresh = (await this.deps.eventLog.list(this.group.id)).filter((event) => event.seq > lastSeq).reverse();
    for (const event of fresh) {
      this.events.push(event);
      this.state = event.state;
      if (!this.firstVisit.has(event.state)) this.firstVisit.set(event.state, event.at);
      this.emit({ kind: 'event', atMs: event.at - this.startedAt, event });
    }
  }

  private async fireDueActions(): Promise<void> {
    const now = this.clock.now();
    const due = this.pending.filter((entry) => this.isDue(entry.at, now));
    this.pending = this.pending.filter((entry) => !due.includes(entry));
    for (const entry of due) await this.perform(entry);
  }

  private isDue(trigger: DrillTrigger, now: EpochMs): boolean {
    if ('seconds' in trigger) return now - this.startedAt >= trigger.seconds * 1000;
    const visitedAt = [...this.firstVisit].find(([state]) => isInState(state, trigger.state))?.[1];
    return visitedAt !== undefined && now >= visitedAt + (trigger.plusSeconds ?? 0) * 1000;
  }

  private async perform(entry: PendingEntry): Promise<void> {
    const { action } = entry;
    switch (action.kind) {
      case 'inject': {
        const handle = await this.world.inject(action.fault);
        if (action.id !== undefined) this.faultHandles.set(action.id, handle);
        if (action.fault.kind === 'region-outage') this.downRegions.add(action.fault.region);
        this.emit({ kind: 'action', atMs: handle.injectedAt - this.startedAt, description: `fault injected: ${describeFault(action.fault)}` });
        return;
      }
      case 'clear': {
        const handle = this.faultHandles.get(action.id);
        if (handle === undefined) throw new RangeError(`scenario ${this.scenario.name}: no fault was injected with id ${action.id}`);
        await handle.clear();
        if (handle.fault.kind === 'region-outage') this.downRegions.delete(handle.fault.region);
        this.emit({ kind: 'action', atMs: this.elapsed(), description: `fault cleared: ${describeFault(handle.fault)}` });
        return;
      }
      case 'command': {
        const requestedAt = this.clock.now();
        this.firstCommandAt ??= requestedAt;
        this.commandsAt.push(requestedAt);
        await this.deps.commands.enqueue({
          id: `${this.scenario.name}-${entry.index}-${this.startedAt}`,
          groupId: this.group.id,
          type: action.type,
          principalArn: this.options.principalArn ?? DRILL_PRINCIPAL,
          reason: action.reason,
          requestedAt,
          drillScenario: this.scenario.name,
          ...(action.targetRegion === undefined ? {} : { targetRegion: action.targetRegion }),
          ...(action.allowDataLoss === undefined ? {} : { allowDataLoss: action.allowDataLoss }),
        });
        const flags = [
          action.targetRegion === undefined ? '' : ` --to ${action.targetRegion}`,
          action.allowDataLoss === true ? ' --allow-data-loss' : '',
        ].join('');
        this.emit({ kind: 'action', atMs: requestedAt - this.startedAt, description: `operator: fcp ${action.type} ${this.group.id}${flags} --reason "${action.reason}"` });
        return;
      }
      case 'crash-executor':
        this.crashAt = action.at;
        this.crashTakesRegionDown = action.regionDown === true;
        this.emit({ kind: 'action', atMs: this.elapsed(), description: `the executor will die right after its next ${action.at} call` });
        return;
    }
  }

  private async result(timedOut: boolean, realMs: number): Promise<DrillResult> {
    const now = this.clock.now();
    const snapshot = restoreSnapshot(await this.deps.stateStore.load(this.group.id), this.group, now);
    const failover = snapshot.context.failover;
    const dataLoss = this.world.dataLoss();
    const faultInjectedAt = this.primaryFaultAt();
    const report =
      failover === undefined
        ? undefined
        : buildDrillReport({
            record: failover,
            events: this.events,
            targets: targetsOf(this.group),
            scenario: this.scenario.name,
            sim: dataLoss,
            originAt: this.startedAt,
            endedAt: now,
            outside: { waits: this.world.outsideWaits(), operatorCommandsAt: this.commandsAt },
            ...(faultInjectedAt === undefined ? {} : { faultInjectedAt }),
          });
    const eventCounts: Record<string, number> = {};
    for (const event of this.events) eventCounts[event.type] = (eventCounts[event.type] ?? 0) + 1;
    const facts: DrillFacts = {
      state: stateName(snapshot),
      primaryRegion: snapshot.context.primaryRegion,
      ...(failover === undefined ? {} : { failover }),
      ...(report?.rtoMs === undefined ? {} : { rtoMs: report.rtoMs }),
      ...(dataLoss.lostWrites === undefined ? {} : { lostWrites: dataLoss.lostWrites }),
      promotions: this.promoteOutcomes.started,
      promoteCalls: this.world.databases.calls.promote,
      trafficChanges: this.world.traffic.changes().length,
      visited: ['monitoring', ...[...this.firstVisit.keys()].filter((state) => state !== 'monitoring')],
      eventCounts,
    };
    const expectationResults = checkExpectations(this.scenario.expect, facts);
    const physics = physicsChecks({
      sightings: this.sightings,
      faultLog: this.world.faultLog(),
      startedAt: this.startedAt,
      ...(this.worldChangedAt() === undefined ? {} : { worldChangedAt: this.worldChangedAt() }),
      minDetectionMs: minimumDetectionMs(this.group.policy),
      ...(report?.detectionMs === undefined || failover?.trigger.kind !== 'automatic' ? {} : { detectionMs: report.detectionMs }),
    });
    const trust = this.trust();
    const pass = expectationResults.every((result) => result.pass) && physics.every((check) => check.pass);
    return {
      scenario: this.scenario,
      outcome: !trust.trusted ? 'not-trusted' : pass ? 'pass' : 'fail',
      startedAt: this.startedAt,
      verdicts: [...this.verdicts],
      trust,
      physics,
      ...(report === undefined ? {} : { report }),
      endState: {
        state: facts.state,
        primaryRegion: facts.primaryRegion,
        ...(failover === undefined ? {} : { failover }),
        elapsedMs: now - this.startedAt,
        realMs,
        timedOut,
      },
      expectationResults,
      pass,
      facts,
      events: [...this.events],
      notifications: this.world.notifier.messages().map((message) => message.notification),
    };
  }

  /** The first operator command or the group's first move out of `monitoring`. */
  private worldChangedAt(): EpochMs | undefined {
    const moves = [...this.firstVisit].filter(([state]) => state !== 'monitoring').map(([, at]) => at);
    const times = [...moves, ...(this.firstCommandAt === undefined ? [] : [this.firstCommandAt])];
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** The machine was too busy when a probe hit its real-time bound, or a stall moved the clock further than it may. */
  private trust(): DrillTrust {
    const starvation = this.clock.starvation();
    const reasons = [
      ...this.prober.starved.map(
        (probe) => `a probe of ${probe.url} waited ${formatDuration(probe.realMs)} of real time for an answer the server gives at once (T+${((probe.at - this.startedAt) / 1000).toFixed(1)} s)`,
      ),
      ...starvation.stalls.map(
        (stall) => `the machine stopped the drill for ${formatDuration(stall.realMs)} of real time (T+${((stall.at - this.startedAt) / 1000).toFixed(1)} s)`,
      ),
    ];
    return { trusted: reasons.length === 0, reasons, starvation };
  }

  /** The first fault that hits the initial primary: detection is measured from it. */
  private primaryFaultAt(): EpochMs | undefined {
    const primary = initialPrimaryOf(this.group);
    return this.world
      .faultLog()
      .find((entry) => entry.action === 'injected' && 'region' in entry.fault && entry.fault.region === primary && entry.fault.kind !== 'replica-lag')?.at;
  }

  private countingPromotions(database: Database): Database {
    return {
      describe: (group, region) => database.describe(group, region),
      fence: (group, region, mode) => database.fence(group, region, mode),
      promote: async (group, region, promoteOptions) => {
        const outcome = await database.promote(group, region, promoteOptions);
        this.promoteOutcomes[outcome] += 1;
        return outcome;
      },
      ...(database.createReplica === undefined ? {} : { createReplica: database.createReplica.bind(database) }),
    };
  }

  private elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  private async sleepUntil(at: EpochMs): Promise<void> {
    const waitMs = at - this.clock.now();
    if (waitMs > 0) await this.clock.sleep(waitMs);
  }

  private emit(progress: ProgressWithoutTime): void {
    this.options.onProgress?.({ ...progress, at: this.startedAt + progress.atMs });
  }
}

/** Every storage call stands the clock still: storage latency is not part of the simulated timings. */
function holdingStores(clock: DrillClock, stores: DrillStores): DrillStores {
  return {
    stateStore: clock.holding(stores.stateStore),
    eventLog: clock.holding(stores.eventLog),
    observations: clock.holding(stores.observations),
    commands: clock.holding(stores.commands),
    fleet: clock.holding(stores.fleet),
    faults: clock.holding(stores.faults),
  };
}

/** `port` with `method` replaced: it performs the call, then the caller never hears back (a killed Lambda). */
function dyingAfter<T extends object>(port: T, method: CrashPoint, onDeath: () => void): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args);
        onDeath();
        return never;
      };
    },
  });
}

/**
 * A fault in words, for the live output.
 *
 * @example
 * describeFault({ kind: 'region-outage', region: 'eu-west-1' }); // 'region-outage eu-west-1'
 */
export function describeFault(fault: SimFault): string {
  switch (fault.kind) {
    case 'dns-throttle':
      return `dns-throttle (next ${fault.calls} record changes fail with ${fault.code ?? 'Throttling'})`;
    case 'route53-control-plane-outage':
      return 'route53-control-plane-outage (record changes and GetChange fail; DNS answers carry on)';
    case 'partition':
      return `partition (observer ${fault.observer} cannot reach ${fault.region})`;
    case 'http':
      return `http ${fault.region} (${fault.behaviour.kind})`;
    case 'replica-lag':
      return `replica-lag ${fault.region}${fault.extraLagSeconds === undefined ? '' : ` (+${fault.extraLagSeconds} s)`}`;
    case 'promotion-invalid-state':
      return `promotion-invalid-state ${fault.region} (${fault.attempts} attempts)`;
    default:
      return `${fault.kind} ${fault.region}`;
  }
}

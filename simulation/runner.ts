import { handleOperatorRequest } from '../src/application/operatorApi.js';
import { operatorPaths } from '../src/application/operatorRoutes.js';
import type { OperatorCommandType } from '../src/ports/CommandQueue.js';
import { orchestrateUntil, type Outcome } from '../src/application/orchestrate.js';
import { newHeartbeatMemory, runProbeRound } from '../src/application/probeRound.js';
import type { ExecutorDeps } from '../src/application/executor.js';
import { LookBudget } from '../src/application/lookBudget.js';
import type { ControlPlaneConfig, GroupConfig } from '../src/config/schema.js';
import type { EpochMs, LoggedEvent, Notification, ObserverReport, RegionName } from '../src/domain/types.js';
import type { Clock } from '../src/ports/Clock.js';
import type { Database } from '../src/ports/Database.js';
import type { FaultStore } from '../src/ports/FaultStore.js';
import type { GroupRecord } from '../src/ports/StateStore.js';
import { SimTopic } from '../src/adapters/sim/SimTopic.js';
import { InMemoryCommandQueue } from '../test/doubles/InMemoryCommandQueue.js';
import { InMemoryFleetLedger } from '../test/doubles/InMemoryFleetLedger.js';
import { dnsValue, simulatedConfig } from './config.js';
import { formatTime, SIM_START } from './time.js';
import { InvariantChecker, savedState, type InvariantName, type Violation } from './invariants.js';
import type { Fault, Schedule, ScheduledFault } from './schedule.js';
import { VirtualClock } from './VirtualClock.js';
import { RecordingEventLog } from './world/RecordingEventLog.js';
import { RecordingStateStore } from './world/RecordingStateStore.js';
import { SimCloud } from './world/SimCloud.js';
import { SimObservationStore } from './world/SimObservationStore.js';
import { SimTraffic } from './world/SimTraffic.js';

const OPERATOR = 'arn:aws:iam::000000000000:user/sim-operator';
const ORCHESTRATE_EVERY_MS = 60_000;
/** A probe invocation's life: its memory of written reports and vouches ends with it. */
const PROBE_INVOCATION_MS = 60_000;
/** The orchestrate Lambda's run within its minute (the handler's deadline: remaining time minus its margin). */
const ORCHESTRATE_RUN_MS = 55_000;
const OPERATOR_DEADLINE_MS = 20_000;
const API_LATENCY_MS = 200;
const EXIT_ROUND_MS = 3 * 60_000;
const EXIT_ROUNDS = 4;
/** How long every group must rest, quiet, after the heal before the liveness bound may end early. */
export const QUIET_REST_MS = 90_000;

export interface RunOptions {
  /** Keep a readable trace (slower; the pool re-runs a failing seed with it). */
  readonly trace?: boolean;
  /** Self-test: plant one violation of this invariant and let the checker find it. */
  readonly plant?: InvariantName;
}

export interface RunResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly trace: readonly string[];
  readonly stats: { readonly steps: number; readonly promotions: number; readonly commands: number };
}

type PortCallPlan = { readonly kind: 'crash' | 'freeze'; readonly portCall: number; readonly phase: 'before' | 'after'; readonly freezeMs?: number };

const NO_DRILL_FAULTS: FaultStore = {
  put: () => Promise.reject(new Error('the simulator injects no drill faults')),
  active: () => Promise.resolve([]),
  activeFor: () => Promise.resolve([]),
  clear: () => Promise.resolve(),
};

const never = (): Promise<never> => new Promise<never>(() => {});

/**
 * Plays one schedule on a fresh simulated world with the project's own code: probe rounds from every observer, the
 * orchestrator's one-minute runs, operator requests through the operator API, all on one virtual clock. The
 * invariants are checked after every event; at `healAt` every fault heals, at `endAt` the group must rest, then an
 * operator tries the exits of any group that needs one.
 *
 * @example
 * const result = await runSchedule(generateSchedule(42));
 * result.violations; // [] on correct code
 */
export async function runSchedule(schedule: Schedule, options: RunOptions = {}): Promise<RunResult> {
  return new Simulation(schedule, options).run();
}

class Simulation {
  private readonly clock = new VirtualClock(SIM_START);
  private readonly config: ControlPlaneConfig;
  private readonly cloud: SimCloud;
  private readonly traffic: SimTraffic;
  private readonly notifier: SimTopic;
  private readonly eventLog = new RecordingEventLog();
  private readonly stateStore = new RecordingStateStore();
  private readonly observations = new SimObservationStore();
  private readonly commands = new InMemoryCommandQueue();
  private readonly fleet = new InMemoryFleetLedger();
  /** Drill faults are the drills' business: the simulator injects its own faults into the world, never through here. */
  private readonly faultStore: FaultStore = NO_DRILL_FAULTS;
  private readonly checker: InvariantChecker;
  private readonly trace: string[] = [];
  private readonly staleObservers = new Map<RegionName, number>();
  private readonly skews = new Map<RegionName, number>();
  private readonly undo: (() => void)[] = [];
  private readonly exitsTried = new Map<string, string[]>();
  private nextFailoverId = 1;
  private nextRequest = 1;
  private nextExecutor = 1;
  private steps = 0;
  private stopped = false;
  private lyingAbout?: { group: string; region: RegionName };
  private dropSplitBrainAlarms = false;
  private dropAllNotifications = false;
  private quietSince?: EpochMs;
  /** A freeze waiting for the next executor call of its method, whichever executor makes it. */
  private armed?: { method: string; phase: 'before' | 'after'; freezeMs: number };

  constructor(
    private readonly schedule: Schedule,
    private readonly options: RunOptions,
  ) {
    this.config = simulatedConfig(options.plant === undefined ? schedule.shape : plantedShape(schedule));
    this.cloud = new SimCloud(this.config.groups, this.clock, { apiLatencyMs: API_LATENCY_MS });
    this.traffic = new SimTraffic(this.config.groups, this.clock, { dnsSyncSeconds: 20, apiLatencyMs: API_LATENCY_MS });
    this.notifier = new SimTopic(this.clock);
    const publish = this.notifier.publish.bind(this.notifier);
    this.notifier.publish = async (notification: Notification, topicArn: string) => {
      if (this.dropAllNotifications || (this.dropSplitBrainAlarms && notification.type === 'split-brain-risk')) return;
      this.log(`notify [${notification.groupId}] ${notification.type}: ${notification.subject}`);
      await publish(notification, topicArn);
    };
    this.eventLog.onAppend = (event: LoggedEvent) => this.log(`[${event.groupId}] #${event.seq} ${event.state} ${event.type}: ${event.message}`);
    this.checker = new InvariantChecker(
      {
        config: this.config,
        cloud: this.cloud,
        traffic: this.traffic,
        eventLog: this.eventLog,
        notifier: this.notifier,
        stateStore: this.stateStore,
        runningObservers: () => this.runningObservers(),
        orchestratePassMs: this.schedule.shape.orchestratePassSeconds * 1000,
      },
      SIM_START,
      () => this.clock.now(),
    );
  }

  async run(): Promise<RunResult> {
    const { schedule, clock } = this;
    this.log(`seed ${schedule.seed}: regions ${schedule.shape.regions.join(', ')}; observers ${schedule.shape.observers.join(', ')}`);
    for (const group of this.config.groups) {
      const shape = schedule.shape.groups.find((candidate) => candidate.id === group.id)!;
      this.log(`group ${group.id}: ${shape.kind}, ${group.mode}, fencing ${group.policy.fencing}, primary ${shape.primary}, probe every ${group.policy.probeIntervalSeconds} s, budget ${group.policy.maxReplicaLagSeconds} s`);
    }
    this.startProbes();
    this.startOrchestrator();
    for (const fault of schedule.faults) clock.at(SIM_START + fault.at, () => this.inject(fault));
    clock.at(SIM_START + schedule.healAt, () => this.healAll());
    if (this.options.plant !== undefined) this.plant(this.options.plant);

    await this.runUntil(SIM_START + schedule.healAt);
    await this.runUntil(SIM_START + schedule.endAt, () => this.quietRest());
    await this.checker.checkLiveness(clock.now());
    for (let round = 0; round < EXIT_ROUNDS && this.tryExits(); round += 1) {
      await this.runUntil(clock.now() + EXIT_ROUND_MS);
    }
    await this.checker.checkOperatorExit(clock.now(), this.exitsTried);
    this.stopped = true;
    for (const violation of this.checker.violations) this.log(`VIOLATION ${violation.invariant} at ${formatTime(violation.at)}${violation.group ? ` [${violation.group}]` : ''}: ${violation.message}`);
    return {
      seed: schedule.seed,
      violations: this.checker.violations,
      trace: this.trace,
      stats: { steps: this.steps, promotions: this.cloud.promoteCalls.filter((call) => call.outcome === 'started').length, commands: this.nextRequest - 1 },
    };
  }

  /** Steps the clock until `until`, or until `done` says the rest of the way would show nothing new. */
  private async runUntil(until: EpochMs, done: () => boolean = () => false): Promise<void> {
    while (await this.clock.step(until)) {
      this.steps += 1;
      await this.checker.check(this.clock.now());
      if (done()) return;
    }
    this.clock.jumpTo(until);
  }

  /**
   * After the heal: true once every group has rested, quiet, for QUIET_REST_MS (monitoring, failedOver or paused;
   * one writer, the saved primary, with DNS on it). Nothing is left to happen, so the liveness bound may end early.
   */
  private quietRest(): boolean {
    const now = this.clock.now();
    const quiet = this.config.groups.every((group) => {
      const saved = savedState(this.stateStore.saved(group.id), group);
      const writers = this.cloud.writers(group.id);
      return (
        ['monitoring', 'failedOver', 'paused'].includes(saved.top) &&
        writers.length === 1 &&
        writers[0] === saved.primaryRegion &&
        this.traffic.zone(group.id).recordValue === dnsValue(group.id, saved.primaryRegion)
      );
    });
    if (!quiet) this.quietSince = undefined;
    else this.quietSince ??= now;
    return this.quietSince !== undefined && now - this.quietSince >= QUIET_REST_MS;
  }

  // ---- actors ----

  private runningObservers(): RegionName[] {
    return this.config.fleet.observerRegions.filter((observer) => !this.cloud.isRegionDown(observer) && !this.staleObservers.has(observer));
  }

  private startProbes(): void {
    let offset = 0;
    for (const observer of this.config.fleet.observerRegions) {
      const observerClock: Clock = { now: () => this.clock.now() + (this.skews.get(observer) ?? 0), sleep: (ms) => this.clock.sleep(ms) };
      const deps = {
        config: this.config,
        prober: this.proberFrom(observer),
        database: rememberingLag(this.cloud.databaseFor(observer)),
        observations: this.observations,
        faults: this.faultStore,
        clock: observerClock,
      };
      // As the deployed probe function: one invocation a minute, whose rounds remember the reports they wrote and the
      // groups they vouch for (shared by the observer's groups: one heartbeat per shard), forgotten when it ends.
      let run = { startedAt: this.clock.now(), written: new Map<string, ObserverReport>(), heartbeat: newHeartbeatMemory() };
      const memory = () => {
        if (this.clock.now() - run.startedAt >= PROBE_INVOCATION_MS) run = { startedAt: this.clock.now(), written: new Map(), heartbeat: newHeartbeatMemory() };
        return { written: run.written, heartbeat: run.heartbeat };
      };
      for (const group of this.config.groups) {
        const intervalMs = group.policy.probeIntervalSeconds * 1000;
        offset = (offset + 1_700) % intervalMs;
        const loop = async (): Promise<void> => {
          await this.clock.sleep(offset);
          while (!this.stopped) {
            const started = this.clock.now();
            if (this.runningObservers().includes(observer)) {
              await runProbeRound(deps, { observerRegion: observer, groups: [group], ...memory() }).catch((error: unknown) =>
                this.checker.report('no-unexpected-errors', this.clock.now(), `probe round from ${observer} threw: ${String(error)}`, group.id),
              );
            }
            await this.clock.sleep(Math.max(0, started + intervalMs - this.clock.now()));
          }
        };
        void loop();
      }
    }
  }

  private proberFrom(observer: RegionName) {
    const prober = this.cloud.proberFor(observer);
    return {
      probe: async (endpoints: Parameters<typeof prober.probe>[0]) => {
        const results = await prober.probe(endpoints);
        const lie = this.lyingAbout;
        if (lie === undefined) return results;
        const lieUrls = new Set(this.groupConfig(lie.group).regions[lie.region]!.healthEndpoints.map((endpoint) => endpoint.url));
        return results.map((result) => (lieUrls.has(result.url) ? { ...result, ok: false, error: 'planted: a lying prober' } : result));
      },
    };
  }

  private startOrchestrator(): void {
    let invocation = 0;
    const tick = (): void => {
      if (this.stopped) return;
      invocation += 1;
      this.invokeOrchestrator(`orchestrate-${invocation}`);
      this.clock.at(this.clock.now() + ORCHESTRATE_EVERY_MS, tick);
    };
    this.clock.at(SIM_START + 1_000, tick);
  }

  private invokeOrchestrator(owner: string, plan?: PortCallPlan): void {
    const deps = this.executorDeps(plan);
    const intervalMs = this.schedule.shape.orchestratePassSeconds * 1000;
    orchestrateUntil(deps, { owner, deadline: this.clock.now() + ORCHESTRATE_RUN_MS, intervalMs, minPassMs: 2_000, onOutcome: (outcome) => this.onOutcome(owner, outcome) }).catch(
      (error: unknown) => this.checker.report('no-unexpected-errors', this.clock.now(), `orchestrator ${owner} threw: ${String(error)}`),
    );
  }

  private onOutcome(owner: string, outcome: Outcome): void {
    if (outcome.result === 'error') {
      this.log(`${owner} [${outcome.groupId}] ERROR ${outcome.message}`);
      this.checker.report('no-unexpected-errors', this.clock.now(), `orchestrator ${owner} failed on the group: ${outcome.message}`, outcome.groupId);
      return;
    }
    if (outcome.result === 'acted' || outcome.result === 'stale') this.log(`${owner} [${outcome.groupId}] ${outcome.result} → ${outcome.state}${outcome.actions.length ? `: ${outcome.actions.join('; ')}` : ''}`);
  }

  private executorDeps(plan?: PortCallPlan): ExecutorDeps {
    const deps: ExecutorDeps = {
      config: this.config,
      clock: this.clock,
      stateStore: this.stateStore,
      eventLog: this.eventLog,
      observations: this.observations,
      commands: this.commands,
      fleet: this.fleet,
      database: this.cloud.databaseFor(undefined),
      traffic: this.traffic,
      notifier: this.notifier,
      prober: this.cloud.proberFor(undefined),
      newId: () => `fo-${this.nextFailoverId++}`,
      leaseTtlMs: 30_000,
      safetyMarginMs: 2_000,
      // One invocation is one process: its groups' looks share one budget, as a Lambda's do.
      looks: new LookBudget(),
    };
    if (plan === undefined) return this.armed === undefined ? deps : this.armedDeps(deps);
    const counter = { calls: 0 };
    const wrap = <T extends object>(port: T): T => portCallFault(port, plan, counter, this.clock, (what) => this.log(what));
    return {
      ...deps,
      stateStore: wrap(deps.stateStore),
      eventLog: wrap(deps.eventLog),
      observations: wrap(deps.observations),
      commands: wrap(deps.commands),
      fleet: wrap(deps.fleet),
      database: wrap(deps.database),
      traffic: wrap(deps.traffic),
      notifier: wrap(deps.notifier),
      prober: wrap(deps.prober),
    };
  }

  /** Every port of `deps`, watched for the armed method: its first call (by any executor) freezes, once. */
  private armedDeps(deps: ExecutorDeps): ExecutorDeps {
    const watch = <T extends object>(port: T): T =>
      new Proxy(port, {
        get: (target, property, receiver) => {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            const armed = this.armed;
            if (armed === undefined || armed.method !== property) return call();
            this.armed = undefined;
            this.log(`executor freezes ${armed.phase} ${String(property)} for ${armed.freezeMs} ms`);
            if (armed.phase === 'before') await this.clock.sleep(armed.freezeMs);
            const result = await call();
            if (armed.phase === 'after') await this.clock.sleep(armed.freezeMs);
            this.log(`frozen executor resumes after ${String(property)}`);
            return result;
          };
        },
      });
    return {
      ...deps,
      stateStore: watch(deps.stateStore),
      database: watch(deps.database),
      traffic: watch(deps.traffic),
    };
  }

  private async operatorCommand(group: string, body: Record<string, unknown>): Promise<number> {
    const key = `sim-${this.schedule.seed}-${String(this.nextRequest++).padStart(4, '0')}`;
    try {
      const response = await handleOperatorRequest(
        this.executorDeps(),
        { principalArn: OPERATOR, method: 'POST', path: operatorPaths.command(group, body.type as OperatorCommandType, body.allowDataLoss === true), body, idempotencyKey: key, requestId: key },
        { deadline: this.clock.now() + OPERATOR_DEADLINE_MS },
      );
      const message = (response.body as { message?: string; error?: { message?: string } }).message ?? (response.body as { error?: { message?: string } }).error?.message;
      this.log(`operator [${group}] ${JSON.stringify(body)} → ${response.status} ${message ?? ''}`);
      if (response.status >= 500) this.checker.report('no-unexpected-errors', this.clock.now(), `operator API answered ${response.status} to ${JSON.stringify(body)}: ${message}`, group);
      return response.status;
    } catch (error) {
      this.log(`operator [${group}] ${JSON.stringify(body)} → threw ${String(error)}`);
      this.checker.report('no-unexpected-errors', this.clock.now(), `operator API threw on ${JSON.stringify(body)}: ${String(error)}`, group);
      return 500;
    }
  }

  // ---- faults ----

  private inject(fault: ScheduledFault): void {
    this.log(`FAULT ${describeFault(fault)}`);
    const heal = this.apply(fault);
    if (heal === undefined) return;
    let healed = false;
    const once = () => {
      if (healed) return;
      healed = true;
      this.log(`HEAL ${describeFault(fault)}`);
      heal();
    };
    this.undo.push(once);
    if ('durationMs' in fault) this.clock.at(Math.min(this.clock.now() + fault.durationMs, SIM_START + this.schedule.healAt), once);
  }

  private healAll(): void {
    this.log('HEAL everything: from now on nobody acts');
    for (const heal of this.undo.splice(0)) heal();
  }

  private apply(fault: Fault): (() => void) | undefined {
    const { cloud } = this;
    switch (fault.kind) {
      case 'region-outage':
        cloud.setRegionDown(fault.region, true);
        return () => cloud.setRegionDown(fault.region, false);
      case 'database-crash':
        cloud.setCrashed(fault.group, fault.region, fault.status, fault.httpFollows);
        return () => cloud.setCrashed(fault.group, fault.region, undefined);
      case 'status-blip':
        cloud.setBlip(fault.group, fault.region, fault.status);
        return () => cloud.setBlip(fault.group, fault.region, undefined);
      case 'rds-api':
        cloud.setApiError(fault.region, fault.error);
        return () => cloud.setApiError(fault.region, undefined);
      case 'partition':
        cloud.setPartition(fault.observer, fault.region, true);
        return () => cloud.setPartition(fault.observer, fault.region, false);
      case 'flapping':
        cloud.setFlapping(fault.group, fault.region, fault.periodMs);
        return () => cloud.setFlapping(fault.group, fault.region, undefined);
      case 'observer-stale':
        this.staleObservers.set(fault.observer, (this.staleObservers.get(fault.observer) ?? 0) + 1);
        return () => {
          const count = (this.staleObservers.get(fault.observer) ?? 1) - 1;
          if (count <= 0) this.staleObservers.delete(fault.observer);
          else this.staleObservers.set(fault.observer, count);
        };
      case 'observer-skew':
        this.skews.set(fault.observer, fault.skewMs);
        return () => this.skews.delete(fault.observer);
      case 'lag-spike':
        cloud.setExtraDelay(fault.group, fault.region, fault.extraDelayMs);
        return () => cloud.setExtraDelay(fault.group, fault.region, 0);
      case 'lag-metric-missing':
        cloud.setLagMetricMissing(fault.group, fault.region, true);
        return () => cloud.setLagMetricMissing(fault.group, fault.region, false);
      case 'promotion-slow':
        cloud.setNextPromotionMs(fault.group, fault.region, fault.promotionMs);
        return () => cloud.setNextPromotionMs(fault.group, fault.region, undefined);
      case 'promotion-stuck':
        cloud.setPromotionStuck(fault.group, fault.region, true);
        return () => cloud.setPromotionStuck(fault.group, fault.region, false);
      case 'promotion-refused':
        cloud.setPromotionRefusals(fault.group, fault.region, fault.attempts);
        return () => cloud.setPromotionRefusals(fault.group, fault.region, 0);
      case 'dns-throttle':
        this.traffic.zone(fault.group).throttle(fault.calls);
        return () => this.traffic.zone(fault.group).throttle(0);
      case 'dns-access-denied':
        this.traffic.zone(fault.group).denyAccess(fault.calls);
        return () => this.traffic.zone(fault.group).denyAccess(0);
      case 'executor-crash':
        this.invokeOrchestrator(`crashing-${this.nextExecutor++}`, { kind: 'crash', portCall: fault.portCall, phase: fault.phase });
        return undefined;
      case 'executor-frozen':
        this.invokeOrchestrator(`frozen-${this.nextExecutor++}`, { kind: 'freeze', portCall: fault.portCall, phase: fault.phase, freezeMs: fault.freezeMs });
        return undefined;
      case 'executor-frozen-at':
        this.armed = { method: fault.method, phase: fault.phase, freezeMs: fault.freezeMs };
        return undefined;
      case 'second-executor':
        this.invokeOrchestrator(`second-${this.nextExecutor++}`);
        return undefined;
      case 'operator':
        void this.operatorCommand(fault.group, {
          type: fault.command,
          reason: `simulated operator: ${fault.command}`,
          ...(fault.targetRegion === undefined ? {} : { targetRegion: fault.targetRegion }),
          ...(fault.allowDataLoss === undefined ? {} : { allowDataLoss: fault.allowDataLoss }),
        });
        return undefined;
    }
  }

  // ---- after the liveness bound: the operator's exits ----

  /** Sends each stuck group the next command of its exit ladder; false when no group needs one. */
  private tryExits(): boolean {
    let sent = false;
    for (const group of this.config.groups) {
      if (this.options.plant === 'operator-exit' && group.id === this.config.groups[0]!.id) continue;
      const saved = savedState(this.stateStore.saved(group.id), group);
      const ladder = exitLadder(saved.top);
      const tried = this.exitsTried.get(group.id) ?? [];
      const next = ladder.find((command) => !tried.includes(command));
      if (next === undefined) continue;
      tried.push(next);
      this.exitsTried.set(group.id, tried);
      const target = Object.entries(group.regions)
        .filter(([region]) => region !== saved.primaryRegion)
        .sort(([, a], [, b]) => b.failoverPriority - a.failoverPriority)[0]?.[0];
      const body =
        next === 'failover --allow-data-loss'
          ? { type: 'failover', reason: 'simulated operator: exit', targetRegion: target, allowDataLoss: true }
          : { type: next, reason: 'simulated operator: exit' };
      void this.operatorCommand(group.id, body);
      sent = true;
    }
    return sent;
  }

  // ---- the self-test's planted violations ----

  private plant(invariant: InvariantName): void {
    const group = this.config.groups[0]!;
    const primary = Object.entries(group.regions).find(([, region]) => region.initialPrimary)![0];
    const replica = Object.keys(group.regions).find((region) => region !== primary)!;
    const at = (ms: number, action: () => unknown) =>
      this.clock.at(SIM_START + ms, () => {
        this.log(`PLANT ${invariant}`);
        void action();
      });
    const rogue = (options: { planned: boolean; allowDataLoss: boolean; failoverId: string; fromRegion: RegionName }, region = replica) =>
      this.cloud.rogue.promote(group.id, region, options).catch(() => undefined);
    switch (invariant) {
      case 'split-brain-alarm':
        this.dropSplitBrainAlarms = true;
        at(60_000, () => rogue({ planned: false, allowDataLoss: true, failoverId: 'rogue', fromRegion: primary }));
        return;
      case 'one-promotion':
        at(60_000, () => rogue({ planned: false, allowDataLoss: true, failoverId: 'rogue', fromRegion: primary }, primary));
        return;
      case 'lag-budget':
        at(30_000, () => this.cloud.setExtraDelay(group.id, replica, 300_000));
        at(240_000, () => rogue({ planned: false, allowDataLoss: false, failoverId: 'rogue', fromRegion: primary }));
        return;
      case 'planned-no-loss':
        at(30_000, () => this.cloud.setExtraDelay(group.id, replica, 60_000));
        at(120_000, () => rogue({ planned: true, allowDataLoss: false, failoverId: 'rogue', fromRegion: primary }));
        return;
      case 'no-needless-failover':
        at(30_000, () => {
          this.lyingAbout = { group: group.id, region: primary };
        });
        return;
      case 'acknowledgement':
        // Off the orchestrator's beat, so the checker sees each tampered record before an executor moves it on.
        at(62_500, () => this.tamper(group, (snapshot) => ({ ...snapshot, context: { ...snapshot.context, awaitingAcknowledgement: true } })));
        at(63_700, () =>
          this.tamper(group, (snapshot) => ({
            ...snapshot,
            value: 'blocked',
            context: { ...snapshot.context, awaitingAcknowledgement: false, blocked: { reason: 'cooldown', detail: 'planted', at: 0, sticky: false } },
          })),
        );
        return;
      case 'event-log':
        // Three logged commands; the second line never reaches the log.
        this.eventLog.drop = (event) => event.groupId === group.id && event.seq === 2;
        at(30_000, () => this.operatorCommand(group.id, { type: 'pause', reason: 'planted' }));
        at(60_000, () => this.operatorCommand(group.id, { type: 'resume', reason: 'planted' }));
        at(90_000, () => this.operatorCommand(group.id, { type: 'pause', reason: 'planted' }));
        return;
      case 'failover-records':
        at(60_000, () =>
          this.eventLog.saveFailover({
            id: 'rogue-record',
            groupId: group.id,
            trigger: { kind: 'automatic' },
            reason: 'planted',
            from: primary,
            to: replica,
            planned: false,
            allowDataLoss: false,
            outcome: 'in-progress',
            timestamps: { detectedAt: this.clock.now() },
          }),
        );
        return;
      case 'dns-follows-primary':
        at(60_000, () => this.traffic.pointTo(group, replica, 'planted: a hijacked record').then(() => undefined));
        return;
      case 'liveness':
        // A real crash, a completed failover that needs acknowledging, and a notifier that loses every message.
        this.dropAllNotifications = true;
        at(30_000, () => this.cloud.setCrashed(group.id, primary, 'failed', true));
        at(120_000, () => this.cloud.setCrashed(group.id, primary, undefined));
        return;
      case 'operator-exit':
        at(this.schedule.healAt + 1_000, () =>
          this.tamper(group, (snapshot) => ({
            ...snapshot,
            value: 'stalled',
            context: {
              ...snapshot.context,
              stalled: { step: 'promoting', reason: 'planted', at: 0 },
              failover: { id: 'rogue', groupId: group.id, trigger: { kind: 'automatic' }, reason: 'planted', from: primary, to: replica, planned: false, allowDataLoss: false, outcome: 'in-progress', timestamps: {} },
            },
          })),
        );
        return;
      case 'no-unexpected-errors':
        at(60_000, () => this.stateStore.failNext('load', new Error('planted: the table is gone')));
        return;
    }
  }

  /** Rewrites the saved snapshot of `group` behind the executor's back (self-test only). */
  private async tamper(group: GroupConfig, change: (snapshot: { value: unknown; context: Record<string, unknown> }) => { value: unknown; context: Record<string, unknown> }): Promise<void> {
    const record = await this.stateStore.load(group.id);
    if (record?.snapshot === null || record?.snapshot === undefined) return;
    const snapshot = record.snapshot as { value: unknown; context: Record<string, unknown> };
    this.stateStore.seed({ ...record, revision: record.revision + 1, snapshot: change(snapshot) } as GroupRecord);
  }

  private groupConfig(id: string): GroupConfig {
    return this.config.groups.find((group) => group.id === id)!;
  }

  private log(text: string): void {
    if (this.options.trace) this.trace.push(`${formatTime(this.clock.now())}  ${text}`);
  }
}

/** What an operator tries, in order, on a group that rests in `top`. */
function exitLadder(top: string): readonly string[] {
  switch (top) {
    case 'stalled':
      return ['retry', 'abort', 'failover --allow-data-loss'];
    case 'blocked':
      return ['failover --allow-data-loss'];
    case 'awaitingApproval':
      return ['approve', 'failover --allow-data-loss'];
    case 'failingOver':
      return ['abort', 'failover --allow-data-loss'];
    default:
      return [];
  }
}

/** The self-test needs an automatic first group on RDS with two or more regions. */
function plantedShape(schedule: Schedule): Schedule['shape'] {
  const [first, ...rest] = schedule.shape.groups;
  return { ...schedule.shape, groups: [{ ...first!, mode: 'automatic', kind: 'rds-instance', fencing: 'none' }, ...rest] };
}

/**
 * A port whose `plan.portCall`-th call (counting every port of one executor) crashes the executor (the call never
 * returns, before or after it took effect) or freezes it for `freezeMs` (a Lambda paused, then resuming late).
 */
function portCallFault<T extends object>(port: T, plan: PortCallPlan, counter: { calls: number }, clock: Clock, log: (text: string) => void): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        counter.calls += 1;
        const hit = counter.calls === plan.portCall;
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (!hit) return call();
        const name = `${String(property)}`;
        if (plan.kind === 'crash') {
          log(`executor crashes ${plan.phase} port call ${plan.portCall} (${name})`);
          if (plan.phase === 'after') await call();
          return never();
        }
        log(`executor freezes ${plan.phase} port call ${plan.portCall} (${name}) for ${plan.freezeMs} ms`);
        if (plan.phase === 'before') {
          await clock.sleep(plan.freezeMs ?? 0);
          log(`frozen executor resumes: ${name}`);
          return call();
        }
        const result = await call();
        await clock.sleep(plan.freezeMs ?? 0);
        log(`frozen executor resumes after ${name}`);
        return result;
      };
    },
  });
}

export function describeFault(fault: ScheduledFault): string {
  const { at: _at, kind, ...rest } = fault;
  const details = Object.entries(rest).map(([name, value]) => `${name}=${String(value)}`).join(' ');
  return `${kind}${details ? ` ${details}` : ''}`;
}


export { formatTime, SIM_START };

/**
 * The lag as the RDS adapter gives it to a probe (`DescribeOptions.lag`): `remembered` answers the last reading this
 * observer took, with its own measurement time, so a steady group's reports stop changing between the lag reads (and
 * are vouched for by heartbeats, not rewritten), as in a deployment; SimCloud alone reads a live lag every time.
 */
function rememberingLag(database: Database): Database {
  const readings = new Map<string, { seconds: number; at: EpochMs }>();
  return {
    ...database,
    describe: async (group, region, options) => {
      const state = await database.describe(group, region, options);
      const key = `${group.id}\u0000${region}`;
      if (options?.lag !== 'remembered' || state.role !== 'replica') {
        if (state.replicaLagSeconds !== undefined && state.replicaLagMeasuredAt !== undefined) readings.set(key, { seconds: state.replicaLagSeconds, at: state.replicaLagMeasuredAt });
        return state;
      }
      const { replicaLagSeconds: _seconds, replicaLagMeasuredAt: _at, ...rest } = state;
      const remembered = readings.get(key);
      return remembered === undefined ? rest : { ...rest, replicaLagSeconds: remembered.seconds, replicaLagMeasuredAt: remembered.at };
    },
  };
}

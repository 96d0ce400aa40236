import { reconcileGroup, type ExecutorDeps } from '../../application/executor.js';
import { restoreSnapshot } from '../../application/plan.js';
import { runProbeRound } from '../../application/probeRound.js';
import { stateName } from '../../application/transitions.js';
import { composePostgresDrill, type PostgresControlPlane } from '../../composition/postgresDrill.js';
import type { EpochMs, RegionName } from '../../domain/types.js';
import { countingDatabase, countingTraffic, noEffects } from '../countingPorts.js';
import { EventTrail } from '../eventTrail.js';
import { checkExpectations, isInState, type DrillFacts, type ExpectationResult } from '../expectations.js';
import { progressEmitter, type DrillProgress, type ProgressWithoutTime } from '../progress.js';
import { buildDrillReport, targetsOf } from '../report.js';
import { outcomeOf, type DrillResult, type DrillTrust } from '../result.js';
import type { DrillStores } from '../runDrill.js';
import type { DrillTrigger, Scenario } from '../scenarios/types.js';
import { PostgresWorld } from './PostgresWorld.js';
import { POSTGRES_POLICY, type PostgresAction, type PostgresScenario } from './scenarios.js';

/** How often a scripted command with `retryIfRefused` is asked again. */
const COMMAND_ATTEMPTS = 10;

/** How often the script is looked at for actions that are due. */
const ACTION_POLL_MS = 50;

export const POSTGRES_DRILL_PRINCIPAL = 'arn:aws:iam::000000000000:user/drill-operator';

export interface PostgresDrillOptions {
  readonly scenario: PostgresScenario;
  readonly stores: DrillStores;
  readonly onProgress?: (progress: DrillProgress) => void;
  /** Default 100. */
  readonly writesPerSecond?: number;
  /** Default the three regions of POSTGRES_WORLD_REGIONS (the benchmark uses two). */
  readonly regions?: readonly string[];
}

/** A postgres drill's result: the simulated drill's shape, plus what only real clients measured. */
export interface PostgresDrillResult extends DrillResult {
  /** Writes the database acknowledged, in all. */
  readonly acknowledgedWrites: number;
  /** From the fault (the first kill) to the first write acknowledged through the traffic switch by another server, ms. */
  readonly killToFirstWriteMs?: number;
  /** Where a client connecting through the traffic switch lands at the end. */
  readonly trafficRegion?: RegionName;
}

/**
 * Plays a postgres scenario in real time against the real local world (PostgresWorld) with the real control plane:
 * every probe interval the three observers run a probe round (HTTP health endpoints and the postgres adapter's
 * describe), then the executor reconciles the group (postgres adapter, HAProxy traffic, the DynamoDB stores given).
 * Lost writes are counted: the acknowledged writes missing on the primary the group ends with.
 *
 * @example
 * const result = await runPostgresDrill({ scenario: postgresPrimaryKilled, stores });
 * result.facts.lostWrites; // counted on the new primary
 */
export async function runPostgresDrill(options: PostgresDrillOptions): Promise<PostgresDrillResult> {
  const { scenario } = options;
  const world = await PostgresWorld.start({
    policy: scenario.policy ?? POSTGRES_POLICY,
    ...(options.writesPerSecond === undefined ? {} : { writesPerSecond: options.writesPerSecond }),
    ...(options.regions === undefined ? {} : { regions: options.regions }),
  });
  try {
    return await new PostgresDrill(options, world).run();
  } finally {
    await world.close();
  }
}

class PostgresDrill {
  private readonly controlPlane: PostgresControlPlane;
  private readonly deps: ExecutorDeps;
  private readonly counts = noEffects();
  private readonly trail = new EventTrail();
  /** Script entries not yet done; a refused command asked again carries the attempts it has left. */
  private pending: { at: DrillTrigger; action: PostgresAction; attemptsLeft?: number }[];
  private lastActionAt = 0;
  private faultAt: EpochMs | undefined;
  private faultPort: number | undefined;
  /** Scripted commands to ask again if refused: command id → the action and the attempts left. */
  private readonly retryable = new Map<string, { action: PostgresAction & { kind: 'command' }; attemptsLeft: number }>();
  private startedAt = 0;
  private readonly emit: (progress: ProgressWithoutTime) => void;

  constructor(
    private readonly options: PostgresDrillOptions,
    private readonly world: PostgresWorld,
  ) {
    this.pending = [...options.scenario.script];
    this.controlPlane = composePostgresDrill(world.config, options.stores);
    const { executor } = this.controlPlane;
    this.deps = { ...executor, database: countingDatabase(executor.database, this.counts), traffic: countingTraffic(executor.traffic, this.counts) };
    this.emit = progressEmitter(options.onProgress, () => this.startedAt);
  }

  private get group() {
    return this.world.group;
  }

  async run(): Promise<PostgresDrillResult> {
    const { scenario } = this.options;
    const intervalMs = this.group.policy.probeIntervalSeconds * 1000;
    this.startedAt = Date.now();
    const realStart = performance.now();
    this.emit({ kind: 'started', atMs: 0, scenario: asScenario(scenario), groupId: this.group.id, factor: 1 });
    let timedOut = false;
    // The observers probe on their own schedule, as the probe Lambdas do: a long executor run (a promotion being
    // waited for) does not delay them. The executor runs after each round it has not seen yet.
    let stopped = false;
    let roundsDone = 0;
    let wake: (() => void) | undefined;
    let observerFailure: unknown;
    const observers = (async () => {
      let nextRoundAt = Date.now();
      while (!stopped) {
        const waitMs = nextRoundAt - Date.now();
        if (waitMs > 0) await delay(waitMs);
        nextRoundAt = Math.max(nextRoundAt + intervalMs, Date.now());
        if (stopped) return;
        await this.probeRound();
        roundsDone += 1;
        wake?.();
      }
    })().catch((error: unknown) => {
      observerFailure = error;
      wake?.();
    });
    // Faults and commands happen at their own time, not at the observers' rounds: a kill lands anywhere in an
    // interval, as a real one does (firing it just before a round would hide up to one interval of detection).
    const actions = (async () => {
      while (!stopped) {
        await this.fireDueActions();
        await delay(ACTION_POLL_MS);
      }
    })().catch((error: unknown) => {
      observerFailure = error;
      wake?.();
    });
    try {
      let roundsSeen = 0;
      for (;;) {
        while (roundsDone <= roundsSeen && observerFailure === undefined) await new Promise<void>((resolve) => (wake = resolve));
        if (observerFailure !== undefined) throw observerFailure;
        roundsSeen = roundsDone;
        await reconcileGroup(this.deps, this.group, { owner: 'postgres-drill-executor', deadline: Date.now() + 5 * intervalMs });
        await this.collectEvents();
        if (this.finished()) break;
        if (Date.now() - this.startedAt >= scenario.timeBoxSeconds * 1000) {
          timedOut = scenario.expect.failover || this.pending.length > 0;
          break;
        }
      }
    } finally {
      stopped = true;
      await Promise.all([observers, actions]);
    }
    const realMs = performance.now() - realStart;
    this.emit({ kind: 'finished', atMs: Date.now() - this.startedAt, state: this.trail.state, realMs });
    await this.untilWrittenAfterFault();
    await this.world.load?.stop();
    return this.result(timedOut, realMs);
  }

  /** After a kill, lets the load run until another server acknowledged a write (at most 5 s): the clients' recovery. */
  private async untilWrittenAfterFault(): Promise<void> {
    const { faultAt, faultPort } = this;
    if (faultAt === undefined || !isInState(this.trail.state, 'failedOver')) return;
    const deadline = Date.now() + 5_000;
    while (this.world.load?.firstAckedAfter(faultAt, faultPort) === undefined && Date.now() < deadline) await delay(20);
  }

  private finished(): boolean {
    const { expect, settleSeconds } = this.options.scenario;
    if (this.pending.length > 0) return false;
    if (Date.now() - this.lastActionAt < (settleSeconds ?? 0) * 1000) return false;
    // A scenario that expects no failover watches its whole time box.
    return expect.failover && isInState(this.trail.state, expect.endState);
  }

  private async probeRound(): Promise<void> {
    await Promise.all(
      this.world.config.fleet.observerRegions.map((observer) =>
        runProbeRound(this.controlPlane.probe, { observerRegion: observer, groups: [this.group] }),
      ),
    );
  }

  private async collectEvents(): Promise<void> {
    for (const event of await this.trail.collect(this.deps.eventLog, this.group.id)) {
      this.emit({ kind: 'event', atMs: event.at - this.startedAt, event });
      const retry = event.type === 'COMMAND_REFUSED' ? this.retryable.get(String(event.detail?.commandId)) : undefined;
      if (retry !== undefined && retry.attemptsLeft > 0) {
        this.pending.push({ at: { seconds: 0 }, action: retry.action, attemptsLeft: retry.attemptsLeft - 1 });
      }
    }
  }

  private async fireDueActions(): Promise<void> {
    const now = Date.now();
    const due = this.pending.filter((entry) => this.trail.isDue(entry.at, this.startedAt, now));
    this.pending = this.pending.filter((entry) => !due.includes(entry));
    for (const entry of due) await this.perform(entry.action, entry.attemptsLeft ?? COMMAND_ATTEMPTS);
  }

  private async perform(action: PostgresAction, attemptsLeft: number): Promise<void> {
    const at = Date.now();
    this.lastActionAt = at;
    switch (action.kind) {
      case 'kill':
        await this.world.kill(action.region);
        if (this.faultAt === undefined) {
          this.faultAt = at;
          this.faultPort = this.world.cluster.server(action.region).port;
        }
        this.emit({ kind: 'action', atMs: at - this.startedAt, description: `kill -9 of the postmaster of ${action.region}` });
        return;
      case 'restart':
        await this.world.restart(action.region);
        this.emit({ kind: 'action', atMs: at - this.startedAt, description: `${action.region}'s server starts again on its data directory` });
        return;
      case 'pause-replay':
        await this.world.pauseReplay(action.region);
        this.emit({ kind: 'action', atMs: at - this.startedAt, description: `${action.region} stops applying WAL (pg_wal_replay_pause): its lag grows` });
        return;
      case 'command': {
        const id = `${this.options.scenario.name}-${action.type}-${at}`;
        if (action.retryIfRefused === true) this.retryable.set(id, { action, attemptsLeft });
        await this.deps.commands.enqueue({
          id,
          groupId: this.group.id,
          type: action.type,
          principalArn: POSTGRES_DRILL_PRINCIPAL,
          reason: action.reason,
          requestedAt: at,
          drillScenario: this.options.scenario.name,
          ...(action.targetRegion === undefined ? {} : { targetRegion: action.targetRegion }),
          ...(action.allowDataLoss === undefined ? {} : { allowDataLoss: action.allowDataLoss }),
        });
        const target = action.targetRegion === undefined ? '' : ` --to ${action.targetRegion}`;
        this.emit({ kind: 'action', atMs: at - this.startedAt, description: `operator: fcp ${action.type} ${this.group.id}${target} --reason "${action.reason}"` });
        return;
      }
    }
  }

  private async result(timedOut: boolean, realMs: number): Promise<PostgresDrillResult> {
    const { scenario } = this.options;
    const now = Date.now();
    const snapshot = restoreSnapshot(await this.deps.stateStore.load(this.group.id), this.group, now);
    const failover = snapshot.context.failover;
    const primaryRegion = snapshot.context.primaryRegion;
    const load = this.world.load;
    const acknowledged = load?.acknowledged.length ?? 0;
    const primaryServer = this.world.cluster.server(primaryRegion);
    const lostWrites = load !== undefined && primaryServer.running ? await load.lostOn(primaryServer.url) : undefined;
    const firstWrite = this.faultAt === undefined ? undefined : load?.firstAckedAfter(this.faultAt, this.faultPort);
    const trafficRegion = await this.controlPlane.traffic.currentRegion(this.group);
    const writesPerSecond = acknowledged / Math.max(1, realMs / 1000);
    const report =
      failover === undefined
        ? undefined
        : buildDrillReport({
            record: failover,
            events: this.trail.events,
            targets: targetsOf(this.group),
            scenario: scenario.name,
            sim: { ...(lostWrites === undefined ? {} : { lostWrites }), writesPerSecond: Math.round(writesPerSecond), primaryAcceptedWrites: acknowledged },
            ...(this.faultAt === undefined ? {} : { faultInjectedAt: this.faultAt }),
          });
    const facts: DrillFacts = {
      state: stateName(snapshot),
      primaryRegion,
      ...(failover === undefined ? {} : { failover }),
      ...(report?.rtoMs === undefined ? {} : { rtoMs: report.rtoMs }),
      ...(lostWrites === undefined ? {} : { lostWrites }),
      promotions: this.counts.promoteOutcomes.started,
      promoteCalls: this.counts.promoteCalls,
      trafficChanges: this.counts.trafficChanges,
      visited: this.trail.visited(),
      eventCounts: this.trail.eventCounts(),
    };
    const expectationResults: ExpectationResult[] = [
      ...checkExpectations(scenario.expect, facts),
      // Clients follow the switch, never a returned old primary: where a client lands is where the group says.
      {
        name: 'traffic',
        pass: !primaryServer.running || trafficRegion === primaryRegion,
        expected: `clients through HAProxy land on ${primaryRegion}${primaryServer.running ? '' : ' (down: not checked)'}`,
        actual: trafficRegion ?? 'no server answers',
      },
    ];
    const pass = expectationResults.every((expectation) => expectation.pass);
    // A real-time drill on real servers: no simulated clock to starve (so no starvation figures), no verdict history.
    const trust: DrillTrust = { trusted: true, reasons: [] };
    return {
      scenario: asScenario(scenario),
      startedAt: this.startedAt,
      verdicts: [],
      outcome: outcomeOf(trust, pass),
      trust,
      physics: [],
      ...(report === undefined ? {} : { report }),
      endState: {
        state: facts.state,
        primaryRegion,
        ...(failover === undefined ? {} : { failover }),
        elapsedMs: now - this.startedAt,
        realMs,
        timedOut,
      },
      expectationResults,
      pass,
      facts,
      events: [...this.trail.events],
      notifications: this.controlPlane.notifier.messages().map((message) => message.notification),
      acknowledgedWrites: acknowledged,
      ...(firstWrite === undefined || this.faultAt === undefined ? {} : { killToFirstWriteMs: firstWrite.at - this.faultAt }),
      ...(trafficRegion === undefined ? {} : { trafficRegion }),
    };
  }
}

/** A postgres scenario in the shape the report renderers take (its real actions are not simulated faults). */
function asScenario(scenario: PostgresScenario): Scenario {
  return { name: scenario.name, description: scenario.description, script: [], expect: scenario.expect, timeBoxSeconds: scenario.timeBoxSeconds };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

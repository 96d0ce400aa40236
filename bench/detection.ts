/**
 * Detection under the deployed schedule, measured on a virtual clock with the real code: each observer's probe
 * invocation (`runProbeRounds`, once a minute until its safety margin) and the orchestrator's (`orchestrateShard`,
 * once a minute, passes at `shardPassIntervalMs`) on simulated time, every other port an in-memory double. The
 * primary's health endpoints start hanging (each probe waits its whole timeout) at a failure time swept over the
 * minute, for orchestrator phases swept over the minute; the decision is the first pass that proposes the failover.
 * Printed: the worst decision time measured, the worst case `worstCaseDecisionMs` computes, and the goal
 * `detectionBoundMs` (probe interval × failureThreshold + one interval).
 *
 *   npm run bench                  the default policy and one that misses the goal
 *   npm run bench -- --detection   more policies, a finer sweep (minutes)
 */
import type { ExecutorDeps } from '../src/application/executor.js';
import { orchestrateShard } from '../src/application/orchestrate.js';
import { runProbeRounds } from '../src/application/probeRound.js';
import type { ControlPlaneConfig, HealthEndpoint } from '../src/config/schema.js';
import { DEFAULT_SHARD, shardPassIntervalMs } from '../src/domain/shards.js';
import {
  detectionBoundMs,
  detectionTimingOf,
  LAMBDA_TIMEOUT_MS,
  MIN_PASS_MS,
  ORCHESTRATE_SAFETY_MARGIN_MS,
  PROBE_SAFETY_MARGIN_MS,
  probeRoundBudgetMs,
  probeRoundOffsetsMs,
  SCHEDULE_PERIOD_MS,
  worstCaseDecisionMs,
} from '../src/domain/timing.js';
import type { HttpProbeResult } from '../src/domain/types.js';
import type { Prober } from '../src/ports/Prober.js';
import { VirtualClock } from '../simulation/VirtualClock.js';
import { drillConfig, PRIMARY, REPLICA, FAR_REPLICA, sequentialIds } from '../test/application/harness.js';
import { InMemoryCommandQueue } from '../test/doubles/InMemoryCommandQueue.js';
import { InMemoryDatabase } from '../test/doubles/InMemoryDatabase.js';
import { InMemoryEventLog } from '../test/doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../test/doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../test/doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../test/doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../test/doubles/InMemoryStateStore.js';
import { InMemoryTraffic } from '../test/doubles/InMemoryTraffic.js';
import { RecordingNotifier } from '../test/doubles/RecordingNotifier.js';

/** A minute boundary: probe invocations start on it, the orchestrator's at a phase after it. */
const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);
/** Time for the monitoring to settle before the failure: two minutes of healthy rounds. */
const WARM_UP_MS = 2 * SCHEDULE_PERIOD_MS;

/** The drill's group in approval mode (a decision stops at the proposal), with the policy under test. */
function configWith(probeIntervalSeconds: number, failureThreshold: number, timeoutMs: number): ControlPlaneConfig {
  return drillConfig((draft) => {
    const group = draft.groups[0]! as unknown as {
      mode: string;
      policy: { probeIntervalSeconds: number; failureThreshold: number };
      regions: Record<string, { healthEndpoints: { timeoutMs: number }[] }>;
    };
    group.mode = 'approval';
    group.policy.probeIntervalSeconds = probeIntervalSeconds;
    group.policy.failureThreshold = failureThreshold;
    for (const region of Object.values(group.regions)) for (const endpoint of region.healthEndpoints) endpoint.timeoutMs = timeoutMs;
  });
}

/** Healthy endpoints answer at once; the primary's hang from `failAt` for their whole timeout. */
function hangingProber(clock: VirtualClock, primaryUrls: ReadonlySet<string>, failAt: number): Prober {
  return {
    async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
      const hanging = endpoints.filter((endpoint) => primaryUrls.has(endpoint.url) && clock.now() >= failAt);
      if (hanging.length > 0) await clock.sleep(Math.max(...hanging.map((endpoint) => endpoint.timeoutMs)));
      return endpoints.map((endpoint) =>
        hanging.includes(endpoint)
          ? { url: endpoint.url, ok: false, latencyMs: endpoint.timeoutMs, error: `timeout after ${endpoint.timeoutMs} ms` }
          : { url: endpoint.url, ok: true, status: endpoint.expectedStatus, latencyMs: 0 },
      );
    },
  };
}

/** One run: the failure at `failAt`, orchestrator invocations at `orchestratePhaseMs` past each minute. Answers the decision time. */
async function decisionTime(config: ControlPlaneConfig, failAt: number, orchestratePhaseMs: number): Promise<number> {
  const clock = new VirtualClock(T0);
  const group = config.groups[0]!;
  const primaryUrls = new Set(group.regions[PRIMARY]!.healthEndpoints.map((endpoint) => endpoint.url));
  const prober = hangingProber(clock, primaryUrls, failAt);
  const database = new InMemoryDatabase(clock, {
    [PRIMARY]: { role: 'primary' },
    [REPLICA]: { role: 'replica', replicaLagSeconds: 2 },
    [FAR_REPLICA]: { role: 'replica', replicaLagSeconds: 5 },
  }, 0);
  const observations = new InMemoryObservationStore();
  const deps: ExecutorDeps = {
    config,
    clock,
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations,
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    database,
    traffic: new InMemoryTraffic(clock, PRIMARY, 0),
    notifier: new RecordingNotifier(),
    prober,
    newId: sequentialIds(),
  };
  const probeDeps = { config, prober, database, observations, faults: new InMemoryFaultStore(), clock };
  const intervalMs = shardPassIntervalMs(config.groups, DEFAULT_SHARD);
  let decidedAt: number | undefined;
  const horizon = failAt + 10 * SCHEDULE_PERIOD_MS;
  // Every invocation of the run is scheduled up front on the virtual clock; each runs its loop when its time comes.
  for (let minute = T0; minute < horizon; minute += SCHEDULE_PERIOD_MS) {
    for (const observerRegion of config.fleet.observerRegions) {
      clock.at(minute, () => {
        void runProbeRounds(probeDeps, { observerRegion, deadline: minute + LAMBDA_TIMEOUT_MS - PROBE_SAFETY_MARGIN_MS });
      });
    }
    const start = minute + orchestratePhaseMs;
    clock.at(start, () => {
      void orchestrateShard(deps, {
        shard: DEFAULT_SHARD,
        owner: `orchestrate-${start}`,
        deadline: start + LAMBDA_TIMEOUT_MS - ORCHESTRATE_SAFETY_MARGIN_MS,
        intervalMs,
        minPassMs: MIN_PASS_MS,
        onOutcome: (outcome) => {
          if (decidedAt === undefined && 'state' in outcome && outcome.state === 'awaitingApproval') decidedAt = clock.now();
        },
      });
    });
  }
  while (decidedAt === undefined && (await clock.step(horizon)));
  if (decidedAt === undefined) throw new Error(`no decision within ${(horizon - failAt) / 1_000} s of a failure at +${failAt - T0} ms`);
  return decidedAt - failAt;
}

/**
 * Prints, for each policy, the worst decision time over the failure times and orchestrator phases swept, next to the
 * computed worst case and the goal.
 *
 * @example
 * await printDetection();
 */
export async function printDetection(options: { all?: boolean } = {}): Promise<void> {
  // The default policy and one that cannot meet the goal; `--detection` adds more.
  const policies: readonly [number, number, number][] = options.all
    ? [[10, 3, 2_000], [10, 1, 2_000], [15, 2, 2_000], [30, 3, 4_000], [60, 1, 2_000], [7, 3, 2_000], [5, 3, 1_000]]
    : [[10, 3, 2_000], [7, 3, 2_000]];
  for (const [probeIntervalSeconds, failureThreshold, timeoutMs] of policies) {
    const config = configWith(probeIntervalSeconds, failureThreshold, timeoutMs);
    const timing = detectionTimingOf(config.groups[0]!);
    const budget = probeRoundBudgetMs(config.groups.map(detectionTimingOf));
    const passIntervalMs = shardPassIntervalMs(config.groups, DEFAULT_SHARD);
    const computed = worstCaseDecisionMs(timing, budget, passIntervalMs);
    const bound = detectionBoundMs(timing);
    // Failures just after each round's requests answered (the worst start), and with --detection on a 5 s grid too;
    // orchestrator phases every 1.5 s of the minute.
    const rounds = probeRoundOffsetsMs(timing.probeIntervalMs, budget);
    const grid = options.all ? Array.from({ length: 12 }, (_, index) => index * 5_000 + 2_500) : [];
    const failOffsets = [...rounds.map((at) => at + 1), ...grid];
    const phases = Array.from({ length: 40 }, (_, index) => index * 1_500);
    let worst = 0;
    let runs = 0;
    for (const failOffset of failOffsets) {
      for (const phase of phases) {
        worst = Math.max(worst, await decisionTime(config, T0 + WARM_UP_MS + failOffset, phase));
        runs += 1;
      }
    }
    console.log(
      `detection: probe every ${probeIntervalSeconds} s, ${failureThreshold} round(s), ${timeoutMs} ms timeouts, orchestrator pass every ${passIntervalMs / 1_000} s: ` +
        `worst decision ${(worst / 1_000).toFixed(1)} s measured over ${runs} runs (computed worst case ${(computed.totalMs / 1_000).toFixed(1)} s) ` +
        `(goal ≤ interval × threshold + one interval = ${bound / 1_000} s: ${worst <= bound ? 'met' : 'NOT met, fcp validate warns'})`,
    );
  }
}

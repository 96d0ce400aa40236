import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';
import { nextObserverReport } from '../../src/domain/observations.js';
import type { RoundResult } from '../../src/domain/types.js';
import type { OperatorDeps } from '../../src/application/operatorApi.js';
import type { Database } from '../../src/ports/Database.js';
import type { ObservationStore } from '../../src/ports/ObservationStore.js';
import { InMemoryCommandQueue } from '../doubles/InMemoryCommandQueue.js';
import { InMemoryDatabase } from '../doubles/InMemoryDatabase.js';
import { InMemoryDrillReportStore } from '../doubles/InMemoryDrillReportStore.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryEventLog } from '../doubles/InMemoryEventLog.js';
import { InMemoryFleetLedger } from '../doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';
import { InMemoryTraffic } from '../doubles/InMemoryTraffic.js';
import { RecordingNotifier } from '../doubles/RecordingNotifier.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { TestClock } from '../doubles/TestClock.js';

export const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
export const PRIMARY = 'eu-west-1';
export const REPLICA = 'us-east-1';
export const FAR_REPLICA = 'ap-southeast-2';

let parsedDrillConfig: ControlPlaneConfig | undefined;

export function drillConfig(overrides: (config: ControlPlaneConfig) => void = () => {}): ControlPlaneConfig {
  parsedDrillConfig ??= parseConfig(readFileSync(new URL('../../config/drill.yaml', import.meta.url), 'utf8'), 'yaml');
  const config = structuredClone(parsedDrillConfig);
  overrides(config);
  return config;
}

/** Every port as an in-memory double, wired to one clock. */
export function inMemoryWorld(config = drillConfig()) {
  const clock = new TestClock(T0);
  const group = config.groups[0]!;
  const deps = {
    config,
    clock,
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    database: new InMemoryDatabase(clock, {
      [PRIMARY]: { role: 'primary' },
      [REPLICA]: { role: 'replica', replicaLagSeconds: 2 },
      [FAR_REPLICA]: { role: 'replica', replicaLagSeconds: 5 },
    }),
    traffic: new InMemoryTraffic(clock, PRIMARY),
    notifier: new RecordingNotifier(),
    prober: new ScriptedProber(),
    leaseTtlMs: 30_000,
    polling: { initialMs: 1_000, maxMs: 5_000, factor: 1.5 },
    safetyMarginMs: 1_000,
    newId: sequentialIds(),
    // Staging drills through the operator API (stagingDrills.ts); the probe rounds of a drill test read these faults.
    drills: { faults: new InMemoryFaultStore(), drills: new InMemoryDrillReportStore() },
  } satisfies OperatorDeps;
  return { deps, group, clock };
}

/**
 * The in-memory world with its storage ports (state, events, observations, commands, fleet) on a fresh table of
 * DynamoDB Local, made with `client` and named `tableName`.
 */
export async function inMemoryWorldOnDynamoDb(client: DynamoDBClient, tableName: string, config = drillConfig()) {
  await createTable(client, tableName);
  const stores = createDynamoDbStores({ client, tableName });
  const world = inMemoryWorld(config);
  const deps = {
    ...world.deps,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
  };
  return { ...world, deps };
}

export function sequentialIds(prefix = 'fo'): () => string {
  let next = 1;
  return () => `${prefix}-${next++}`;
}

/**
 * Writes one probe round per observer for every region: `down` regions fail, others pass.
 * `lag` sets the replicas' reported lag.
 */
/** What the probe helpers need: any storage, a clock tests can move. */
export interface ProbingDeps {
  readonly config: ControlPlaneConfig;
  /** A TestClock, or a ManualClock (its `advance` wakes sleepers and must be awaited). */
  readonly clock: Pick<TestClock, 'now'> & { advance(ms: number): void | Promise<void> };
  readonly observations: ObservationStore;
  readonly database: Database;
}

export async function probeRound(
  deps: ProbingDeps,
  group: GroupConfig,
  options: { down?: readonly string[]; lag?: Record<string, number>; observers?: readonly string[] } = {},
): Promise<void> {
  const observers = options.observers ?? deps.config.fleet.observerRegions;
  const now = deps.clock.now();
  for (const region of Object.keys(group.regions)) {
    const isDown = options.down?.includes(region) ?? false;
    const dbState = await deps.database.describe(group, region);
    for (const observerRegion of observers) {
      const round: RoundResult = {
        observedAt: now,
        http: group.regions[region]!.healthEndpoints.map((endpoint) =>
          isDown
            ? { url: endpoint.url, ok: false, latencyMs: 1000, error: 'connection refused' }
            : { url: endpoint.url, ok: true, status: 200, latencyMs: 4 },
        ),
        database: isDown
          ? { ok: false, role: 'unknown', status: 'unreachable' }
          : { ok: true, role: dbState.role, status: dbState.status, replicaLagSeconds: options.lag?.[region] ?? dbState.replicaLagSeconds },
      };
      const previous = await deps.observations.get(group.id, region, observerRegion);
      await deps.observations.put(nextObserverReport(previous, { groupId: group.id, region, observerRegion, round }));
    }
  }
}

/** Enough failing rounds, one probe interval apart, to confirm `regions` down with every observer. */
export async function confirmDown(
  deps: ProbingDeps,
  group: GroupConfig,
  regions: readonly string[],
  options: { lag?: Record<string, number> } = {},
): Promise<void> {
  for (let round = 0; round < group.policy.failureThreshold; round += 1) {
    await deps.clock.advance(group.policy.probeIntervalSeconds * 1000);
    await probeRound(deps, group, { down: regions, lag: options.lag });
  }
}

import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createDynamoDbStores, createTable } from '../adapters/aws/dynamodb/index.js';
import { HttpProber } from '../adapters/http/HttpProber.js';
import { SimWorld, type SimTimings } from '../adapters/sim/SimWorld.js';
import type { ExecutorDeps } from '../application/executor.js';
import type { ProbeDeps } from '../application/probeRound.js';
import { trackedDatabase } from '../application/trackedDatabase.js';
import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import type { RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Prober } from '../ports/Prober.js';
import { executorDeps, probeDeps, storesOn, type ControlPlaneStores } from './controlPlane.js';

// The local drill's shape (`npm start`, the scenario tests): the real control plane on the simulated three-region
// world of src/adapters/sim (its databases, hosted zone, topic and health servers on 127.0.0.1), storage on DynamoDB
// Local or any ControlPlaneStores, and the drill's own clock.

export interface LocalDrillInput<P extends Prober> {
  /** The control plane's configuration; its groups are replaced by the world's one group. */
  readonly config: ControlPlaneConfig;
  /** The group to drill: the world serves its regions and rewrites its health endpoints to local servers. */
  readonly group: GroupConfig;
  readonly timings?: Partial<SimTimings>;
  readonly stores: ControlPlaneStores;
  readonly clock: Clock;
  /** The prober every observer's probes go through, around the real HTTP prober (the drill's keeps time). */
  readonly prober: (http: Prober, world: SimWorld) => P;
}

/** A local drill's world and control plane, wired. */
export interface LocalDrill<P extends Prober> {
  readonly world: SimWorld;
  /** `input.config` with the world's group. */
  readonly config: ControlPlaneConfig;
  readonly prober: P;
  /** The executor's ports (one executor per control-plane region runs with them). */
  readonly executor: ExecutorDeps;
  /** One observer's probe ports: its view of the world (partitions apply), as its probe Lambda would have them. */
  probe(observer: RegionName): ProbeDeps;
}

/**
 * Builds the simulated world for `group` and wires the control plane to it: the executor to the world's databases,
 * hosted zone and topic, each observer's probe round through its own view of the world.
 *
 * @example
 * const drill = await composeLocalDrill({ config, group, stores, clock, prober: (http) => http });
 * await runProbeRound(drill.probe('eu-west-1'), { observerRegion: 'eu-west-1', groups: [drill.world.group] });
 * await reconcileGroup(drill.executor, drill.world.group, { owner: 'drill-executor-1', deadline });
 */
export async function composeLocalDrill<P extends Prober>(input: LocalDrillInput<P>): Promise<LocalDrill<P>> {
  const { stores, clock } = input;
  const world = await SimWorld.create(input.group, { clock, ...(input.timings === undefined ? {} : { timings: input.timings }) });
  const config = { ...input.config, groups: [world.group] };
  const prober = input.prober(new HttpProber(), world);
  return {
    world,
    config,
    prober,
    executor: executorDeps(config, stores, {
      database: world.database,
      traffic: world.traffic,
      notifier: world.notifier,
      prober,
      clock,
      // Short enough that the last save of a pass lands before the next probe round.
      safetyMarginMs: 500,
    }),
    probe: (observer) =>
      probeDeps(config, stores, {
        prober: world.proberFor(observer, prober),
        database: trackedDatabase(world.databaseFor(observer), stores.stateStore, clock, { groups: config.groups }),
        clock,
      }),
  };
}

/** Where a drill keeps its state: a DynamoDB Local endpoint, the table to create there, and the local credentials. */
export interface DrillTable {
  readonly endpoint: string;
  readonly tableName: string;
  readonly region: string;
  readonly credentials: DynamoDBClientConfig['credentials'];
}

/**
 * Creates a fresh table on a DynamoDB Local endpoint and answers the control plane's storage ports on it. `close()`
 * releases the client's sockets.
 *
 * @example
 * const { stores, close } = await drillTableStores({ endpoint, tableName: 'fcp-drill', region: 'us-east-1', credentials });
 */
export async function drillTableStores(table: DrillTable): Promise<{ stores: ControlPlaneStores; close: () => void }> {
  const dynamo = createDynamoDbStores({ tableName: table.tableName, endpoint: table.endpoint, region: table.region, credentials: table.credentials });
  await createTable(dynamo.client, table.tableName);
  return { stores: storesOn(dynamo), close: () => dynamo.client.destroy() };
}

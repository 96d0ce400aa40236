import type { DynamoDbStores } from '../adapters/aws/dynamodb/index.js';
import type { ExecutorDeps } from '../application/executor.js';
import { LookBudget } from '../application/lookBudget.js';
import type { ProbeDeps } from '../application/probeRound.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import type { Clock } from '../ports/Clock.js';
import type { CommandQueue } from '../ports/CommandQueue.js';
import type { Database } from '../ports/Database.js';
import type { DatabaseProbe } from '../ports/DatabaseProbe.js';
import type { EventLog } from '../ports/EventLog.js';
import type { FaultStore } from '../ports/FaultStore.js';
import type { FleetLedger } from '../ports/FleetLedger.js';
import type { Notifier } from '../ports/Notifier.js';
import type { ObservationStore } from '../ports/ObservationStore.js';
import type { Prober } from '../ports/Prober.js';
import type { StateStore } from '../ports/StateStore.js';
import type { Traffic } from '../ports/Traffic.js';

// The building functions every deployment shape shares (lambda.ts, localDrill.ts, postgresDrill.ts): each shape
// chooses its adapters, these put them together the same way. The Lambda bundles built from lambda.ts carry nothing
// from here but a few object literals and the look budget (src/application/lookBudget.ts).

/** The control plane's storage ports: DynamoDB in a deployment and for the drills, anything that implements them in tests. */
export interface ControlPlaneStores {
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly observations: ObservationStore;
  readonly commands: CommandQueue;
  readonly fleet: FleetLedger;
  readonly faults: FaultStore;
}

/**
 * The storage ports on one DynamoDB table, named as the control plane uses them.
 *
 * @example
 * const stores = storesOn(createDynamoDbStores({ tableName, region }));
 */
export function storesOn(table: DynamoDbStores): ControlPlaneStores {
  return {
    stateStore: table.stateStore,
    eventLog: table.eventLog,
    observations: table.observationStore,
    commands: table.commandQueue,
    fleet: table.fleetLedger,
    faults: table.faultStore,
  };
}

/** What the executor acts on besides storage, and a shape's own timing. */
export interface ExecutorEffects {
  readonly database: Database;
  readonly traffic: Traffic;
  readonly notifier: Notifier;
  readonly prober: Prober;
  readonly clock: Clock;
  readonly polling?: ExecutorDeps['polling'];
  readonly safetyMarginMs?: number;
}

/**
 * The executor's ports (orchestrate, the operator API, the drills' executors).
 *
 * @example
 * const deps = executorDeps(config, stores, { database, traffic, notifier, prober: new HttpProber(), clock: systemClock });
 */
export function executorDeps(config: ControlPlaneConfig, stores: ControlPlaneStores, effects: ExecutorEffects): ExecutorDeps {
  return {
    config,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observations,
    commands: stores.commands,
    fleet: stores.fleet,
    database: effects.database,
    traffic: effects.traffic,
    notifier: effects.notifier,
    prober: effects.prober,
    clock: effects.clock,
    // One budget for every executor run with these ports: the looks of all groups in flight share the API limits.
    looks: new LookBudget(),
    ...(effects.polling === undefined ? {} : { polling: effects.polling }),
    ...(effects.safetyMarginMs === undefined ? {} : { safetyMarginMs: effects.safetyMarginMs }),
  };
}

/** What one observer's probe reaches besides storage. */
export interface ProbeEffects {
  readonly prober: Prober;
  readonly database: Database;
  readonly databaseProbe?: DatabaseProbe;
  readonly clock: Clock;
}

/**
 * One observer's probe ports (the probe Lambda, each observer of a drill).
 *
 * @example
 * const deps = probeDeps(config, stores, { prober: new HttpProber(), database, clock: systemClock });
 */
export function probeDeps(config: ControlPlaneConfig, stores: ControlPlaneStores, effects: ProbeEffects): ProbeDeps {
  return {
    config,
    prober: effects.prober,
    database: effects.database,
    ...(effects.databaseProbe === undefined ? {} : { databaseProbe: effects.databaseProbe }),
    observations: stores.observations,
    faults: stores.faults,
    clock: effects.clock,
  };
}

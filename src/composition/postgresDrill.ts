import { systemClock } from '../adapters/clock/systemClock.js';
import { HttpProber } from '../adapters/http/HttpProber.js';
import { HaproxyTraffic } from '../adapters/postgres/HaproxyTraffic.js';
import { PostgresDatabase } from '../adapters/postgres/PostgresDatabase.js';
import { SimTopic } from '../adapters/sim/SimTopic.js';
import type { ExecutorDeps } from '../application/executor.js';
import type { ProbeDeps } from '../application/probeRound.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import type { Traffic } from '../ports/Traffic.js';
import { executorDeps, probeDeps, type ControlPlaneStores } from './controlPlane.js';

// The postgres drill's shape (`npm start -- --world postgres`): the real control plane in real time on real local
// PostgreSQL servers (the pg adapter) behind a real HAProxy (its runtime API is the traffic switch), notifications
// kept in memory. The servers, the proxy and the write load are the drill's world (src/drill/postgres/).

/** A postgres drill's control plane, wired. */
export interface PostgresControlPlane {
  readonly executor: ExecutorDeps;
  /** Every observer probes with the same ports: the world has no partitions. */
  readonly probe: ProbeDeps;
  /** Where clients through the traffic switch land (the result asks it at the end). */
  readonly traffic: Traffic;
  /** What the control plane published. */
  readonly notifier: SimTopic;
}

/**
 * Wires the control plane to the postgres world `config` describes (its servers' URLs, its HAProxy runtime API).
 *
 * @example
 * const drill = composePostgresDrill(world.config, stores);
 * await reconcileGroup(drill.executor, world.group, { owner: 'postgres-drill-executor', deadline });
 */
export function composePostgresDrill(config: ControlPlaneConfig, stores: ControlPlaneStores): PostgresControlPlane {
  const database = new PostgresDatabase();
  const traffic = new HaproxyTraffic();
  const prober = new HttpProber();
  const notifier = new SimTopic(systemClock);
  return {
    traffic,
    notifier,
    executor: executorDeps(config, stores, {
      database,
      traffic,
      notifier,
      prober,
      clock: systemClock,
      // Real time on local servers: poll a promotion and the switch often, keep a short margin.
      polling: { initialMs: 50, maxMs: 250, factor: 2 },
      safetyMarginMs: 200,
    }),
    probe: probeDeps(config, stores, { prober, database, clock: systemClock }),
  };
}

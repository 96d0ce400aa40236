import { fileURLToPath } from 'node:url';
import type { SimWorld } from '../adapters/sim/SimWorld.js';
import type { ControlPlaneStores } from '../composition/controlPlane.js';
import { composeLocalDrill } from '../composition/localDrill.js';
import { loadConfig } from '../config/load.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import { ValidationError } from '../domain/errors.js';
import { countingDatabase, noEffects } from './countingPorts.js';
import { DrillClock } from './DrillClock.js';
import { DrillProber, type ProbedWorld } from './DrillProber.js';
import { DrillSession } from './DrillSession.js';
import { withOverrides } from './overrides.js';
import type { DrillProgress } from './progress.js';
import type { DrillResult } from './result.js';
import type { Scenario } from './scenarios/types.js';

// What scripts and tests import from here; the types live beside the code that makes them.
export type { DrillOutcome, DrillResult } from './result.js';

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
export type DrillStores = ControlPlaneStores;

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
  const loaded = options.config ?? (await loadConfig(DRILL_CONFIG_PATH));
  const [first] = loaded.groups;
  if (first === undefined) throw new ValidationError('the drill configuration has no group', ['groups: needs one group to drill']);
  const factor = options.factor ?? DEFAULT_CLOCK_FACTOR;
  const clock = new DrillClock({ factor });
  const regions = options.scenario.controlPlaneRegions;
  const fleet =
    regions === undefined ? loaded.fleet : { ...loaded.fleet, controlPlaneRegion: regions[0], controlPlaneReplicaRegions: [regions[1], regions[2]] };
  const drill = await composeLocalDrill({
    config: { ...loaded, fleet },
    group: withOverrides(first, options.scenario.overrides),
    ...(options.scenario.timings === undefined ? {} : { timings: options.scenario.timings }),
    stores: holdingStores(clock, options.stores),
    clock,
    prober: (http, world) => new DrillProber(http, clock, probedWorld(world)),
  });
  const counts = noEffects();
  return new DrillSession({
    scenario: options.scenario,
    config: drill.config,
    world: drill.world,
    clock,
    factor,
    deps: { ...drill.executor, database: countingDatabase(drill.executor.database, counts) },
    probeDeps: (observer) => drill.probe(observer),
    prober: drill.prober,
    counts,
    principalArn: options.principalArn ?? DRILL_PRINCIPAL,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}

/** Which region serves a probed URL, and how its simulated application behaves now. */
function probedWorld(world: SimWorld): ProbedWorld {
  return {
    behaviourAt: (url) => {
      for (const region of Object.keys(world.group.regions)) {
        const server = world.server(region);
        if (url.startsWith(`${server.origin}/`)) return { region, behaviour: server.current };
      }
      return undefined;
    },
  };
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

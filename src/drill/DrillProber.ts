import type { HealthEndpoint } from '../config/schema.js';
import type { HttpProbeResult, RegionName } from '../domain/types.js';
import type { Prober } from '../ports/Prober.js';
import type { HealthBehaviour } from '../adapters/sim/HealthServer.js';
import type { DrillClock } from './DrillClock.js';

/**
 * Real milliseconds a local health server may take to answer before the drill stops believing the machine: the
 * servers run in the drill's own process and answer at once, so a probe this slow waited for a CPU, not for the
 * application. Its result is made up (a failure) and the run is marked not trusted.
 */
export const PROBE_REAL_TIME_BOUND_MS = 10_000;

/** What the drill prober needs of the world: which region serves a URL and how its server behaves now. */
export interface ProbedWorld {
  behaviourAt(url: string): { readonly region: RegionName; readonly behaviour: HealthBehaviour } | undefined;
}

/** A probe that hit the real-time bound: the run cannot be trusted. */
export interface StarvedProbe {
  readonly at: number;
  readonly url: string;
  readonly realMs: number;
}

/**
 * The drill's prober: every endpoint timeout is **simulated** time, like every other duration of the drill.
 *
 * - An answer the server gives at once (healthy, a status, refused, flapping, wrong body) costs no simulated time:
 *   the request runs under `clock.hold`, so however long the machine keeps it from a CPU, the clock stands still.
 * - A server that holds its answer (`hang`, or `slow` with a delay of at least the endpoint's timeout) is a timeout
 *   after `timeoutMs` of simulated time; a `slow` delay below the timeout costs that many simulated milliseconds.
 *   The behaviour is the simulated application's, so the drill knows it; the HTTP exchange itself stays real.
 * - A prompt answer that takes more than `PROBE_REAL_TIME_BOUND_MS` of real time is the machine, not the world:
 *   recorded in `starved` (the run is reported as not trusted) and answered as a failure.
 *
 * @example
 * const prober = new DrillProber(new HttpProber(), clock, world);
 * await prober.probe(group.regions['eu-west-1'].healthEndpoints);
 * prober.starved; // [] unless the machine was too busy
 */
export class DrillProber implements Prober {
  readonly starved: StarvedProbe[] = [];

  constructor(
    private readonly http: Prober,
    private readonly clock: DrillClock,
    private readonly world: ProbedWorld,
    private readonly realTimeBoundMs = PROBE_REAL_TIME_BOUND_MS,
  ) {}

  async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
    return Promise.all(endpoints.map((endpoint) => this.probeOne(endpoint)));
  }

  private async probeOne(endpoint: HealthEndpoint): Promise<HttpProbeResult> {
    const delayMs = simulatedDelayMs(this.world.behaviourAt(endpoint.url)?.behaviour);
    if (delayMs >= endpoint.timeoutMs) {
      await this.clock.sleep(endpoint.timeoutMs);
      return { url: endpoint.url, ok: false, latencyMs: endpoint.timeoutMs, error: `timeout after ${endpoint.timeoutMs} ms` };
    }
    if (delayMs > 0) await this.clock.sleep(delayMs);
    const startedAt = performance.now();
    const [result] = await this.clock.hold(() => this.http.probe([{ ...endpoint, timeoutMs: this.realTimeBoundMs }]));
    const realMs = performance.now() - startedAt;
    if (result === undefined) throw new Error(`the prober gave no result for ${endpoint.url}`);
    if (realMs >= this.realTimeBoundMs) {
      this.starved.push({ at: this.clock.now(), url: endpoint.url, realMs: Math.round(realMs) });
      return { url: endpoint.url, ok: false, latencyMs: delayMs, error: `no answer in ${this.realTimeBoundMs} ms of real time: the machine was too busy` };
    }
    return { ...result, latencyMs: delayMs };
  }
}

/** How long the simulated application takes to answer, in simulated milliseconds (Infinity: never). */
function simulatedDelayMs(behaviour: HealthBehaviour | undefined): number {
  if (behaviour?.kind === 'hang') return Number.POSITIVE_INFINITY;
  if (behaviour?.kind === 'slow') return behaviour.delayMs;
  return 0;
}

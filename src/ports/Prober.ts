import type { HealthEndpoint } from '../domain/group.js';
import type { HttpProbeResult } from '../domain/types.js';

/**
 * Probes HTTP health endpoints. Never throws for a failed probe: failures are results.
 *
 * @example
 * const results = await prober.probe(group.regions['eu-west-1']!.healthEndpoints);
 * results.filter((result) => !result.ok).map((result) => result.error); // ['timeout after 2000 ms']
 */
export interface Prober {
  probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]>;
}

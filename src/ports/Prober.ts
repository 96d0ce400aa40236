import type { HealthEndpoint } from '../config/schema.js';
import type { HttpProbeResult } from '../domain/types.js';

/** Probes HTTP health endpoints. Never throws for a failed probe: failures are results. */
export interface Prober {
  probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]>;
}

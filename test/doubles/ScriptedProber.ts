import type { HealthEndpoint } from '../../src/config/schema.js';
import type { HttpProbeResult } from '../../src/domain/types.js';
import type { Prober } from '../../src/ports/Prober.js';

/** Answers probes from a table of failing URLs; everything else passes. Counts calls. */
export class ScriptedProber implements Prober {
  readonly calls = { probe: 0 };
  readonly failing = new Set<string>();

  async probe(endpoints: readonly HealthEndpoint[]): Promise<HttpProbeResult[]> {
    this.calls.probe += 1;
    return endpoints.map((endpoint) =>
      this.failing.has(endpoint.url)
        ? { url: endpoint.url, ok: false, latencyMs: endpoint.timeoutMs, error: `timeout after ${endpoint.timeoutMs} ms` }
        : { url: endpoint.url, ok: true, status: endpoint.expectedStatus, latencyMs: 5 },
    );
  }
}

import type { GroupConfig } from '../../src/config/schema.js';
import type { ConnectionCheckResult, RegionName } from '../../src/domain/types.js';
import type { Clock } from '../../src/ports/Clock.js';
import type { DatabaseProbe } from '../../src/ports/DatabaseProbe.js';

/**
 * Connection checks from a table: a region listed in `failing` fails with that error, every other passes in
 * `latencyMs`. Records each check as `group/region` and counts calls.
 */
export class InMemoryDatabaseProbe implements DatabaseProbe {
  readonly calls = { check: 0 };
  readonly checked: string[] = [];
  readonly failing = new Map<RegionName, string>();
  /** A replica lag the check reads live, per region. */
  readonly lagSeconds = new Map<RegionName, number>();

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs = 0,
  ) {}

  async check(group: GroupConfig, region: RegionName): Promise<ConnectionCheckResult> {
    this.calls.check += 1;
    this.checked.push(`${group.id}/${region}`);
    const checkedAt = this.clock.now();
    const error = this.failing.get(region);
    if (error !== undefined) return { ok: false, latencyMs: this.latencyMs, checkedAt, error };
    const lag = this.lagSeconds.get(region);
    return { ok: true, latencyMs: this.latencyMs, checkedAt, ...(lag === undefined ? {} : { replicaLagSeconds: lag }) };
  }
}

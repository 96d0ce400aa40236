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

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs = 0,
  ) {}

  async check(group: GroupConfig, region: RegionName): Promise<ConnectionCheckResult> {
    this.calls.check += 1;
    this.checked.push(`${group.id}/${region}`);
    const checkedAt = this.clock.now();
    const error = this.failing.get(region);
    return error === undefined
      ? { ok: true, latencyMs: this.latencyMs, checkedAt }
      : { ok: false, latencyMs: this.latencyMs, checkedAt, error };
  }
}

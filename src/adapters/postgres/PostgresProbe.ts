import type { GroupConfig, PostgresDatabaseConfig } from '../../config/schema.js';
import type { ConnectionCheckResult, RegionName } from '../../domain/types.js';
import type { DatabaseProbe } from '../../ports/DatabaseProbe.js';
import { passwordFromEnvironment, withClient, type PasswordLookup } from './connection.js';

/**
 * Connects to the region's server and runs `SELECT 1`, within the region's `connectTimeoutMs`. Never throws: a
 * refused, slow or failing server is a result with `ok: false` and the reason.
 *
 * @example
 * await new PostgresProbe().check(group, 'eu-west-1'); // { ok: true, latencyMs: 3, checkedAt: 1767225600000 }
 */
export class PostgresProbe implements DatabaseProbe {
  readonly #passwords: PasswordLookup;

  constructor(options: { readonly passwords?: PasswordLookup } = {}) {
    this.#passwords = options.passwords ?? passwordFromEnvironment;
  }

  async check(group: GroupConfig, region: RegionName): Promise<ConnectionCheckResult> {
    const checkedAt = Date.now();
    const started = performance.now();
    const latencyMs = (): number => Math.round(performance.now() - started);
    const database = group.regions[region]?.database;
    if (database?.kind !== 'postgres') {
      return { ok: false, latencyMs: 0, checkedAt, error: `region ${region} of group ${group.id} has no postgres database` };
    }
    try {
      await withClient({ group, region, config: database as PostgresDatabaseConfig }, this.#passwords, (client) => client.query('SELECT 1'));
      return { ok: true, latencyMs: latencyMs(), checkedAt };
    } catch (error) {
      return { ok: false, latencyMs: latencyMs(), checkedAt, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildDatabaseProbe, buildExecutorDeps, buildProbeDeps } from '../../src/composition.js';
import { parseConfig } from '../../src/config/load.js';
import { ValidationError } from '../../src/domain/errors.js';

const fixture = 'test/handlers/fixtures/orders.yaml';

async function configJson(): Promise<string> {
  return JSON.stringify(parse(await readFile(fixture, 'utf8')));
}

describe('the composition root', () => {
  it('names every missing variable of the probe environment at once', async () => {
    // Act
    const error = await buildProbeDeps({}).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      'TABLE_NAME: is required (the name of the control-plane state table)',
      'OBSERVER_REGION: is required (the region this probe observes from)',
      'CONFIG_PATH: is required: set CONFIG_PATH (a configuration file) or CONFIG_JSON (the configuration inline)',
      'TABLE_REGION: is required when AWS_REGION is not set',
    ]);
  });

  it('rejects a malformed observer region by name', async () => {
    // Act
    const act = buildProbeDeps({ CONFIG_JSON: await configJson(), TABLE_NAME: 'state', AWS_REGION: 'eu-west-1', OBSERVER_REGION: 'Mars' });

    // Assess
    await expect(act).rejects.toThrow(/OBSERVER_REGION: must be an AWS region name such as eu-west-1/);
  });

  it('refuses to probe as an observer the configuration does not list', async () => {
    // Act
    const act = buildProbeDeps({ CONFIG_JSON: await configJson(), TABLE_NAME: 'state', AWS_REGION: 'sa-east-1', OBSERVER_REGION: 'sa-east-1' });

    // Assess
    await expect(act).rejects.toThrow(/OBSERVER_REGION: sa-east-1 is not one of fleet.observerRegions \(eu-west-1, us-east-1, ap-southeast-2\)/);
  });

  it('builds the probe from inline configuration without calling AWS', async () => {
    // Act
    const { deps, observerRegion } = await buildProbeDeps({
      CONFIG_JSON: await configJson(),
      TABLE_NAME: 'state',
      TABLE_REGION: 'us-west-2',
      AWS_REGION: 'eu-west-1',
      OBSERVER_REGION: 'eu-west-1',
    });

    // Assess
    expect(observerRegion).toBe('eu-west-1');
    expect(deps.config.groups.map((group) => group.id)).toEqual(['orders']);
    expect(deps.config.groups[0]?.policy.maxStepAttempts).toBe(2);
    expect(typeof deps.clock.now()).toBe('number');
    expect(deps.databaseProbe).toBeUndefined();
  });

  it('builds no database probe when no region configures a connection check, even when an adapter is offered', async () => {
    // Prepare
    const config = parseConfig(await configJson(), 'json');
    let built = 0;

    // Act
    const probe = buildDatabaseProbe(config, () => {
      built += 1;
      return { check: async () => ({ ok: true, latencyMs: 1, checkedAt: 0 }) };
    });

    // Assess
    expect(probe).toBeUndefined();
    expect(built).toBe(0);
  });

  it('builds the database probe where a region configures a connection check, and refuses without an adapter', async () => {
    // Prepare
    const raw = parse(await readFile(fixture, 'utf8')) as { groups: { regions: Record<string, { database: Record<string, unknown> }> }[] };
    const [regionName, region] = Object.entries(raw.groups[0]!.regions)[0]!;
    region.database.connectionCheck = { host: 'db.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' } };
    const config = parseConfig(JSON.stringify(raw), 'json');
    const adapter = { check: async () => ({ ok: true, latencyMs: 1, checkedAt: 0 }) };

    // Act
    const built = buildDatabaseProbe(config, () => adapter);
    const refusal = (() => {
      try {
        return buildDatabaseProbe(config);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(built).toBe(adapter);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).issues).toEqual([
      `orders: regions.${regionName}.database.connectionCheck: no adapter to run it; remove it or deploy a build that has one`,
    ]);
  });

  it('builds the executor from the bundled configuration file', async () => {
    // Act
    const deps = await buildExecutorDeps({ CONFIG_PATH: fixture, TABLE_NAME: 'state', AWS_REGION: 'us-west-2' });

    // Assess
    expect(deps.config.fleet.controlPlaneRegion).toBe('us-west-2');
    expect(Object.keys(deps).sort()).toEqual(
      ['clock', 'commands', 'config', 'database', 'eventLog', 'fleet', 'notifier', 'observations', 'prober', 'stateStore', 'traffic'].sort(),
    );
  });

  it('reports a configuration problem with the file it came from', async () => {
    // Act
    const act = buildExecutorDeps({ CONFIG_PATH: 'test/handlers/fixtures/missing.yaml', TABLE_NAME: 'state', AWS_REGION: 'us-west-2' });

    // Assess
    await expect(act).rejects.toThrow(/cannot read configuration file .*missing\.yaml/);
  });
});

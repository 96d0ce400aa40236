import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildDatabaseProbe, buildExecutorDeps, buildProbeDeps } from '../../src/composition/lambda.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { packageConfig } from '../../src/config/packaged.js';
import { ValidationError } from '../../src/domain/errors.js';
import { LookBudget } from '../../src/application/lookBudget.js';

const fixture = 'test/handlers/fixtures/orders.yaml';

async function configJson(): Promise<string> {
  return JSON.stringify(parse(await readFile(fixture, 'utf8')));
}

/** The fixture as scripts/package.mjs ships it: validated, then written as config.json. */
let packaged: string;
beforeAll(async () => {
  packaged = join(await mkdtemp(join(tmpdir(), 'composition-')), 'config.json');
  await writeFile(packaged, packageConfig(await loadConfig(fixture), fixture));
});

describe('the composition root', () => {
  it('names every missing variable of the probe environment at once', async () => {
    // Act
    const error = await buildProbeDeps({}).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      'FCP_CONFIG: is required (the packaged configuration file, config.json in each artifact)',
      'FCP_TABLE_NAME: is required (the name of the control-plane state table)',
      'FCP_OBSERVER_REGION: is required (the region this probe observes from)',
      'FCP_TABLE_REGION: is required when AWS_REGION is not set',
    ]);
  });

  it('rejects a malformed observer region by name', async () => {
    // Act
    const act = buildProbeDeps({ FCP_CONFIG: packaged, FCP_TABLE_NAME: 'state', AWS_REGION: 'eu-west-1', FCP_OBSERVER_REGION: 'Mars' });

    // Assess
    await expect(act).rejects.toThrow(/FCP_OBSERVER_REGION: must be an AWS region name such as eu-west-1/);
  });

  it('refuses to probe as an observer the configuration does not list', async () => {
    // Act
    const act = buildProbeDeps({ FCP_CONFIG: packaged, FCP_TABLE_NAME: 'state', AWS_REGION: 'sa-east-1', FCP_OBSERVER_REGION: 'sa-east-1' });

    // Assess
    await expect(act).rejects.toThrow(/FCP_OBSERVER_REGION: sa-east-1 is not one of fleet.observerRegions \(eu-west-1, us-east-1, ap-southeast-2\)/);
  });

  it('builds the probe from the packaged configuration without calling AWS', async () => {
    // Act
    const { deps, observerRegion } = await buildProbeDeps({
      FCP_CONFIG: packaged,
      FCP_TABLE_NAME: 'state',
      FCP_TABLE_REGION: 'us-west-2',
      AWS_REGION: 'eu-west-1',
      FCP_OBSERVER_REGION: 'eu-west-1',
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

  it('builds the executor from the packaged configuration file', async () => {
    // Act
    const deps = await buildExecutorDeps({ FCP_CONFIG: packaged, FCP_TABLE_NAME: 'state', AWS_REGION: 'us-west-2' });

    // Assess
    expect(deps.config.fleet.controlPlaneRegion).toBe('us-west-2');
    expect(Object.keys(deps).sort()).toEqual(
      ['clock', 'commands', 'config', 'database', 'eventLog', 'fleet', 'looks', 'notifier', 'observations', 'prober', 'stateStore', 'traffic'].sort(),
    );
    expect(deps.looks).toBeInstanceOf(LookBudget);
  });

  it('reports a configuration problem with the file it came from', async () => {
    // Act
    const act = buildExecutorDeps({ FCP_CONFIG: 'test/handlers/fixtures/missing.json', FCP_TABLE_NAME: 'state', AWS_REGION: 'us-west-2' });

    // Assess
    await expect(act).rejects.toThrow(/cannot read configuration file .*missing\.json/);
  });

  it('refuses a configuration that was not packaged (and so never validated), naming the file', async () => {
    // Act
    const act = buildExecutorDeps({ FCP_CONFIG: fixture, FCP_TABLE_NAME: 'state', AWS_REGION: 'us-west-2' });

    // Assess
    await expect(act).rejects.toThrow(ValidationError);
    await expect(act).rejects.toThrow(/orders\.yaml is not a packaged configuration/);
  });

  it('names a malformed table region and DynamoDB endpoint', async () => {
    // Act
    const error = await buildExecutorDeps({ FCP_CONFIG: packaged, FCP_TABLE_NAME: 'state', FCP_TABLE_REGION: 'moon', FCP_DYNAMODB_ENDPOINT: 'not a url' }).catch(
      (caught: unknown) => caught,
    );

    // Assess
    expect((error as ValidationError).issues).toEqual([
      'FCP_TABLE_REGION: must be an AWS region name such as eu-west-1',
      'FCP_DYNAMODB_ENDPOINT: must be a URL such as http://127.0.0.1:8000',
    ]);
  });
});

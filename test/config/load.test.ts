import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Yaml from 'yaml';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { connectionCheckOf } from '../../src/config/schema.js';
import { ValidationError } from '../../src/domain/errors.js';
import { comparisons, LARGE_CONFIG_FIRST_EXTRA_LINE, largeConfigYaml } from './largeConfig.js';

// Counts the pairwise key comparisons the YAML library makes (its duplicate-key check compares each key with every
// earlier key of its map): the work that made a 5 MB file take minutes. A caller that turns the check off makes none.
vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof Yaml>();
  const counting = (a: unknown, b: unknown) => {
    comparisons.count += 1;
    return a === b || (yaml.isScalar(a) && yaml.isScalar(b) && a.value === b.value);
  };
  return {
    ...yaml,
    parseDocument: (text: string, options?: Parameters<typeof yaml.parseDocument>[1]) =>
      yaml.parseDocument(text, { ...options, uniqueKeys: options?.uniqueKeys === false ? false : counting }),
  };
});

/** A minimal valid configuration as plain data; each test breaks one thing. */
function validConfig() {
  const region = (name: string, priority: number, primary = false) => ({
    ...(primary ? { initialPrimary: true } : {}),
    failoverPriority: priority,
    database: {
      kind: 'rds-instance',
      instanceId: `orders-${name}`,
      instanceArn: `arn:aws:rds:${name}:123456789012:db:orders-${name}`,
    },
    healthEndpoints: [{ url: `https://orders.${name}.example.com/health` }],
    dnsTarget: { type: 'CNAME', value: `orders.${name}.example.com` },
  });
  return {
    fleet: { observerRegions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], controlPlaneRegion: 'us-west-2' },
    groups: [
      {
        id: 'orders',
        environment: 'staging',
        mode: 'automatic',
        regions: {
          'eu-west-1': region('eu-west-1', 100, true),
          'us-east-1': region('us-east-1', 90),
          'ap-southeast-2': region('ap-southeast-2', 80),
        },
        dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME' },
        notifications: { topicArn: 'arn:aws:sns:us-west-2:123456789012:orders' },
        policy: { observerQuorum: 2 },
      },
    ],
  };
}

type Config = ReturnType<typeof validConfig>;
type Group = Config['groups'][number];

/** The first group, mutable (the helper builds a fresh object each time). */
function groupOf(config: Config): Group {
  const group = config.groups[0];
  if (group === undefined) throw new Error('validConfig has a group');
  return group;
}

/** Mutable access to one region of the first group, loosely typed so a test can break its shape. */
function regionOf(config: Config, name: string): Record<string, unknown> & { database: Record<string, unknown> } {
  const regions = groupOf(config).regions as unknown as Record<string, Record<string, unknown> & { database: Record<string, unknown> }>;
  const region = regions[name];
  if (region === undefined) throw new Error(`validConfig has region ${name}`);
  return region;
}

/** Parses YAML text and returns the validation issues it raised; fails the test when none was raised. */
function issuesOf(text: string, format: 'yaml' | 'json' = 'yaml'): readonly string[] {
  try {
    parseConfig(text, format);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

function issuesOfConfig(config: unknown): readonly string[] {
  return issuesOf(stringify(config));
}

describe('parseConfig with a well-formed file', () => {
  it('loads a valid configuration with defaults applied', () => {
    // Prepare
    const text = stringify(validConfig());

    // Act
    const config = parseConfig(text, 'yaml');

    // Assess
    const group = config.groups[0];
    expect(group?.policy).toEqual({
      probeIntervalSeconds: 10,
      failureThreshold: 3,
      recoveryThreshold: 3,
      observerQuorum: 2,
      maxReplicaLagSeconds: 30,
      cooldownSeconds: 3_600,
      maxStepAttempts: 3,
      stepTimeouts: {
        fencingSeconds: 60,
        drainingSeconds: 300,
        promotionSeconds: 900,
        trafficSwitchSeconds: 60,
        dnsSyncSeconds: 180,
        verificationSeconds: 120,
      },
      fencing: 'none',
      targets: { rtoSeconds: 300, detectionSeconds: 60 },
    });
    expect(group?.regions['us-east-1']?.initialPrimary).toBe(false);
    expect(group?.regions['eu-west-1']?.healthEndpoints[0]).toEqual({
      url: 'https://orders.eu-west-1.example.com/health',
      timeoutMs: 2_000,
      expectedStatus: 200,
    });
    expect(group?.dns.ttlSeconds).toBe(30);
    expect(config.fleet.fleetBrake).toEqual({ maxAutomaticFailovers: 2, windowSeconds: 3_600 });
  });

  it('parses the same configuration written as JSON', () => {
    // Prepare
    const text = JSON.stringify(validConfig(), null, 2);

    // Act
    const config = parseConfig(text, 'json');

    // Assess
    expect(config.groups.map((group) => group.id)).toEqual(['orders']);
  });
});

describe('parseConfig with a malformed file names the field and the reason', () => {
  it('rejects a group with no initial primary', () => {
    // Prepare
    const config = validConfig();
    delete regionOf(config, 'eu-west-1').initialPrimary;

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions: exactly one region must have initialPrimary: true (found none)']);
  });

  it('rejects a group with two primaries', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').initialPrimary = true;

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions: exactly one region must have initialPrimary: true (found eu-west-1, us-east-1)',
    ]);
  });

  it('rejects an initial primary that is not a yes/no flag, such as a region name', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'eu-west-1').initialPrimary = 'eu-west-2';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions.eu-west-1.initialPrimary: must be a boolean (got "eu-west-2")']);
  });

  it('rejects a duplicate group id', () => {
    // Prepare
    const config = validConfig();
    const second = structuredClone(groupOf(config));
    second.dns.recordName = 'orders-copy.example.com';
    config.groups.push(second);

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[1].id: duplicate group id "orders" (also groups[0])']);
  });

  it('rejects a quorum larger than the number of observer regions', () => {
    // Prepare
    const config = validConfig();
    groupOf(config).policy.observerQuorum = 4;

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].policy.observerQuorum: 4 is larger than the number of observer regions (3)']);
  });

  it('rejects a region name that is not an AWS region', () => {
    // Prepare
    const config = validConfig();
    config.fleet.observerRegions = ['eu-west-1', 'Europe', 'ap-southeast-2'];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['fleet.observerRegions[1]: must be an AWS region name such as eu-west-1']);
  });

  it('rejects a region key that is not an AWS region', () => {
    // Prepare
    const config = validConfig();
    const regions = groupOf(config).regions as Record<string, unknown>;
    regions['eu-west'] = regions['us-east-1'];
    delete regions['us-east-1'];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions.eu-west: invalid key: must be an AWS region name such as eu-west-1']);
  });

  it.each([
    ['fleet.controlPlaneRegion', (config: Config) => void (config.fleet.controlPlaneRegion = 'us-west-9')],
    ['fleet.observerRegions[2]', (config: Config) => void (config.fleet.observerRegions[2] = 'eu-fake-1')],
  ])('rejects %s when it is well formed but not a region the AWS SDK knows', (path, breakIt) => {
    // Prepare
    const config = validConfig();
    breakIt(config);

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: is not an AWS region: the AWS SDK's partition data has no region of that name`));
  });

  it('rejects a group region key that is well formed but not a region the AWS SDK knows', () => {
    // Prepare
    const config = validConfig();
    const regions = groupOf(config).regions as Record<string, unknown>;
    regions['ap-southeast-9'] = regions['ap-southeast-2'];
    delete regions['ap-southeast-2'];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues[0]).toMatch(/^groups\[0\]\.regions\.ap-southeast-9: invalid key: is not an AWS region/);
  });

  it('accepts regions of every partition the AWS SDK knows', () => {
    // Prepare
    const config = validConfig();
    config.fleet.observerRegions = ['us-gov-west-1', 'cn-north-1', 'eusc-de-east-1'];

    // Act
    const issues = (() => {
      try {
        parseConfig(stringify(config), 'yaml');
        return [];
      } catch (error) {
        return (error as ValidationError).issues;
      }
    })();

    // Assess
    expect(issues.filter((issue) => issue.startsWith('fleet.observerRegions'))).toEqual([]);
  });

  it('rejects stop-instance fencing for rds-instance databases and says what to use instead', () => {
    // Prepare
    const config = validConfig();
    (groupOf(config).policy as Record<string, unknown>).fencing = 'stop-instance';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^groups\[0\]\.policy\.fencing: stop-instance cannot fence an rds-instance primary: RDS refuses to stop a DB instance that has read replicas/);
    expect(issues[0]).toContain('Use read-only-parameter-group');
  });

  it('rejects a malformed ARN', () => {
    // Prepare
    const config = validConfig();
    groupOf(config).notifications.topicArn = 'arn:aws:sns:us-west-2:1234:orders';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].notifications.topicArn: must be an ARN']);
  });

  it('rejects an instance ARN of another region', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').database.instanceArn = 'arn:aws:rds:eu-west-1:123456789012:db:orders-us-east-1';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions.us-east-1.database.instanceArn: must be an RDS ARN in region us-east-1']);
  });

  it('rejects an instance ARN that names another instance than instanceId', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').database.instanceId = 'orders-us-east-1-old';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.us-east-1.database.instanceArn: must end with :db:orders-us-east-1-old (the instanceId of this region)',
    ]);
  });

  it('rejects an unknown key and names it', () => {
    // Prepare
    const config = validConfig();
    Object.assign(groupOf(config).policy, { failoverThreshold: 3 });

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].policy.failoverThreshold: unknown key (not part of the configuration schema)']);
  });

  it('rejects a database kind it does not know', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'eu-west-1').database.kind = 'dynamodb';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions.eu-west-1.database.kind: must be rds-instance, aurora-global or postgres']);
  });

  it('rejects a group mixing database kinds', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').database = {
      kind: 'aurora-global',
      globalClusterId: 'orders-global',
      clusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:orders-us',
    };

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions: all regions of a group must use the same database kind']);
  });

  it('rejects a region without health endpoints, missing or empty', () => {
    // Prepare
    const config = validConfig();
    delete regionOf(config, 'us-east-1').healthEndpoints;
    regionOf(config, 'ap-southeast-2').healthEndpoints = [];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.us-east-1.healthEndpoints: is required',
      'groups[0].regions.ap-southeast-2.healthEndpoints: needs at least one health endpoint',
    ]);
  });

  it('rejects a health endpoint that is not an http(s) URL', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'eu-west-1').healthEndpoints = [{ url: 'ftp://orders.example.com/health' }, { url: 'not a url' }];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.eu-west-1.healthEndpoints[0].url: must be an http(s) URL',
      'groups[0].regions.eu-west-1.healthEndpoints[1].url: must be an http(s) URL',
    ]);
  });

  it('rejects a negative threshold', () => {
    // Prepare
    const config = validConfig();
    Object.assign(groupOf(config).policy, { failureThreshold: -1 });

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].policy.failureThreshold: must be at least 1']);
  });

  it('rejects a region DNS target whose type differs from the record type', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').dnsTarget = {
      type: 'A',
      aliasHostedZoneId: 'Z35SXDOTRQ7X7K',
      aliasDnsName: 'orders-alb.us-east-1.elb.amazonaws.com',
    };

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].regions.us-east-1.dnsTarget.type: is A but dns.type is CNAME']);
  });

  it('rejects an alias DNS target written with a CNAME value and names the missing fields', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'us-east-1').dnsTarget = { type: 'A', value: 'orders.us-east-1.example.com' };

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.us-east-1.dnsTarget.aliasHostedZoneId: is required',
      'groups[0].regions.us-east-1.dnsTarget.aliasDnsName: is required',
      'groups[0].regions.us-east-1.dnsTarget.value: unknown key (not part of the configuration schema)',
    ]);
  });

  it('rejects a control-plane region that is one of the group regions', () => {
    // Prepare
    const config = validConfig();
    config.fleet.controlPlaneRegion = 'us-east-1';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^fleet\.controlPlaneRegion: us-east-1 is a region of group "orders": the control plane must run outside/);
  });

  it('rejects two regions with the same failover priority', () => {
    // Prepare
    const config = validConfig();
    regionOf(config, 'ap-southeast-2').failoverPriority = 90;

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.ap-southeast-2.failoverPriority: 90 is also the priority of us-east-1; priorities must be distinct so the choice is deterministic',
    ]);
  });

  it('rejects read-only fencing when a region names no read-only parameter group', () => {
    // Prepare
    const config = validConfig();
    Object.assign(groupOf(config).policy, { fencing: 'read-only-parameter-group' });
    for (const name of ['eu-west-1', 'us-east-1']) regionOf(config, name).database.readOnlyParameterGroup = 'orders-read-only';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.ap-southeast-2.database.readOnlyParameterGroup: is required when policy.fencing is read-only-parameter-group',
    ]);
  });

  it('rejects a health endpoint timeout that does not fit in one probe interval', () => {
    // Prepare
    const config = validConfig();
    Object.assign(groupOf(config).policy, { probeIntervalSeconds: 3 });
    regionOf(config, 'eu-west-1').healthEndpoints = [{ url: 'https://orders.example.com/health', timeoutMs: 3_000 }];

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.eu-west-1.healthEndpoints[0].timeoutMs: 3000 ms does not fit in one probe interval (policy.probeIntervalSeconds 3)',
    ]);
  });

  it('accepts a database connection check and fills its defaults', () => {
    // Prepare
    const config = validConfig();
    Object.assign(regionOf(config, 'eu-west-1').database, {
      connectionCheck: { host: 'orders-eu.abc.eu-west-1.rds.amazonaws.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' } },
    });

    // Act
    const parsed = parseConfig(JSON.stringify(config), 'json');

    // Assess
    const database = parsed.groups[0]?.regions['eu-west-1']?.database;
    expect(database === undefined ? undefined : connectionCheckOf(database)).toEqual({
      host: 'orders-eu.abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      database: 'orders',
      user: 'fcp_probe',
      passwordFrom: { kind: 'rds-iam' },
      tls: 'verify-full',
      timeoutMs: 3_000,
    });
  });

  it('rejects a connection check that does not fit in one probe interval or names its password source badly', () => {
    // Prepare
    const config = validConfig();
    Object.assign(groupOf(config).policy, { probeIntervalSeconds: 3 });
    Object.assign(regionOf(config, 'eu-west-1').database, {
      connectionCheck: { host: 'db.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'environment', variable: 'orders-password' }, timeoutMs: 3_000 },
    });
    Object.assign(regionOf(config, 'us-east-1').database, {
      connectionCheck: { host: 'db.example.com', database: 'orders', user: 'fcp_probe', passwordFrom: { kind: 'rds-iam' }, timeoutMs: 3_000 },
    });

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.eu-west-1.database.connectionCheck.passwordFrom.variable: must be an environment variable name such as ORDERS_DB_PASSWORD',
      'groups[0].regions.eu-west-1.database.connectionCheck.timeoutMs: 3000 ms does not fit in one probe interval (policy.probeIntervalSeconds 3)',
      'groups[0].regions.us-east-1.database.connectionCheck.timeoutMs: 3000 ms does not fit in one probe interval (policy.probeIntervalSeconds 3)',
    ]);
  });

  it('rejects two groups switching the same DNS record', () => {
    // Prepare
    const config = validConfig();
    const second = structuredClone(groupOf(config));
    second.id = 'orders-v2';
    config.groups.push(second);

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      `groups[1].dns.recordName: orders.example.com in Z0123456789ABC is already managed by group "orders": two groups would overwrite each other's traffic switch`,
    ]);
  });

  it('rejects an unknown mode and lists the allowed ones', () => {
    // Prepare
    const config = validConfig();
    groupOf(config).mode = 'auto';

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual(['groups[0].mode: must be one of automatic, approval, manual (got "auto")']);
  });

  it('reports the problems of every group in one pass, even when one group is broken in shape', () => {
    // Prepare
    const config = validConfig();
    const second = structuredClone(groupOf(config));
    second.id = 'billing';
    second.dns.recordName = 'billing.example.com';
    Object.assign(second.policy, { failureThreshold: 'three' });
    config.groups.push(second);
    regionOf(config, 'us-east-1').initialPrimary = true;

    // Act
    const issues = issuesOfConfig(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions: exactly one region must have initialPrimary: true (found eu-west-1, us-east-1)',
      'groups[1].policy.failureThreshold: must be a number (got "three")',
    ]);
  });

  it('rejects a YAML syntax error and gives its line', () => {
    // Prepare
    const text = ['fleet:', '  observerRegions: [eu-west-1, us-east-1', '  controlPlaneRegion: us-west-2', 'groups: []', ''].join(
      '\n',
    );

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(/^line \d+, column \d+: /);
    expect(issues.some((issue) => issue.startsWith('line 3,') || issue.startsWith('line 4,'))).toBe(true);
  });

  it('rejects a YAML key written twice and gives its line', () => {
    // Prepare
    const text = ['fleet:', '  controlPlaneRegion: us-west-2', '  controlPlaneRegion: eu-north-1', 'groups: []', ''].join('\n');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual(['line 3, column 3: Map keys must be unique']);
  });

  it('rejects a JSON syntax error and gives its line and column', () => {
    // Prepare
    const text = '{\n  "fleet": {},\n}\n';

    // Act
    const issues = issuesOf(text, 'json');

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^line 3, column 1: /);
  });

  it.each([
    ['an unexpected token', '{\n  "fleet": {\n    "controlPlaneRegion": tru\n  }\n}\n', 'line 3, column 30: '],
    ['an unexpected token in a list', '{\n  "groups": [1,,2]\n}', 'line 2, column 16: '],
    ['a text that ends early', '{\n  "fleet": {', 'line 2, column 13: '],
    ['a text that ends inside a string', '{\n  "fleet', 'line 2, column 9: '],
  ])('gives the line and column of %s in JSON', (_, text, position) => {
    // Act
    const issues = issuesOf(text, 'json');

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.startsWith(position), issues[0]).toBe(true);
    expect(issues[0]).not.toContain('is not valid JSON');
  });

  it('reports a YAML key written twice in a map of 10 000 keys without comparing keys pairwise', () => {
    // Prepare
    const text = largeConfigYaml(10_000, { duplicateKeyAt: 7_500 });
    comparisons.count = 0;

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([`line ${LARGE_CONFIG_FIRST_EXTRA_LINE + 7_500}, column 5: Map keys must be unique`]);
    expect(comparisons.count, 'pairwise key comparisons made by the YAML library').toBeLessThanOrEqual(10_000);
  });

  it('names the top level when the file is empty', () => {
    // Prepare
    const text = '';

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual(['(top level): must be an object (got null)']);
  });

  it('puts every issue line into the error message for logs', () => {
    // Prepare
    const config = validConfig();
    groupOf(config).policy.observerQuorum = 0;

    // Act
    const error = (() => {
      try {
        parseConfig(stringify(config), 'yaml', 'config/orders.yaml');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(
      'config/orders.yaml is not a valid control-plane configuration\n  - groups[0].policy.observerQuorum: must be at least 1',
    );
  });
});

describe('loadConfig', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'config-test-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads a .json file as JSON', async () => {
    // Prepare
    const path = join(directory, 'control-plane.json');
    await writeFile(path, JSON.stringify(validConfig()));

    // Act
    const config = await loadConfig(path);

    // Assess
    expect(config.fleet.controlPlaneRegion).toBe('us-west-2');
  });

  it('rejects a file with a byte that is not UTF-8 and gives its line and column, instead of replacing it', async () => {
    // Prepare
    const path = join(directory, 'latin1.yaml');
    const config = validConfig();
    const endpoint = groupOf(config).regions['us-east-1'].healthEndpoints[0] as Record<string, unknown>;
    endpoint.bodyContains = 'caf\u00e9';
    const text = stringify(config);
    const latin1 = Buffer.from(text, 'latin1');
    const line = text.slice(0, text.indexOf('caf')).split('\n').length;

    await writeFile(path, latin1);

    // Act
    const error = await loadConfig(path).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`${path} is not valid UTF-8`);
    expect((error as ValidationError).issues).toEqual([
      expect.stringMatching(new RegExp(`^line ${line}, column \\d+: byte 0xE9 \\(byte offset \\d+\\) is not valid UTF-8`)),
    ]);
  });

  it('reads a UTF-8 file with a byte-order mark', async () => {
    // Prepare
    const path = join(directory, 'bom.json');
    await writeFile(path, `\uFEFF${JSON.stringify(validConfig())}`);

    // Act
    const config = await loadConfig(path);

    // Assess
    expect(config.fleet.controlPlaneRegion).toBe('us-west-2');
  });

  it('reports a file that cannot be read as a validation error naming the path', async () => {
    // Prepare
    const path = join(directory, 'missing.yaml');

    // Act
    const loading = loadConfig(path);

    // Assess
    await expect(loading).rejects.toThrow(ValidationError);
    await expect(loading).rejects.toThrow(`cannot read configuration file ${path}`);
  });

  it.each(['config/example.yaml', 'config/drill.yaml'])('loads the shipped %s', async (path) => {
    // Prepare
    const file = join(import.meta.dirname, '..', '..', path);

    // Act
    const config = await loadConfig(file);

    // Assess
    expect(config.fleet.controlPlaneRegion).toBe('us-west-2');
    expect(config.fleet.observerRegions).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    expect(Object.keys(config.groups[0]?.regions ?? {})).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
  });

  it('loads the drill configuration the local drill expects', async () => {
    // Prepare
    const file = join(import.meta.dirname, '..', '..', 'config', 'drill.yaml');

    // Act
    const config = await loadConfig(file);

    // Assess
    const group = config.groups[0];
    expect(config.groups).toHaveLength(1);
    expect(group?.id).toBe('orders');
    expect(group?.environment).toBe('staging');
    expect(group?.mode).toBe('automatic');
    expect(
      Object.entries(group?.regions ?? {}).map(([name, region]) => [name, region.failoverPriority, region.initialPrimary, region.database.kind]),
    ).toEqual([
      ['eu-west-1', 100, true, 'rds-instance'],
      ['us-east-1', 90, false, 'rds-instance'],
      ['ap-southeast-2', 80, false, 'rds-instance'],
    ]);
    expect(group?.policy).toMatchObject({
      probeIntervalSeconds: 5,
      failureThreshold: 3,
      recoveryThreshold: 3,
      observerQuorum: 2,
      maxReplicaLagSeconds: 30,
    });
    for (const region of Object.values(group?.regions ?? {})) {
      expect(region.healthEndpoints[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
    }
  });
});

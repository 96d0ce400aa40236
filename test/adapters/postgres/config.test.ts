import { describe, expect, it } from 'vitest';
import { endpointOf, conninfoHostPort, regionAt } from '../../../src/adapters/postgres/connection.js';
import { parseConfig } from '../../../src/config/load.js';
import type { PostgresDatabaseConfig } from '../../../src/config/schema.js';
import { ValidationError } from '../../../src/domain/errors.js';

/** A valid postgres group as plain data; each test changes one thing. */
function postgresConfig(database: (name: string, port: number) => Record<string, unknown>, fencing = 'read-only-parameter-group') {
  const region = (name: string, port: number, priority: number, primary = false) => ({
    ...(primary ? { initialPrimary: true } : {}),
    failoverPriority: priority,
    database: database(name, port),
    healthEndpoints: [{ url: `https://orders.${name}.example.com/health` }],
    dnsTarget: { type: 'CNAME', value: `orders.${name}.example.com` },
  });
  return {
    fleet: { observerRegions: ['eu-west-1', 'us-east-1'], controlPlaneRegion: 'us-west-2' },
    groups: [
      {
        id: 'orders',
        environment: 'staging',
        mode: 'automatic',
        regions: { 'eu-west-1': region('eu-west-1', 5432, 100, true), 'us-east-1': region('us-east-1', 5433, 90) },
        dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME' },
        notifications: { topicArn: 'arn:aws:sns:us-west-2:123456789012:orders' },
        policy: { fencing },
      },
    ],
  };
}

function issuesOf(config: unknown): readonly string[] {
  try {
    parseConfig(JSON.stringify(config), 'json');
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
}

describe('kind: postgres in the configuration', () => {
  it('accepts a url per region with the password from an environment variable, and applies the defaults', () => {
    // Prepare
    const text = JSON.stringify(
      postgresConfig((_name, port) => ({ kind: 'postgres', url: `postgres://fcp@10.0.1.5:${port}/app`, passwordFrom: { env: 'PGPASSWORD_ORDERS' } })),
    );

    // Act
    const config = parseConfig(text, 'json');

    // Assess
    expect(config.groups[0]!.regions['us-east-1']!.database).toEqual({
      kind: 'postgres',
      url: 'postgres://fcp@10.0.1.5:5433/app',
      passwordFrom: { env: 'PGPASSWORD_ORDERS' },
      connectTimeoutMs: 2_000,
      promoteWaitSeconds: 60,
    });
  });

  it('rejects a region that gives both url and host, or neither, naming the field', () => {
    // Prepare
    const config = postgresConfig((name, port) =>
      name === 'eu-west-1' ? { kind: 'postgres', url: 'postgres://fcp@10.0.1.5/app', host: '10.0.1.5' } : { kind: 'postgres', port },
    );

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.eu-west-1.database.url: give exactly one of url or host',
      'groups[0].regions.us-east-1.database.url: give exactly one of url or host',
    ]);
  });

  it('rejects a password written in the url and a password source other than an environment variable', () => {
    // Prepare
    const config = postgresConfig((name) =>
      name === 'eu-west-1'
        ? { kind: 'postgres', url: 'postgres://fcp:hunter2@10.0.1.5/app' }
        : { kind: 'postgres', host: '10.0.1.6', passwordFrom: { file: '/etc/password' } },
    );

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].regions.eu-west-1.database.url: must not contain a password: use passwordFrom',
      'groups[0].regions.us-east-1.database.passwordFrom.env: is required',
      'groups[0].regions.us-east-1.database.passwordFrom.file: unknown key (not part of the configuration schema)',
    ]);
  });

  it('refuses fencing stop-instance for postgres, which cannot be stopped over SQL', () => {
    // Prepare
    const config = postgresConfig((_name, port) => ({ kind: 'postgres', host: '10.0.1.5', port }), 'stop-instance');

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toContain(
      'groups[0].policy.fencing: stop-instance cannot be done over SQL (region eu-west-1 is postgres): use read-only-parameter-group (ALTER SYSTEM SET default_transaction_read_only) or none',
    );
  });
});

describe('postgres endpoints and replication sources', () => {
  const group = parseConfig(JSON.stringify(postgresConfig((_name, port) => ({ kind: 'postgres', host: 'localhost', port }))), 'json').groups[0]!;

  it('reads host, port, user and database from a url, with the defaults for what it leaves out', () => {
    // Act
    const full = endpointOf({ kind: 'postgres', url: 'postgres://fcp@db.internal:6432/app', connectTimeoutMs: 1, promoteWaitSeconds: 1 } as PostgresDatabaseConfig);
    const bare = endpointOf({ kind: 'postgres', url: 'postgresql://db.internal', connectTimeoutMs: 1, promoteWaitSeconds: 1 } as PostgresDatabaseConfig);

    // Assess
    expect(full).toEqual({ host: 'db.internal', port: 6432, user: 'fcp', database: 'app' });
    expect(bare).toEqual({ host: 'db.internal', port: 5432, database: 'postgres' });
  });

  it('maps a replica source address to its region, treating loopback names as one host', () => {
    // Act
    const regions = [regionAt(group, '127.0.0.1', 5433), regionAt(group, 'localhost', 5432), regionAt(group, '10.9.9.9', 5432)];

    // Assess
    expect(regions).toEqual(['us-east-1', 'eu-west-1', undefined]);
  });

  it('reads host and port from a primary_conninfo, quoted or not', () => {
    // Act
    const plain = conninfoHostPort('user=rep host=10.0.1.5 port=5433 application_name=b');
    const quoted = conninfoHostPort("host='db one' user=rep");
    const none = conninfoHostPort('user=rep');

    // Assess
    expect([plain, quoted, none]).toEqual([{ host: '10.0.1.5', port: 5433 }, { host: 'db one', port: 5432 }, undefined]);
  });
});

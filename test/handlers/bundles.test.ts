import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBuiltin } from 'node:module';
import { adaptersUsedBy, ALL_ADAPTERS, bundleHandler, EXCLUDED_FROM_BUNDLES, lambdaBuildOptions, SDK_STAND_IN_NAMES } from '../../scripts/package.mjs';

const HANDLERS = ['probe', 'orchestrate', 'operator'] as const;

const NO_OPTIONAL_ADAPTERS = { postgres: false, auroraGlobal: false, arcRoutingControl: false, connectionCheck: false } as const;

/** The project files that put bytes into a bundle. */
function projectFilesIn(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 && !input.includes('node_modules/') ? [input] : [])),
  );
}

/** What a bundle asks Node for when it runs: its imports, require() calls and dynamic imports that esbuild left out. */
function externalsOf(metafile: Metafile): string[] {
  return [...new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path)))].sort();
}

/** The packages that put bytes into a bundle. */
function packagesIn(metafile: Metafile): Set<string> {
  const kept = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
  );
  return new Set(kept.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []));
}

let directory: string;
const bundles = new Map<string, { path: string; packages: Set<string> }>();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bundles-test-'));
  for (const name of HANDLERS) {
    const { code, metafile } = await bundleHandler(name);
    const path = join(directory, `${name}.mjs`);
    await writeFile(path, code);
    bundles.set(name, { path, packages: packagesIn(metafile) });
  }
}, 60_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the Lambda bundles', () => {
  it('carry neither zod nor the YAML parser nor the default credential chain with its SSO and STS clients', () => {
    // Assess
    for (const name of HANDLERS) expect([...bundles.get(name)!.packages].filter((pkg) => EXCLUDED_FROM_BUNDLES.includes(pkg)), name).toEqual([]);
    expect(EXCLUDED_FROM_BUNDLES).toEqual(expect.arrayContaining(['zod', 'yaml', '@aws-sdk/credential-provider-node', '@aws-sdk/nested-clients', '@aws-sdk/client-sso']));
    expect(bundles.get('probe')!.packages.has('@aws-sdk/client-rds')).toBe(true);
  });

  it('start without AWS and answer a missing environment by naming each variable', () => {
    // Prepare
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundles.get('probe')!.path).href)});
try { await handler({}, { getRemainingTimeInMillis: () => 1000, awsRequestId: 'r' }); } catch (error) { console.log(JSON.stringify(error.issues)); }`;

    // Act
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });

    // Assess
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual([
      'FCP_CONFIG: is required (the packaged configuration file, config.json in each artifact)',
      'FCP_TABLE_NAME: is required (the name of the control-plane state table)',
      'FCP_OBSERVER_REGION: is required (the region this probe observes from)',
      'FCP_TABLE_REGION: is required when AWS_REGION is not set',
    ]);
  });
});

describe('an artifact whose configuration has no postgres database and no HAProxy switch', () => {
  it('leaves pg and the PostgreSQL adapters out, and still starts', async () => {
    // Prepare
    const withPostgres = bundles.get('orchestrate')!.packages;

    // Act
    const { code, metafile } = await bundleHandler('orchestrate', { adapters: { ...ALL_ADAPTERS, postgres: false } });
    const path = join(directory, 'orchestrate-without-postgres.mjs');
    await writeFile(path, code);
    const started = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(path).href)}); console.log(typeof m.handler);`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });

    // Assess
    expect(withPostgres.has('pg')).toBe(true);
    expect([...packagesIn(metafile)].filter((pkg) => pkg === 'pg' || pkg.startsWith('pg-'))).toEqual([]);
    expect(Object.keys(metafile.inputs).filter((input) => input.includes('src/adapters/postgres/')).sort()).toEqual([
      'src/adapters/postgres/changeIds.ts',
      'src/adapters/postgres/unavailable.ts',
    ]);
    expect(started.trim()).toBe('function');
  });

  it('is how config/example.yaml is packaged', async () => {
    // Act
    const example = await adaptersUsedBy('config/example.yaml');

    // Assess
    expect(example).toEqual(NO_OPTIONAL_ADAPTERS);
  });
});

describe('an artifact whose configuration has no Aurora global database and no ARC routing-control switch', () => {
  const built = new Map<string, { path: string; metafile: Metafile }>();

  beforeAll(async () => {
    for (const name of HANDLERS) {
      const { code, metafile } = await bundleHandler(name, { adapters: NO_OPTIONAL_ADAPTERS });
      const path = join(directory, `${name}-no-optional-adapters.mjs`);
      await writeFile(path, code);
      built.set(name, { path, metafile });
    }
  }, 60_000);

  it('leaves the Aurora adapter, the ARC adapter, its DNS check and its SDK client out, and every handler still starts', () => {
    // Act
    const started = HANDLERS.map((name) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(built.get(name)!.path).href)}); console.log(typeof m.handler);`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      }).trim(),
    );

    // Assess
    expect(started).toEqual(['function', 'function', 'function']);
    for (const name of HANDLERS) {
      const { metafile } = built.get(name)!;
      const files = projectFilesIn(metafile);
      expect(files.filter((file) => /src\/adapters\/aws\/(aurora|arc)\/|src\/adapters\/dns\/AuthoritativeAnswers|src\/composition\/arcTraffic\.ts/.test(file)).sort(), name).toEqual(
        name === 'probe' ? ['src/adapters/aws/aurora/unavailable.ts'] : ['src/adapters/aws/arc/changeIds.ts', 'src/adapters/aws/aurora/unavailable.ts'],
      );
      expect(packagesIn(metafile).has('@aws-sdk/client-route53-recovery-cluster'), name).toBe(false);
    }
    expect(projectFilesIn(built.get('orchestrate')!.metafile)).toContain('src/composition/arcTrafficUnavailable.ts');
    expect(packagesIn(built.get('orchestrate')!.metafile).has('@aws-sdk/client-route-53')).toBe(true);
    expect(bundles.get('orchestrate')!.packages.has('@aws-sdk/client-route53-recovery-cluster')).toBe(true);
  });

  it('is refused when an option or an adapter family is unknown, rather than built with every adapter', async () => {
    // Act
    const misspelt = lambdaBuildOptions({ adapters: { ...NO_OPTIONAL_ADAPTERS, aurora: false } as never });
    const former = bundleHandler('probe', { postgres: false } as never);

    // Assess
    await expect(misspelt).rejects.toThrow('lambdaBuildOptions: unknown adapters.aurora; the options are minify and adapters: { postgres, auroraGlobal, arcRoutingControl, connectionCheck }');
    await expect(former).rejects.toThrow('lambdaBuildOptions: unknown postgres;');
  });

  it('carry a stand-in for each piece of SDK code no Lambda runs, and none of that code', () => {
    // Assess
    expect(SDK_STAND_IN_NAMES).toEqual(['dynamodb-endpoint-discovery', 'imds-region', 'sha256-js', 'request-compression', 'web-streams', 's3-endpoint-customizations']);
    for (const name of HANDLERS) {
      const { metafile } = built.get(name)!;
      expect(SDK_STAND_IN_NAMES.filter((standIn) => !(`sdk-stand-in-${standIn}:${standIn}` in metafile.inputs)), name).toEqual([]);
      expect([...packagesIn(metafile)].filter((pkg) => /endpoint-discovery|endpoint-cache|mnemonist|obliterator|middleware-compression/.test(pkg)), name).toEqual([]);
    }
  });

  it('asks Node at run time for its built-in modules only', () => {
    // Assess
    for (const name of HANDLERS) {
      const externals = externalsOf(built.get(name)!.metafile);
      expect(externals.filter((path) => !isBuiltin(path)), name).toEqual([]);
      expect(externals, name).toEqual(expect.arrayContaining(['node:crypto', 'node:https']));
    }
  });
});

describe('a probe artifact and the database connection check', () => {
  const CHECK_PACKAGES = ['@aws-sdk/client-secrets-manager', '@aws-sdk/rds-signer', 'pg'];

  it('leaves the check, pg, Secrets Manager and the RDS signer out without a connectionCheck, and carries them with one', async () => {
    // Act
    const without = await bundleHandler('probe', { adapters: NO_OPTIONAL_ADAPTERS });
    const withCheck = await bundleHandler('probe', { adapters: { ...NO_OPTIONAL_ADAPTERS, connectionCheck: true } });
    const path = join(directory, 'probe-with-connection-check.mjs');
    await writeFile(path, withCheck.code);
    const started = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(path).href)}); console.log(typeof m.handler);`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });

    // Assess
    expect(CHECK_PACKAGES.filter((pkg) => packagesIn(without.metafile).has(pkg))).toEqual([]);
    expect(projectFilesIn(without.metafile).filter((file) => /connectionCheck|RdsConnectionProbe|adapters\/postgres\/connection\.ts/.test(file))).toEqual([
      'src/composition/connectionCheckUnavailable.ts',
    ]);
    expect(CHECK_PACKAGES.filter((pkg) => packagesIn(withCheck.metafile).has(pkg))).toEqual(CHECK_PACKAGES);
    expect(projectFilesIn(withCheck.metafile)).toEqual(expect.arrayContaining(['src/adapters/aws/rds/RdsConnectionProbe.ts', 'src/composition/connectionCheck.ts']));
    expect([...packagesIn(withCheck.metafile)].filter((pkg) => EXCLUDED_FROM_BUNDLES.includes(pkg))).toEqual([]);
    expect(started.trim()).toBe('function');
  });

  it('is decided by the packaged configuration', async () => {
    // Act
    const example = await adaptersUsedBy('config/example.yaml');

    // Assess
    expect(example.connectionCheck).toBe(false);
  });
});

describe('an SDK client in a bundle, its unnamed errors left unregistered', () => {
  let server: Server;
  let endpoint: string;
  let bundlePath: string;

  beforeAll(async () => {
    // An RDS query-protocol error answer: the code comes from the request's DBInstanceIdentifier.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const code = new URLSearchParams(body).get('DBInstanceIdentifier')!;
        response.writeHead(code === 'Throttling' ? 400 : 404, { 'content-type': 'text/xml' });
        response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>answer for ${code}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const errors = fileURLToPath(new URL('../../src/adapters/aws/errors.ts', import.meta.url));
    const options = await lambdaBuildOptions({ adapters: NO_OPTIONAL_ADAPTERS });
    const result = await build({
      ...options,
      stdin: {
        contents: `export { RDSClient, DescribeDBInstancesCommand, DBInstanceNotFoundFault } from '@aws-sdk/client-rds'; export { isNotFoundError } from ${JSON.stringify(errors)};`,
        resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
        loader: 'ts',
      },
      outfile: join(directory, 'rds-errors.mjs'),
    });
    bundlePath = join(directory, 'rds-errors.mjs');
    await writeFile(bundlePath, result.outputFiles[0]!.contents);
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the errors the project names, and answers any other with its wire code, fault and status', async () => {
    // Prepare
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
const client = new m.RDSClient({ region: 'eu-west-1', endpoint: ${JSON.stringify(endpoint)}, maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
const out = [];
for (const code of ['DBInstanceNotFound', 'StorageQuotaExceeded']) {
  try { await client.send(new m.DescribeDBInstancesCommand({ DBInstanceIdentifier: code })); }
  catch (error) { out.push({ name: error.name, typed: error instanceof m.DBInstanceNotFoundFault, notFound: m.isNotFoundError(error), fault: error.$fault, status: error.$metadata?.httpStatusCode, message: error.message }); }
}
console.log(JSON.stringify(out));`;

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH } });

    // Assess
    expect(JSON.parse(stdout.trim())).toEqual([
      { name: 'DBInstanceNotFoundFault', typed: true, notFound: true, fault: 'client', status: 404, message: 'answer for DBInstanceNotFound' },
      { name: 'StorageQuotaExceeded', typed: false, notFound: false, fault: 'client', status: 404, message: 'answer for StorageQuotaExceeded' },
    ]);
  });
});

describe('an SDK client in a bundle, the members of its answers that nothing reads left out', () => {
  let server: Server;
  let endpoint: string;
  let bundlePath: string;
  const requests: string[] = [];

  beforeAll(async () => {
    // A DescribeDBInstances answer in two pages: fields the project reads, and fields nothing in the bundle names.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push(body);
        const first = new URLSearchParams(body).get('Marker') === null;
        const instance = first ? 'app-eu' : 'app-us';
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(`<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult>
${first ? '<Marker>page-2</Marker>' : ''}<DBInstances><DBInstance>
<DBInstanceIdentifier>${instance}</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus><DBInstanceClass>db.r6g.large</DBInstanceClass>
<ReadReplicaSourceDBInstanceIdentifier>arn:aws:rds:us-east-1:123456789012:db:app-us</ReadReplicaSourceDBInstanceIdentifier>
<LicenseModel>postgresql-license</LicenseModel><PerformanceInsightsEnabled>true</PerformanceInsightsEnabled><MonitoringInterval>60</MonitoringInterval>
</DBInstance></DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const result = await build({
      ...(await lambdaBuildOptions({ adapters: NO_OPTIONAL_ADAPTERS })),
      stdin: {
        contents: `export { RDSClient, paginateDescribeDBInstances } from '@aws-sdk/client-rds';`,
        resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
        loader: 'ts',
      },
      outfile: join(directory, 'rds-answers.mjs'),
    });
    bundlePath = join(directory, 'rds-answers.mjs');
    await writeFile(bundlePath, result.outputFiles[0]!.contents);
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the members the project or the SDK reads, the pagination marker among them, and drops the others', async () => {
    // Prepare
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
const client = new m.RDSClient({ region: 'eu-west-1', endpoint: ${JSON.stringify(endpoint)}, maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
const instances = [];
for await (const page of m.paginateDescribeDBInstances({ client }, {})) instances.push(...page.DBInstances);
console.log(JSON.stringify(instances));`;

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH } });

    // Assess: both pages read (the marker kept), and of each instance only what src/ names.
    expect(requests).toHaveLength(2);
    expect(JSON.parse(stdout.trim())).toEqual(
      ['app-eu', 'app-us'].map((identifier) => ({
        DBInstanceIdentifier: identifier,
        DBInstanceStatus: 'available',
        DBInstanceClass: 'db.r6g.large',
        ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:app-us',
      })),
    );
  });
});

import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionCheckPasswordSources, IAM_TOKEN_TTL_MS, SECRET_TTL_MS, type IamTokenTarget } from '../../../../src/adapters/aws/rds/connectionCheckPasswords.js';
import { RdsConnectionProbe } from '../../../../src/adapters/aws/rds/RdsConnectionProbe.js';
import { loadProbeRuntime } from '../../../../handlers/probe.js';
import { runProbeRound } from '../../../../src/application/probeRound.js';
import { parseConfig } from '../../../../src/config/load.js';
import { packageConfig } from '../../../../src/config/packaged.js';
import type { GroupConfig } from '../../../../src/config/schema.js';
import type { ConnectionCheck } from '../../../../src/domain/group.js';
import { freePort, LocalPostgresCluster } from '../../../../src/drill/postgres/LocalPostgresCluster.js';
import { InMemoryDatabase } from '../../../doubles/InMemoryDatabase.js';
import { InMemoryFaultStore } from '../../../doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../../../doubles/InMemoryObservationStore.js';
import { ScriptedProber } from '../../../doubles/ScriptedProber.js';

// One real PostgreSQL server on 127.0.0.1 with TLS on, its certificate issued for db.test and 127.0.0.1 by a CA made
// here with openssl (plus a second CA that issued nothing). The check's logins may only connect over TLS, with a
// password (scram-sha-256): the superuser the tests use to set things up keeps trust, without TLS.
const REGION = 'eu-west-1';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders-probe-AbCdEf';
const fixture = 'test/handlers/fixtures/orders.yaml';

let certificates: string;
let cluster: LocalPostgresCluster;
let port: number;
let trustedCa: string;
let otherCa: string;
const secrets = mockClient(SecretsManagerClient);

beforeAll(async () => {
  certificates = await mkdtemp(join(tmpdir(), 'fcp-conncheck-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certificates, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=fcp test CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=fcp other CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=db.test');
  await writeFile(join(certificates, 'san.ext'), 'subjectAltName=DNS:db.test,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
  // PostgreSQL runs as nobody under root, and wants its key readable by its owner only.
  await chmod(certificates, 0o755);
  await chmod(join(certificates, 'server.key'), 0o600);
  if (process.getuid?.() === 0) {
    for (const file of ['server.key', 'server.crt']) await chown(join(certificates, file), 65_534, 65_534);
  }
  trustedCa = await readFile(join(certificates, 'ca.crt'), 'utf8');
  otherCa = await readFile(join(certificates, 'other.crt'), 'utf8');
  cluster = await LocalPostgresCluster.start({
    names: [REGION],
    fast: true,
    settings: { ssl: 'on', ssl_cert_file: `'${join(certificates, 'server.crt')}'`, ssl_key_file: `'${join(certificates, 'server.key')}'` },
  });
  const server = cluster.server(REGION);
  port = server.port;
  await sql("CREATE ROLE fcp_probe LOGIN PASSWORD 'first-password'");
  await sql("CREATE ROLE fcp_iam LOGIN PASSWORD 'token-1'");
  const hba = join(server.dataDir, 'pg_hba.conf');
  const rules = ['hostnossl all fcp_probe,fcp_iam 0.0.0.0/0 reject', 'hostssl all fcp_probe,fcp_iam 127.0.0.1/32 scram-sha-256'];
  await writeFile(hba, `${rules.join('\n')}\n${await readFile(hba, 'utf8')}`);
  await sql('SELECT pg_reload_conf()');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (certificates !== undefined) await rm(certificates, { recursive: true, force: true });
  secrets.restore();
});

afterEach(() => {
  secrets.reset();
});

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.server(REGION).url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function check(overrides: Partial<ConnectionCheck> = {}): ConnectionCheck {
  return {
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'fcp_probe',
    passwordFrom: { kind: 'environment', variable: 'ORDERS_PROBE_PASSWORD' },
    tls: 'verify-full',
    timeoutMs: 3_000,
    ...overrides,
  };
}

/** A one-region group whose database is an RDS instance with `connectionCheck`. */
function groupWith(connectionCheck: ConnectionCheck): GroupConfig {
  return {
    id: 'orders',
    regions: {
      [REGION]: {
        database: { kind: 'rds-instance', instanceId: 'orders-euw1', instanceArn: 'arn:aws:rds:eu-west-1:111122223333:db:orders-euw1', connectionCheck },
      },
    },
  } as unknown as GroupConfig;
}

function passwordSources(options: { env?: NodeJS.ProcessEnv; iamToken?: (target: IamTokenTarget) => Promise<string>; now?: () => number } = {}) {
  return new ConnectionCheckPasswordSources({
    secretsManager: (region) => new SecretsManagerClient({ region, credentials: { accessKeyId: 'a', secretAccessKey: 's' } }),
    iamToken: options.iamToken ?? (() => Promise.reject(new Error('no IAM token in this test'))),
    env: options.env ?? { ORDERS_PROBE_PASSWORD: 'first-password' },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

describe('RdsConnectionProbe over TLS', () => {
  it('passes verify-full when the server certificate comes from the trusted CA', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });
    const before = Date.now();

    // Act
    const result = await probe.check(groupWith(check()), REGION);

    // Assess
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number), checkedAt: expect.any(Number) });
    expect(result.checkedAt).toBeGreaterThanOrEqual(before);
    expect(result.checkedAt).toBeLessThanOrEqual(before + result.latencyMs + 50);
  });

  it('fails verify-full against another CA, saying the certificate was refused and where the trust store comes from', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: otherCa });

    // Act
    const result = await probe.check(groupWith(check()), REGION);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}: TLS verify-full refused the server certificate: .*\\(\\w+\\); .*NODE_EXTRA_CA_CERTS`));
  });

  it('fails verify-full when the certificate names another host', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(check({ host: 'localhost' })), REGION);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^localhost:\d+: TLS verify-full refused the server certificate: .*localhost.*\(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it('passes require without checking the certificate, still over TLS (the server refuses these logins without it)', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: otherCa });

    // Act
    const result = await probe.check(groupWith(check({ tls: 'require' })), REGION);

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('fails on a wrong password, naming the refusal and where the password came from', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources({ env: { ORDERS_PROBE_PASSWORD: 'wrong' } }), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(check()), REGION);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`127.0.0.1:${port}: password authentication failed for user "fcp_probe" (SQLSTATE 28P01; password from environment)`);
  });

  it('fails without a connection when the environment variable is not set, naming it', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources({ env: {} }), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(check()), REGION);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`127.0.0.1:${port}: environment variable ORDERS_PROBE_PASSWORD (passwordFrom.variable) is not set in the probe function`);
  });
});

describe('RdsConnectionProbe within its timeout', () => {
  let silent: Server;
  let silentPort: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts the connection and never answers: not the TLS request, not the login.
    silent = createServer((socket) => {
      sockets.add(socket);
      // Reads what the client sends (so its close is seen) and answers nothing.
      socket.resume();
      socket.on('close', () => sockets.delete(socket));
    });
    silentPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails a server that accepts and never answers within timeoutMs, and closes the connection', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });
    const started = performance.now();

    // Act
    const result = await probe.check(groupWith(check({ port: silentPort, timeoutMs: 300 })), REGION);
    const tookMs = performance.now() - started;

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`timeout after 300 ms connecting to 127.0.0.1:${silentPort}`);
    expect(result.latencyMs).toBeGreaterThanOrEqual(299);
    expect(tookMs).toBeLessThan(300 + 1_000);
    await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
  });

  it('counts a secret that never arrives inside the timeout', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).callsFake(() => new Promise(() => undefined));
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(check({ passwordFrom: { kind: 'secrets-manager', secretArn: SECRET_ARN }, timeoutMs: 200 })), REGION);

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'timeout after 200 ms reading the password (passwordFrom secrets-manager)' });
    expect(result.latencyMs).toBeLessThan(200 + 1_000);
  });
});

describe('RdsConnectionProbe with a password from Secrets Manager', () => {
  const fromSecret = () => check({ passwordFrom: { kind: 'secrets-manager', secretArn: SECRET_ARN } });

  afterAll(async () => {
    await sql("ALTER ROLE fcp_probe PASSWORD 'first-password'");
  });

  it('logs in with a plain-string secret, read from the secret region, and reuses it for later checks', async () => {
    // Prepare
    const regions: string[] = [];
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'first-password' });
    const passwords = new ConnectionCheckPasswordSources({
      secretsManager: (region) => {
        regions.push(region);
        return new SecretsManagerClient({ region, credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
      },
      iamToken: () => Promise.reject(new Error('unused')),
    });
    const probe = new RdsConnectionProbe({ passwords, ca: trustedCa });

    // Act
    const results = [await probe.check(groupWith(fromSecret()), REGION), await probe.check(groupWith(fromSecret()), REGION)];

    // Assess
    expect(results.map((result) => result.ok)).toEqual([true, true]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(regions).toEqual(['eu-west-1']);
  });

  it('logs in with the "password" of a JSON secret, as RDS-managed secrets hold it', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'fcp_probe', password: 'first-password' }) });
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(fromSecret()), REGION);

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('fails on a JSON secret without a password, naming the secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'fcp_probe' }) });
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(fromSecret()), REGION);

    // Assess
    expect(result).toMatchObject({ ok: false, error: `127.0.0.1:${port}: secret ${SECRET_ARN} (passwordFrom.secretArn) is JSON without a string "password" key` });
  });

  it('fails when the secret cannot be read, with the service answer', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(fromSecret()), REGION);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`127.0.0.1:${port}: cannot read secret ${SECRET_ARN} (passwordFrom.secretArn): User is not authorized to perform: secretsmanager:GetSecretValue`);
  });

  it('reads the secret again after its cache time, and after a refused login tries the fresh value at once', async () => {
    // Prepare
    let now = 1_000_000;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'first-password' });
    const probe = new RdsConnectionProbe({ passwords: passwordSources({ now: () => now }), ca: trustedCa });
    await probe.check(groupWith(fromSecret()), REGION);
    now += SECRET_TTL_MS + 1;
    await probe.check(groupWith(fromSecret()), REGION);
    const afterExpiry = secrets.commandCalls(GetSecretValueCommand).length;
    await sql("ALTER ROLE fcp_probe PASSWORD 'rotated-password'");
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'rotated-password' });

    // Act
    const rotated = await probe.check(groupWith(fromSecret()), REGION);
    const next = await probe.check(groupWith(fromSecret()), REGION);

    // Assess
    expect(afterExpiry).toBe(2);
    expect(rotated).toMatchObject({ ok: true });
    expect(next).toMatchObject({ ok: true });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('fails when the fresh secret is refused too, and reads it again on the next check', async () => {
    // Prepare
    await sql("ALTER ROLE fcp_probe PASSWORD 'rotated-password'");
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'stale-password' });
    const probe = new RdsConnectionProbe({ passwords: passwordSources(), ca: trustedCa });

    // Act
    const first = await probe.check(groupWith(fromSecret()), REGION);
    const second = await probe.check(groupWith(fromSecret()), REGION);

    // Assess
    expect(first.error).toBe(`127.0.0.1:${port}: password authentication failed for user "fcp_probe" (SQLSTATE 28P01; password from secrets-manager)`);
    expect(second.ok).toBe(false);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('RdsConnectionProbe with an RDS IAM token', () => {
  const fromIam = () => check({ user: 'fcp_iam', passwordFrom: { kind: 'rds-iam' } });

  it('logs in with a token made for the endpoint, the user and the database region, reused under its 15-minute life', async () => {
    // Prepare
    let now = 5_000_000;
    const targets: IamTokenTarget[] = [];
    const iamToken = async (target: IamTokenTarget) => {
      targets.push(target);
      return `token-${targets.length}`;
    };
    const probe = new RdsConnectionProbe({ passwords: passwordSources({ iamToken, now: () => now }), ca: trustedCa });

    // Act
    const first = await probe.check(groupWith(fromIam()), REGION);
    now += IAM_TOKEN_TTL_MS - 1;
    const reused = await probe.check(groupWith(fromIam()), REGION);
    now += 2;
    const renewed = await probe.check(groupWith(fromIam()), REGION);

    // Assess
    expect(IAM_TOKEN_TTL_MS).toBeLessThan(15 * 60_000);
    expect(targets).toEqual([
      { hostname: '127.0.0.1', port, username: 'fcp_iam', region: REGION },
      { hostname: '127.0.0.1', port, username: 'fcp_iam', region: REGION },
    ]);
    expect([first.ok, reused.ok]).toEqual([true, true]);
    // token-2 is not fcp_iam's password here: the renewed token was used, not the cached one.
    expect(renewed.error).toMatch(/password authentication failed for user "fcp_iam" \(SQLSTATE 28P01; password from rds-iam\)$/);
  });

  it('makes a real token: a presigned rds-db connect request for the user, valid 15 minutes', async () => {
    // Prepare
    const sign = (target: IamTokenTarget) =>
      new Signer({ ...target, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }).getAuthToken();
    let token = '';
    const passwords = passwordSources({
      iamToken: async (target) => {
        token = await sign(target);
        return token;
      },
    });

    // Act
    const answer = await passwords.passwordFor(check({ host: 'orders.abc.eu-west-1.rds.amazonaws.com', user: 'fcp_iam', passwordFrom: { kind: 'rds-iam' } }), REGION, new AbortController().signal);

    // Assess
    expect(answer).toEqual({ password: token, cached: false });
    const url = new URL(`https://${token}`);
    expect(url.host).toBe(`orders.abc.eu-west-1.rds.amazonaws.com:${port}`);
    expect(url.searchParams.get('Action')).toBe('connect');
    expect(url.searchParams.get('DBUser')).toBe('fcp_iam');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('fails with the reason when no token can be made', async () => {
    // Prepare
    const probe = new RdsConnectionProbe({ passwords: passwordSources({ iamToken: () => Promise.reject(new Error('Could not load credentials')) }), ca: trustedCa });

    // Act
    const result = await probe.check(groupWith(fromIam()), REGION);

    // Assess
    expect(result.error).toBe(`127.0.0.1:${port}: cannot make an RDS IAM token for fcp_iam@127.0.0.1:${port} in eu-west-1 (passwordFrom rds-iam): Could not load credentials`);
  });
});

describe('the probe Lambda as deployed, from a packaged configuration with a connection check', () => {
  const variable = 'FCP_TEST_ORDERS_PROBE_PASSWORD';

  afterAll(() => {
    delete process.env[variable];
  });

  it('runs the check in its probe round', async () => {
    // Prepare
    process.env[variable] = 'first-password';
    const raw = parse(await readFile(fixture, 'utf8')) as { groups: { regions: Record<string, { database: Record<string, unknown> }> }[] };
    raw.groups[0]!.regions[REGION]!.database.connectionCheck = {
      host: '127.0.0.1',
      port,
      database: 'postgres',
      user: 'fcp_probe',
      passwordFrom: { kind: 'environment', variable },
      // verify-full would need the test CA in Node's store, which only NODE_EXTRA_CA_CERTS at process start can add.
      tls: 'require',
      timeoutMs: 3_000,
    };
    const directory = await mkdtemp(join(tmpdir(), 'fcp-conncheck-composition-'));
    const packaged = join(directory, 'config.json');
    await writeFile(packaged, packageConfig(parseConfig(JSON.stringify(raw), 'json'), fixture));
    const { deps, observerRegion } = await loadProbeRuntime({
      FCP_CONFIG: packaged,
      FCP_TABLE_NAME: 'state',
      FCP_TABLE_REGION: 'us-west-2',
      AWS_REGION: 'eu-west-1',
      FCP_OBSERVER_REGION: 'eu-west-1',
    });
    const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
    const observations = new InMemoryObservationStore();
    const round = {
      ...deps,
      prober: new ScriptedProber(),
      database: new InMemoryDatabase(clock, { 'eu-west-1': { role: 'primary' }, 'us-east-1': { role: 'replica', replicaLagSeconds: 1 } }),
      observations,
      faults: new InMemoryFaultStore(),
    };

    // Act
    const passing = await runProbeRound(round, { observerRegion });
    const passed = (await observations.get('orders', REGION, observerRegion))?.last.connectionCheck;
    process.env[variable] = 'wrong';
    const failing = await runProbeRound(round, { observerRegion });

    // Assess
    expect(passing.regions.map((region) => [region.region, region.ok])).toEqual([
      ['eu-west-1', true],
      ['us-east-1', true],
    ]);
    expect(passed).toMatchObject({ ok: true });
    expect((await observations.get('orders', 'us-east-1', observerRegion))?.last.connectionCheck).toBeUndefined();
    expect(failing.regions.find((region) => region.region === REGION)).toMatchObject({
      ok: false,
      failureReasons: [expect.stringMatching(/^database connection check failed: .*password authentication failed for user "fcp_probe"/)],
    });
    await rm(directory, { recursive: true, force: true });
  });
});

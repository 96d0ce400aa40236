import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpOperatorClient,
  OperatorApiUnreachableError,
  regionOfEndpoint,
  sigV4Signer,
} from '../../../src/adapters/operator-client/OperatorClient.js';
import { resolveConnection, UsageError } from '../../../src/cli/connection.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
let server: Server;
let endpoint: string;
let received: Received[] = [];
let answer: { status: number; text: string } = { status: 200, text: '{"ok":true}' };
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received = [];
  answer = { status: 200, text: '{"ok":true}' };
  process.env = { ...savedEnv };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('HttpOperatorClient', () => {
  it('sends JSON with the idempotency key and answers the status and parsed body', async () => {
    // Prepare
    const client = new HttpOperatorClient({ endpoint });

    // Act
    const reply = await client.send({ method: 'POST', path: '/groups/orders/commands/pause', body: { reason: 'x' }, idempotencyKey: 'key-00000001' });

    // Assess
    expect(reply).toEqual({ status: 200, body: { ok: true } });
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/groups/orders/commands/pause',
      body: '{"reason":"x"}',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'key-00000001' },
    });
  });

  it('signs with SigV4 for the execute-api service (API Gateway IAM authorization) so that the same request re-signed gives the same signature', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const client = new HttpOperatorClient({ endpoint, signer: sigV4Signer({ region: 'us-west-2' }) });

    // Act
    await client.send({ method: 'GET', path: '/groups/orders/plan', query: { command: 'failover', targetRegion: 'us-east-1' } });

    // Assess
    const request = received[0]!;
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    const amzDate = String(request.headers['x-amz-date']);
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const verifier = new SignatureV4({ service: 'execute-api', region: 'us-west-2', sha256: Sha256, credentials: CREDENTIALS });
    const url = new URL(request.url, endpoint);
    const expected = await verifier.sign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: String(request.headers.host), accept: 'application/json' },
      },
      { signingDate },
    );
    expect(authorization).toBe(expected.headers.authorization);
  });

  it('reports an unreachable API and a non-JSON answer as OperatorApiUnreachableError', async () => {
    // Prepare
    const closed = new HttpOperatorClient({ endpoint: 'http://127.0.0.1:1', timeoutMs: 2_000 });
    const client = new HttpOperatorClient({ endpoint });
    answer = { status: 502, text: '<html>Bad Gateway</html>' };

    // Act
    const unreachable = closed.send({ method: 'GET', path: '/history' });
    const garbled = client.send({ method: 'GET', path: '/history' });

    // Assess
    await expect(unreachable).rejects.toThrow(OperatorApiUnreachableError);
    await expect(garbled).rejects.toThrow(/answered 502 with something that is not JSON: <html>Bad Gateway/);
  });

  it('reads the region of an API Gateway endpoint, and none of another host', () => {
    // Prepare
    const url = 'https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/';

    // Act
    const region = regionOfEndpoint(url);

    // Assess
    expect(region).toBe('eu-central-1');
    expect(regionOfEndpoint('http://127.0.0.1:8080')).toBeUndefined();
    expect(regionOfEndpoint('https://abcdefghij.lambda-url.eu-central-1.on.aws/')).toBeUndefined();
  });
});

describe('resolveConnection', () => {
  it('reads the local server from .fcp/local.json and does not sign', async () => {
    // Prepare
    const cwd = await mkdtemp(join(tmpdir(), 'fcp-local-'));
    await mkdir(join(cwd, '.fcp'));
    await writeFile(join(cwd, '.fcp', 'local.json'), '{"url":"http://127.0.0.1:4567"}');

    // Act
    const connection = await resolveConnection({ local: true }, {}, cwd);

    // Assess
    expect(connection).toEqual({ kind: 'local', endpoint: 'http://127.0.0.1:4567' });
  });

  it('signs for the region of the operator API in FCP_ENDPOINT, with --region and --profile winning', async () => {
    // Prepare
    const env = { FCP_ENDPOINT: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com', AWS_PROFILE: 'default-profile' };

    // Act
    const fromUrl = await resolveConnection({}, env, '/');
    const explicit = await resolveConnection({ region: 'eu-west-1', profile: 'oncall' }, env, '/');

    // Assess
    expect(fromUrl).toEqual({ kind: 'signed', endpoint: env.FCP_ENDPOINT, region: 'us-west-2', profile: 'default-profile' });
    expect(explicit).toMatchObject({ region: 'eu-west-1', profile: 'oncall' });
  });

  it('explains what is missing as a UsageError', async () => {
    // Prepare
    const cwd = await mkdtemp(join(tmpdir(), 'fcp-none-'));

    // Act
    const results = await Promise.allSettled([
      resolveConnection({ local: true }, {}, cwd),
      resolveConnection({}, {}, cwd),
      resolveConnection({ endpoint: 'https://api.example.com' }, {}, cwd),
    ]);

    // Assess
    const reasons = results.map((result) => (result.status === 'rejected' ? (result.reason as Error) : undefined));
    expect(reasons.every((reason) => reason instanceof UsageError)).toBe(true);
    expect(reasons.map((reason) => reason?.message.split(':')[0])).toEqual(['--local', 'no operator API endpoint', '--region']);
  });
});

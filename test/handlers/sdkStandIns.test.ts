import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '../../scripts/package.mjs';

const NO_OPTIONAL_ADAPTERS = { postgres: false, auroraGlobal: false, arcRoutingControl: false, connectionCheck: false } as const;
const repository = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Reaches each SDK stand-in of scripts/package.mjs the way the SDK would, inside a bundle built with the Lambda
 * options, and prints what each attempt answered.
 */
const REACH_EACH_STAND_IN = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Sha256Js } from '@smithy/core/checksum';
import { resolveParams } from '@smithy/core/endpoints';
import { sdkStreamMixin, streamCollector } from '@smithy/core/serde';

const credentials = { accessKeyId: 'a', secretAccessKey: 's' };
const answer = async (attempt) => {
  try {
    return { value: await attempt() };
  } catch (error) {
    return { error: error.message };
  }
};
export async function reach() {
  const withDiscoveryOff = new DynamoDBClient({ region: 'eu-west-1', credentials });
  return {
    discoveryOff: await answer(() => withDiscoveryOff.config.endpointDiscoveryEnabled()),
    discoveryByOption: await answer(() => new DynamoDBClient({ region: 'eu-west-1', credentials, endpointDiscoveryEnabled: true })),
    discoveryByEnvironment: await answer(() => {
      process.env.AWS_ENABLE_ENDPOINT_DISCOVERY = 'true';
      try {
        return new DynamoDBClient({ region: 'eu-west-1', credentials });
      } finally {
        delete process.env.AWS_ENABLE_ENDPOINT_DISCOVERY;
      }
    }),
    instanceMetadataRegion: await answer(() => new DynamoDBClient({ credentials }).config.region()),
    sha256Js: await answer(() => new Sha256Js()),
    compression: await answer(() =>
      new CloudWatchClient({ region: 'eu-west-1', credentials, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }).send(
        new PutMetricDataCommand({ Namespace: 'fcp', MetricData: [{ MetricName: 'm', Value: 1 }] }),
      ),
    ),
    blobCollected: await answer(() => streamCollector(new Blob(['body']))),
    blobMixedIn: await answer(() => sdkStreamMixin(new Blob(['body']))),
    s3Endpoint: await answer(() => resolveParams({ Bucket: 'b' }, undefined, { serviceId: 'S3' })),
  };
}
`;

let directory: string;
let reached: Record<string, { value?: unknown; error?: string }>;

beforeAll(async () => {
  // Prepare
  directory = await mkdtemp(join(tmpdir(), 'sdk-stand-ins-'));
  const result = await build({
    ...(await lambdaBuildOptions({ adapters: NO_OPTIONAL_ADAPTERS })),
    stdin: { contents: REACH_EACH_STAND_IN, resolveDir: repository, loader: 'js' },
    outfile: join(directory, 'reach.mjs'),
  });
  await writeFile(join(directory, 'reach.mjs'), result.outputFiles[0]!.contents);

  // Act: a plain node outside the repository, no region, no AWS settings, a home without ~/.aws.
  const script = `const { reach } = await import(${JSON.stringify(pathToFileURL(join(directory, 'reach.mjs')).href)}); console.log(JSON.stringify(await reach()));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: directory, env: { PATH: process.env.PATH, HOME: directory } });
  reached = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof reached;
}, 60_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the SDK code a Lambda bundle leaves out', () => {
  it('keeps a DynamoDB client working with endpoint discovery off, and refuses a client that turns it on', () => {
    // Assess
    expect(reached.discoveryOff).toEqual({ value: false });
    expect(reached.discoveryByOption!.error).toBe(
      'this Lambda bundle has no DynamoDB endpoint discovery, and the client option endpointDiscoveryEnabled turns it on: the project never uses it, so the bundle leaves it out (scripts/package.mjs)',
    );
    expect(reached.discoveryByEnvironment!.error).toMatch(/^this Lambda bundle has no DynamoDB endpoint discovery, and AWS_ENABLE_ENDPOINT_DISCOVERY turns it on/);
  });

  it('refuses to look a region up in EC2 instance metadata, saying to give the client a region', () => {
    // Assess
    expect(reached.instanceMetadataRegion!.error).toBe(
      'this Lambda bundle has no EC2 instance-metadata region lookup: give the SDK client a region (src/adapters/aws/clientConfig.ts); a Lambda has no instance metadata (scripts/package.mjs)',
    );
  });

  it('refuses the pure-JS SHA-256 that stands in where node:crypto has none', () => {
    // Assess
    expect(reached.sha256Js!.error).toBe(
      'this Lambda bundle has no pure-JS SHA-256: it hashes with node:crypto, and this Node has no SHA-256 in node:crypto (scripts/package.mjs)',
    );
  });

  it('refuses CloudWatch PutMetricData, the one operation that compresses requests, before sending anything', () => {
    // Assess
    expect(reached.compression!.error).toBe(
      'this Lambda bundle has no SDK request compression: only CloudWatch PutMetricData uses it, and the project never calls it (scripts/package.mjs)',
    );
  });

  it('refuses a web-stream body; the SDK answers a web stream to mix in with its own refusal', () => {
    // Assess: sdk-stream-mixin.js catches the stand-in's error and throws its own, naming the stream it got.
    expect(reached.blobCollected!.error).toBe(
      'this Lambda bundle has no web-stream (Blob, ReadableStream) support: its HTTP handler (node:https) gives Node streams (scripts/package.mjs)',
    );
    expect(reached.blobMixedIn!.error).toBe('Unexpected stream implementation, expect Stream.Readable instance, got Blob');
  });

  it("refuses S3's endpoint parameter rules", () => {
    // Assess
    expect(reached.s3Endpoint!.error).toBe('this Lambda bundle has no S3 endpoint customizations: it holds no S3 client (scripts/package.mjs)');
  });
});

describe('a Lambda build whose left-out SDK code is reached another way', () => {
  it('fails, naming the stand-in and the file, rather than keeping the code', async () => {
    // Prepare: the pure-JS SHA-256 imported by its file path, which the stand-in's import does not intercept.
    const sha256Js = join(dirname(createRequire(import.meta.url).resolve('@smithy/core/checksum')), '../../../dist-es/submodules/checksum/sha256/Sha256Js.js');

    // Act
    const built = build({
      ...(await lambdaBuildOptions({ adapters: NO_OPTIONAL_ADAPTERS })),
      stdin: { contents: `export { Sha256Js } from ${JSON.stringify(sha256Js)};`, resolveDir: repository, loader: 'js' },
      outfile: join(directory, 'reached-another-way.mjs'),
    });

    // Assess
    await expect(built).rejects.toThrow(/SDK code meant to be left out is in the bundle; the SDK's layout changed[^\n]*\n {2}sha256-js: \S*Sha256Js\.js is in the bundle/);
  });
});

describe('a Lambda build over an SDK client whose schemas have another layout', () => {
  it('fails, naming the schema it cannot read, rather than keeping or dropping members blindly', async () => {
    // Prepare: a client package beside the real SDK packages, one of its output structures written on one line.
    const nodeModules = join(directory, 'layout', 'node_modules');
    const real = dirname(dirname(dirname(dirname(createRequire(import.meta.url).resolve('@aws-sdk/core')))));
    await mkdir(join(nodeModules, '@aws-sdk', 'client-changed', 'dist-es', 'schemas'), { recursive: true });
    await mkdir(join(nodeModules, '@smithy'), { recursive: true });
    for (const name of ['@aws-sdk/core', '@aws-sdk/lib-dynamodb', '@aws-sdk/dynamodb-codec', '@aws-sdk/util-dynamodb', '@aws-sdk/middleware-sdk-rds', '@aws-sdk/middleware-sdk-route53', '@smithy/core']) {
      await symlink(join(real, name), join(nodeModules, name));
    }
    const schemas = `const _ht = "http";
const _Q = "Query";
const _QI = "QueryInput";
const _QO = "QueryOutput";
const _C = "Count";
const _CF = "ChangedFault";
export var ChangedFault$ = [-3, n0, _CF, { [_ht]: 400 }, [], []];
export var QueryInput$ = [3, n0, _QI,
    0,
    [_C],
    [1]
];
export var QueryOutput$ = [3, n0, _QO, 0, [_C], [1]];
export var Query$ = [9, n0, _Q,
    { [_ht]: ["POST", "/", 200] }, () => QueryInput$, () => QueryOutput$
];
n0_registry.registerError(ChangedFault$, ChangedFault);
`;
    await writeFile(join(nodeModules, '@aws-sdk', 'client-changed', 'dist-es', 'schemas', 'schemas_0.js'), schemas);

    // Act
    const built = build({
      ...(await lambdaBuildOptions({ adapters: NO_OPTIONAL_ADAPTERS })),
      stdin: { contents: `export * from './node_modules/@aws-sdk/client-changed/dist-es/schemas/schemas_0.js';`, resolveDir: join(directory, 'layout'), loader: 'js' },
      outfile: join(directory, 'layout', 'out.mjs'),
    });

    // Assess
    await expect(built).rejects.toThrow(/client-changed[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js: structure schema QueryOutput\$ has an unexpected form; the SDK's schema layout changed \(scripts\/package\.mjs\)/);
  });
});

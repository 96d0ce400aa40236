import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adaptersUsedBy, bundleHandler, packagedConfig } from '../../scripts/package.mjs';
import { createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/drill/dynamodbLocal.js';
import { localClient } from '../support/dynamodbLocal.js';

let client: DynamoDBClient;
let directory: string;
const tableName = `bundles-${process.pid}`;

beforeAll(async () => {
  client = localClient(inject('dynamodbEndpoint'));
  directory = await mkdtemp(join(tmpdir(), 'bundle-smoke-'));
  // The artifact as `osls package` builds it for config/example.yaml: the bundle and config.json side by side.
  const adapters = await adaptersUsedBy('config/example.yaml');
  const [operator, orchestrate, config] = await Promise.all([
    bundleHandler('operator', { adapters }),
    bundleHandler('orchestrate', { adapters }),
    packagedConfig('config/example.yaml'),
    createTable(client, tableName),
  ]);
  await writeFile(join(directory, 'operator.mjs'), operator.code);
  await writeFile(join(directory, 'orchestrate.mjs'), orchestrate.code);
  await writeFile(join(directory, 'config.json'), config);
}, 60_000);

afterAll(async () => {
  client.destroy();
  await rm(directory, { recursive: true, force: true });
});

/** The environment serverless.yml gives a function, with the role's keys where Lambda puts them. */
function lambdaEnvironment() {
  return {
    PATH: process.env.PATH,
    FCP_CONFIG: join(directory, 'config.json'),
    FCP_TABLE_NAME: tableName,
    FCP_TABLE_REGION: LOCAL_REGION,
    FCP_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/** Imports the bundle in a fresh `node` in the artifact's directory (no node_modules anywhere up) and invokes its handler once. */
async function invoke(bundle: string, event: unknown, remainingMs: number): Promise<unknown> {
  const context = { awsRequestId: 'smoke-1', functionName: bundle, memoryLimitInMB: '512', invokedFunctionArn: 'arn', functionVersion: '$LATEST' };
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(directory, `${bundle}.mjs`)).href)});
const started = Date.now();
const result = await handler(${JSON.stringify(event)}, { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => ${remainingMs} - (Date.now() - started) });
process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: directory, env: lambdaEnvironment() });
  return JSON.parse(stdout.split('\n').find((line) => line.startsWith('RESULT '))!.slice('RESULT '.length));
}

describe('the Lambda artifacts, run by a plain node outside the repository against DynamoDB Local', () => {
  it('orchestrate runs a pass over the packaged configuration and reports the group idle', async () => {
    // Act: time for one pass (the safety margin is 3 s, a pass needs 2 s).
    const result = (await invoke('orchestrate', {}, 5_500)) as { passes: number; outcomes: unknown[] };

    // Assess: nothing observed yet, so the group is monitored and nothing is done.
    expect(result).toEqual({ passes: 1, outcomes: [{ groupId: 'payments', result: 'idle', state: 'monitoring', actions: [], notificationFailures: 0 }] });
  }, 60_000);

  it('the operator API answers GET /groups from the state table with the packaged configuration', async () => {
    // Prepare
    const event = {
      rawPath: '/groups',
      headers: {},
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET' }, authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/operator' } } },
    };

    // Act
    const result = (await invoke('operator', event, 25_000)) as { statusCode: number; body: string };

    // Assess
    expect(result.statusCode, result.body).toBe(200);
    const { groups } = JSON.parse(result.body) as { groups: { groupId: string; state: string; primaryRegion: string; regions: { region: string }[] }[] };
    expect(groups.map((group) => [group.groupId, group.state, group.primaryRegion, group.regions.map((region) => region.region)])).toEqual([
      ['payments', 'monitoring', 'eu-west-1', ['eu-west-1', 'us-east-1', 'ap-southeast-2']],
    ]);
  }, 60_000);
});

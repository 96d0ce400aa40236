import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandler, EXCLUDED_FROM_BUNDLES } from '../../scripts/package.mjs';

const HANDLERS = ['probe', 'orchestrate', 'operator'] as const;

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

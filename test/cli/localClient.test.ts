import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { OperatorApiUnreachableError } from '../../src/adapters/operator-client/OperatorClient.js';
import type { GroupStatus } from '../../src/application/status.js';
import { LocalOperatorClient } from '../../src/cli/localClient.js';
import { serveOperatorApiLocally, type LocalOperatorServer } from '../../src/cli/localServer.js';
import { inMemoryWorld } from '../application/harness.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function localServer(): Promise<{ server: LocalOperatorServer; cwd: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'fcp-local-client-'));
  const server = await serveOperatorApiLocally(inMemoryWorld().deps, { port: 0, principalArn: 'arn:aws:iam::000000000000:user/drill', cwd });
  cleanups.push(async () => {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });
  return { server, cwd };
}

describe('LocalOperatorClient', () => {
  it('reads and commands the local drill server over HTTP, a command once per idempotency key', async () => {
    // Prepare
    const { server } = await localServer();
    const client = new LocalOperatorClient(server.url);
    const pause = { method: 'POST', path: '/groups/orders/commands/pause', body: { type: 'pause', reason: 'drill' }, idempotencyKey: 'local-client-1' } as const;

    // Act
    const status = await client.send({ method: 'GET', path: '/groups/orders' });
    const first = await client.send(pause);
    const again = await client.send(pause);

    // Assess
    expect(status.status).toBe(200);
    expect((status.body as GroupStatus).groupId).toBe('orders');
    expect([first.status, again.status]).toEqual([200, 200]);
    expect([(first.body as { replayed: boolean }).replayed, (again.body as { replayed: boolean }).replayed]).toEqual([false, true]);
  });

  it('says it cannot reach a server that is not there, as the signed client does', async () => {
    // Prepare: a port that was just free
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));

    // Act
    const sent = new LocalOperatorClient(url).send({ method: 'GET', path: '/groups' });

    // Assess
    await expect(sent).rejects.toBeInstanceOf(OperatorApiUnreachableError);
    await expect(sent).rejects.toThrow(`cannot reach the operator API at ${url}`);
  });
});

describe('bin/fcp.js', () => {
  it('runs the prebuilt CLI, building dist/cli/ first when it is missing or stale', { timeout: 60_000 }, async () => {
    // Prepare
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { cwd } = await localServer();

    // Act
    const versionRun = await run(process.execPath, [join(root, 'bin', 'fcp.js'), '--version'], { cwd });
    const statusRun = await run(process.execPath, [join(root, 'bin', 'fcp.js'), '--local', 'status', 'orders', '--json'], { cwd });
    const manifest = JSON.parse(await readFile(join(root, 'dist', 'cli', 'inputs.json'), 'utf8')) as { inputs: string[] };

    // Assess
    expect(versionRun.stdout.trim()).toBe(version);
    expect((JSON.parse(statusRun.stdout) as GroupStatus).groupId).toBe('orders');
    expect(manifest.inputs).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/cli/program.ts', 'package-lock.json']));
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimFault } from '../../src/adapters/sim/SimWorld.js';
import { runCli, type CliIo } from '../../src/cli/program.js';
import { ValidationError } from '../../src/domain/errors.js';
import { parseFault, serveFaults, type FaultControl, type FaultServer } from '../../src/drill/interactiveFaults.js';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

describe('parseFault', () => {
  it('reads a fault and its arguments as the world takes them', () => {
    // Act
    const faults = [
      parseFault('region-outage', ['us-east-1'], REGIONS),
      parseFault('http', ['eu-west-1', '503'], REGIONS),
      parseFault('partition', ['us-east-1', 'eu-west-1'], REGIONS),
      parseFault('dns-throttle', ['2'], REGIONS),
      parseFault('database-crash', ['eu-west-1'], REGIONS),
    ];

    // Assess
    expect(faults).toEqual([
      { kind: 'region-outage', region: 'us-east-1' },
      { kind: 'http', region: 'eu-west-1', behaviour: { kind: 'status', status: 503 } },
      { kind: 'partition', observer: 'us-east-1', region: 'eu-west-1' },
      { kind: 'dns-throttle', calls: 2 },
      { kind: 'database-crash', region: 'eu-west-1', status: 'failed' },
    ]);
  });

  it('refuses an unknown fault, a region the drill does not have and a count out of bounds, naming the argument', () => {
    // Act
    const attempts = [
      () => parseFault('meteor', [], REGIONS),
      () => parseFault('region-outage', ['mars-1'], REGIONS),
      () => parseFault('dns-throttle', ['500'], REGIONS),
      () => parseFault('region-outage', [], REGIONS),
    ];

    // Assess
    const messages = attempts.map((attempt) => {
      try {
        attempt();
        return 'accepted';
      } catch (error) {
        return error instanceof ValidationError ? error.issues.join('; ') : String(error);
      }
    });
    expect(messages).toEqual([
      expect.stringMatching(/^fault: one of region-outage, /),
      'region: one of eu-west-1, us-east-1, ap-southeast-2',
      'calls: 500',
      'arguments: got 0',
    ]);
  });
});

describe('fcp --local inject and clear against the drill fault server', () => {
  let server: FaultServer | undefined;
  let directory = '';
  afterEach(async () => {
    await server?.close();
    if (directory !== '') await rm(directory, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ injected: SimFault[]; io: CliIo; out: string[]; err: string[] }> {
    const injected: SimFault[] = [];
    const control: FaultControl = {
      regions: REGIONS,
      inject: async (fault) => {
        injected.push(fault);
        return { id: `fault-${injected.length}`, description: `${fault.kind}` };
      },
      clear: async (id) => (id === undefined ? injected.map((_, index) => `fault-${index + 1}`) : id === 'fault-1' ? [id] : []),
      active: () => [],
    };
    server = await serveFaults(control, 0);
    directory = await mkdtemp(join(tmpdir(), 'fcp-faults-'));
    await mkdir(join(directory, '.fcp'));
    await writeFile(join(directory, '.fcp', 'local.json'), JSON.stringify({ url: 'http://127.0.0.1:1', faultsUrl: server.url }));
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => err.push(text),
      interactive: false,
      confirm: async () => false,
      connect: () => {
        throw new Error('inject and clear do not use the operator API');
      },
      env: {},
      cwd: directory,
      newIdempotencyKey: () => 'key',
      sleep: async () => undefined,
    } satisfies CliIo;
    return { injected, io, out, err };
  }

  it('injects a fault into the running drill and clears it by id', async () => {
    // Prepare
    const { injected, io, out } = await setUp();

    // Act
    const injectCode = await runCli(['--local', 'inject', 'region-outage', 'us-east-1'], io);
    const clearCode = await runCli(['--local', 'clear', 'fault-1'], io);

    // Assess
    expect([injectCode, clearCode]).toEqual([0, 0]);
    expect(injected).toEqual([{ kind: 'region-outage', region: 'us-east-1' }]);
    expect(out).toEqual(['injected fault-1: region-outage (fcp --local clear fault-1 undoes it)', 'cleared fault-1']);
  });

  it('refuses a bad fault with exit 2 and the drill’s reason, and injects nothing', async () => {
    // Prepare
    const { injected, io, err } = await setUp();

    // Act
    const code = await runCli(['--local', 'inject', 'region-outage', 'mars-1'], io);

    // Assess
    expect(code).toBe(2);
    expect(injected).toEqual([]);
    expect(err.join('\n')).toContain('no region mars-1 in the drill');
  });

  it('names a .fcp/local.json that is not JSON', async () => {
    // Prepare
    const { io, err } = await setUp();
    await writeFile(join(directory, '.fcp', 'local.json'), '{ broken');

    // Act
    const code = await runCli(['--local', 'inject', 'region-outage', 'us-east-1'], io);

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(join(directory, '.fcp', 'local.json'));
  });
});

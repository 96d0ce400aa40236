import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SCENARIOS } from '../../src/drill/scenarios/library.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm start` itself, as a child process with its own DynamoDB Local (this file is in the unit project: no shared JVM).
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'drill-main-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (src/cli/localDrill.ts)', () => {
  it('plays the default scenario, prints the timeline and verdict, writes the JSON report and exits 0', { timeout: 240_000 }, async () => {
    // Prepare
    const report = join(directory, 'drill.json');

    // Act
    const { stdout } = await run('npx', ['tsx', 'src/cli/localDrill.ts', '--scenario', 'primary-region-outage', '--report', report], {
      cwd: root,
      timeout: 200_000,
    });

    // Assess
    const written = JSON.parse(await readFile(report, 'utf8')) as { pass: boolean; scenario: string; report: { rtoMs: number; outcome: string } };
    expect(written.pass).toBe(true);
    expect(written.scenario).toBe('primary-region-outage');
    expect(written.report.outcome).toBe('completed');
    expect(written.report.rtoMs).toBeGreaterThan(130_000);
    expect(stdout).toMatch(/fault injected: region-outage eu-west-1/);
    expect(stdout).toMatch(/^PASS {2}orders: eu-west-1 → us-east-1 recovered in/m);
    expect(stdout).toMatch(/^PASS {2}primary-region-outage: every expectation held$/m);
    const jvm = Number(/DynamoDB Local \(pid (\d+)\)/.exec(stdout)?.[1]);
    expect(isRunning(jvm)).toBe(false);
  });

  it('lists the scenarios, and exits 2 for one it does not know, without starting DynamoDB Local', { timeout: 60_000 }, async () => {
    // Act
    const list = await run('npx', ['tsx', 'src/cli/localDrill.ts', '--list'], { cwd: root });
    const unknown = await run('npx', ['tsx', 'src/cli/localDrill.ts', '--scenario', 'meteor-strike'], { cwd: root }).catch(
      (error: { code: number; stderr: string; stdout: string }) => error,
    );

    // Assess
    expect(list.stdout.split('\n').filter((line) => line.trim() !== '')).toHaveLength(SCENARIOS.length);
    expect(list.stdout).toMatch(/^route53-control-plane-outage +The Route 53 API/m);
    expect(list.stdout).toMatch(/^control-plane-crash +The executor dies/m);
    expect('code' in unknown ? unknown.code : 0).toBe(2);
    expect(unknown.stderr).toMatch(/no scenario named meteor-strike; scenarios: primary-region-outage, /);
    expect(unknown.stdout).not.toMatch(/DynamoDB Local/);
  });

  it('stops the DynamoDB Local JVM when interrupted with Ctrl-C', { timeout: 240_000 }, async () => {
    // Prepare
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/localDrill.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const started = new Promise<number>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const pid = /DynamoDB Local \(pid (\d+)\)/.exec(output)?.[1];
        if (pid !== undefined && /T\+/.test(output)) resolve(Number(pid));
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Act
    const jvm = await started;
    child.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(code).toBe(130);
    expect(isRunning(jvm)).toBe(false);
  });
});

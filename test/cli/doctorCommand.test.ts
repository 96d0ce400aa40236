import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/application/doctor.js';
import { doctorDepsFromAws, registerDoctorCommand, renderDoctorReport, type DoctorDepsFactory } from '../../src/cli/doctorCommand.js';
import { inMemoryWorld } from '../application/harness.js';
import { InMemoryPermissionSimulator } from '../doubles/InMemoryPermissionSimulator.js';
import { InMemoryTopicInspector } from '../doubles/InMemoryTopicInspector.js';

async function fcpDoctor(argv: string[], factory?: DoctorDepsFactory) {
  const world = inMemoryWorld();
  const deps: DoctorDepsFactory =
    factory ??
    (async () => ({
      config: world.deps.config,
      clock: world.clock,
      stateStore: world.deps.stateStore,
      observations: world.deps.observations,
      database: world.deps.database,
      traffic: world.deps.traffic,
      permissions: new InMemoryPermissionSimulator(['sns:Publish']),
      topics: new InMemoryTopicInspector({ confirmed: 0, pending: 0 }),
      roles: { orchestrator: 'arn:aws:iam::000000000000:role/o', operator: 'arn:aws:iam::000000000000:role/a', probe: (region) => `arn:aws:iam::000000000000:role/p-${region}` },
      tableArn: (region) => `arn:aws:dynamodb:${region}:000000000000:table/t`,
    }));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const state = { exitCode: 0 };
  const program = new Command('fcp').exitOverride();
  registerDoctorCommand(program, { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text), env: {} }, state, deps);
  await program.parseAsync(['doctor', ...argv], { from: 'user' });
  return { exitCode: state.exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('fcp doctor', () => {
  it('exits 1 and prints each failed check with its fix', async () => {
    // Act
    const result = await fcpDoctor(['--group', 'orders']);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^orders\n/);
    expect(result.stdout).toContain('  FAIL  permissions orchestrator: arn:aws:iam::000000000000:role/o may not: sns:Publish on');
    expect(result.stdout).toContain('  FAIL  notifications: ');
    expect(result.stdout).toContain('        fix: aws sns subscribe --topic-arn');
    expect(result.stdout).toMatch(/\d+ of \d+ checks FAILED$/);
  });

  it('prints the report as one JSON document with --json', async () => {
    // Act
    const result = await fcpDoctor(['--json']);

    // Assess
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.check === 'dns')).toMatchObject({ groupId: 'orders', status: 'pass' });
  });

  it('exits 2 naming what is missing to find the deployment, or an unknown group', async () => {
    // Act
    const missing = await fcpDoctor([], doctorDepsFromAws);
    const unknown = await fcpDoctor(['--group', 'payments']);

    // Assess
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('--config: the control-plane configuration file (or FCP_CONFIG)');
    expect(missing.stderr).toContain('--stage: the deployment stage, which names the roles (or FCP_STAGE)');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('fcp doctor: --group: payments is not configured (groups: orders)');
  });

  it('says all checks passed, counting warnings, when none failed', () => {
    // Act
    const text = renderDoctorReport({
      checkedAt: 0,
      ok: true,
      checks: [
        { groupId: 'orders', check: 'dns', status: 'pass', detail: 'points at the primary' },
        { groupId: 'orders', check: 'fencing', status: 'warn', detail: 'fencing is none', fix: 'set policy.fencing' },
      ],
    });

    // Assess
    expect(text).toBe('orders\n  ok    dns: points at the primary\n  warn  fencing: fencing is none\n        fix: set policy.fencing\nall 2 checks passed (1 warning(s))');
  });
});

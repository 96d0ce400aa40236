import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDrillCommand, type StagingDrillDepsFactory } from '../../src/cli/drillCommand.js';
import type { DrillReport } from '../../src/drill/report.js';
import { drillConfig, inMemoryWorld } from '../application/harness.js';
import { InMemoryDrillReportStore } from '../doubles/InMemoryDrillReportStore.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';

const PRINCIPAL = 'arn:aws:iam::123456789012:user/drill-lead';

async function fcpDrill(argv: string[], environment: string, env: Record<string, string> = { FCP_PRINCIPAL_ARN: PRINCIPAL }) {
  const world = inMemoryWorld(drillConfig((config) => (config.groups[0]!.environment = environment)));
  const faults = new InMemoryFaultStore();
  const deps: StagingDrillDepsFactory = async () => ({
    config: world.deps.config,
    stateStore: world.deps.stateStore,
    eventLog: world.deps.eventLog,
    faults,
    reports: new InMemoryDrillReportStore<DrillReport>(),
    clock: world.clock,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const state = { exitCode: 0 };
  const program = new Command('fcp').exitOverride();
  registerDrillCommand(program, { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text), env }, state, deps);
  await program.parseAsync(['drill', ...argv], { from: 'user' });
  return { exitCode: state.exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n'), faults };
}

describe('fcp drill', () => {
  it('is refused (exit 3) on a production group, saying why, and injects nothing', async () => {
    // Act
    const result = await fcpDrill(['orders', '--scenario', 'primary-region-outage'], 'production');

    // Assess
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/^fcp drill: refused: group orders is a production group/);
    expect(result.faults.calls.put).toBe(0);
  });

  it('needs to know who runs the drill (exit 2)', async () => {
    // Act
    const result = await fcpDrill(['orders'], 'staging', {});

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--as <your IAM principal ARN> or FCP_PRINCIPAL_ARN/);
  });

  it('reports a drill nothing acted on as no failover (exit 1) and clears its fault, as JSON', async () => {
    // Act
    const result = await fcpDrill(['orders', '--duration', '30', '--json'], 'staging');

    // Assess
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ groupId: 'orders', outcome: 'no-failover', region: 'eu-west-1', principalArn: PRINCIPAL });
    expect(result.faults.calls.clear).toBe(1);
  });
});

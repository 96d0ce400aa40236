import { describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { EVENTS_PAGE } from '../../src/cli/events.js';
import { runCli } from '../../src/cli/program.js';
import { inMemoryWorld, probeRound } from '../application/harness.js';
import { InProcessTransport, terminal } from './support.js';

const MINUTE = 60_000;

async function healthyWorld() {
  const world = inMemoryWorld();
  await probeRound(world.deps, world.group);
  await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + MINUTE });
  return { ...world, transport: new InProcessTransport(world.deps) };
}

describe('fcp events', () => {
  it('prints the newest events oldest first, with who did what', async () => {
    // Prepare
    const world = await healthyWorld();
    const pause = terminal(world.transport);
    await runCli(['pause', 'orders', '--reason', 'maintenance window'], pause.io);
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['events', 'orders'], term.io);

    // Assess
    const lines = term.out().split('\n');
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/#\d+\s+PAUSE\s+arn:aws:iam::123456789012:user\/alice\s+.*maintenance window/);
    const seqs = lines.map((line) => Number(/#(\d+)/.exec(line)?.[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('with --follow prints each event once, as it is logged, until interrupted', async () => {
    // Prepare
    const world = await healthyWorld();
    const interrupt = new AbortController();
    let sleeps = 0;
    const term = terminal(world.transport, {
      signal: interrupt.signal,
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 1) await runCli(['pause', 'orders', '--reason', 'first'], terminal(world.transport).io);
        if (sleeps === 3) await runCli(['resume', 'orders', '--reason', 'second'], terminal(world.transport).io);
        if (sleeps === 4) interrupt.abort();
      },
    });

    // Act
    const code = await runCli(['events', 'orders', '--follow', '--json'], term.io);

    // Assess
    const events = term.out().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string; message: string });
    expect(code).toBe(0);
    expect(events.map((event) => event.type).slice(-2)).toEqual(['PAUSE', 'RESUME']);
    expect(new Set(events.map((event) => event.seq)).size).toBe(events.length);
    expect(term.err()).toBe('');
  });

  it('prints every event logged between two reads, each once, even more than one page holds, reading only what is new', async () => {
    // Prepare: 120 events logged while fcp sleeps, more than one page of EVENTS_PAGE
    const world = await healthyWorld();
    const interrupt = new AbortController();
    let sleeps = 0;
    const term = terminal(world.transport, {
      signal: interrupt.signal,
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 2) interrupt.abort();
        if (sleeps > 1) return;
        for (let round = 0; round < 60; round += 1) {
          await runCli(['pause', 'orders', '--reason', `pause ${round}`], terminal(world.transport).io);
          await runCli(['resume', 'orders', '--reason', `resume ${round}`], terminal(world.transport).io);
        }
      },
    });
    const before = (await world.deps.eventLog.list('orders')).length;

    // Act
    const code = await runCli(['events', 'orders', '--follow', '--json'], term.io);

    // Assess
    const seqs = term.out().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(code).toBe(0);
    expect(seqs).toEqual(Array.from({ length: before + 120 }, (_, index) => index + 1));
    const reads = world.transport.calls.filter((call) => call.path === '/groups/orders/events');
    expect(reads.map((call) => call.query?.after)).toEqual([undefined, String(before), String(before + EVENTS_PAGE)]);
    expect(term.err()).toBe('');
  });

  it('exits 2 for an unknown group, saying which groups there are', async () => {
    // Prepare
    const world = await healthyWorld();
    const term = terminal(world.transport);

    // Act
    const code = await runCli(['events', 'payments'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('group payments is not configured (groups: orders)');
  });
});

describe('fcp status --watch --json', () => {
  it('prints one JSON document per line, one line per refresh', async () => {
    // Prepare
    const world = await healthyWorld();
    const interrupt = new AbortController();
    let sleeps = 0;
    const term = terminal(world.transport, {
      signal: interrupt.signal,
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 2) interrupt.abort();
      },
    });

    // Act
    const code = await runCli(['status', 'orders', '--watch', '--json'], term.io);

    // Assess
    const lines = term.out().split('\n');
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => (JSON.parse(line) as { groupId: string; state: string }).state)).toEqual(['monitoring', 'monitoring']);
  });
});

describe('fcp completion', () => {
  it('completes every command and each command its own options, in bash and zsh', async () => {
    // Prepare
    const bash = terminal(undefined);
    const zsh = terminal(undefined);

    // Act
    const codes = [await runCli(['completion', 'bash'], bash.io), await runCli(['completion', 'zsh'], zsh.io)];

    // Assess
    expect(codes).toEqual([0, 0]);
    expect(bash.out()).toContain('complete -o default -F _fcp fcp');
    expect(bash.out()).toMatch(/"\) words="status history plan failover switchover approve reject abort retry pause resume ack reprotect commands cancel validate events ui completion drill inject clear doctor /);
    expect(bash.out()).toMatch(/ {4}failover\) words="[^"]*--to [^"]*--allow-data-loss[^"]*"/);
    expect(zsh.out()).toContain('compdef _fcp fcp');
    expect(zsh.out()).toContain("'events:the event log of a group, oldest first\\: who did what and why'");
  });

  it('exits 2 for a shell it does not support, naming the ones it does', async () => {
    // Prepare
    const term = terminal(undefined);

    // Act
    const code = await runCli(['completion', 'fish'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toBe('fcp: completion: shell fish is not supported; use one of bash, zsh');
  });
});

describe('fcp --version and fcp drill', () => {
  it('prints the version', async () => {
    // Prepare
    const term = terminal(undefined, { version: '1.2.3' });

    // Act
    const code = await runCli(['--version'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toBe('1.2.3');
  });

  it('answers fcp drill --help from the drill command, loaded only then', async () => {
    // Prepare
    const term = terminal(undefined);

    // Act
    const code = await runCli(['drill', '--help'], term.io);

    // Assess
    expect(code).toBe(0);
    expect(term.out()).toContain('Usage: fcp drill [options] <group>');
    expect(term.out()).toContain('--scenario');
  });

  it('passes its arguments to the drill command, which names a bad one', async () => {
    // Prepare
    const term = terminal(undefined);

    // Act
    const code = await runCli(['drill', 'orders', '--scenario', 'primary-region-outage', '--duration', 'soon'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain("option '--duration <seconds>' argument 'soon' is invalid");
  });
});

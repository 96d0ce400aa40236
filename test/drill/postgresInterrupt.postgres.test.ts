import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm start -- --world postgres` interrupted with Ctrl-C (SIGINT to the drill's own process, as `kill -INT` does):
// every process it started (DynamoDB Local's JVM, three postmasters and their backends, HAProxy) must be gone
// afterwards, and the temporary directories of the servers and the proxy removed.
const root = new URL('../..', import.meta.url).pathname;

interface ProcessEntry {
  readonly pid: number;
  readonly parent: number;
  /** Clock ticks after boot: with the pid, names one process even if the pid is reused. */
  readonly startedAt: string;
  readonly command: string[];
}

function processTable(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
      entries.push({ pid: Number(name), parent: Number(fields[1]), startedAt: fields[19] ?? '', command });
    } catch {
      // Exited while listed.
    }
  }
  return entries;
}

/** Every process below `pid`, at any depth. */
function descendants(pid: number): ProcessEntry[] {
  const table = processTable();
  const found: ProcessEntry[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = table.filter((entry) => frontier.includes(entry.parent));
    found.push(...children);
    frontier = children.map((entry) => entry.pid);
  }
  return found;
}

function alive(entry: ProcessEntry): boolean {
  try {
    const stat = readFileSync(`/proc/${entry.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent's wait is missing (init reaps it).
    return fields[19] === entry.startedAt && fields[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('npm start -- --world postgres interrupted with Ctrl-C', () => {
  it('stops every process it started and removes the servers’ and the proxy’s temporary directories', { timeout: 240_000 }, async () => {
    // Prepare: run the default scenario until its timeline has begun (servers, proxy, load and control plane all up;
    // its kill comes 5 s later).
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/localDrill.ts', '--world', 'postgres'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/real time, real processes/.test(output)) resolve();
      });
      void exited.then((code) => reject(new Error(`the drill exited ${code} before its timeline began:\n${output}`)));
    });
    const started = descendants(child.pid!);
    const programs = started.map((entry) => entry.command[0] ?? '');
    // The postmasters' `-D <base>/<region>` and HAProxy's `-f <dir>/haproxy.cfg`: temporary directories the drill made.
    const directories = started.flatMap((entry) => {
      const at = Math.max(entry.command.indexOf('-D'), entry.command.indexOf('-f'));
      return at === -1 ? [] : [dirname(entry.command[at + 1]!)];
    });

    // Act
    child.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(programs.filter((program) => program.endsWith('/postgres'))).toHaveLength(3);
    expect(programs.some((program) => program.endsWith('haproxy'))).toBe(true);
    expect(programs.some((program) => program.endsWith('java'))).toBe(true);
    expect(code).toBe(130);
    const deadline = Date.now() + 15_000;
    while (started.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started.filter(alive).map((entry) => `${entry.pid} ${entry.command.join(' ')}`)).toEqual([]);
    expect(new Set(directories).size).toBe(2);
    expect([...new Set(directories)].filter((directory) => existsSync(directory))).toEqual([]);
  });
});

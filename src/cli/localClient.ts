import { request as httpRequest } from 'node:http';
import type { OperatorCall, OperatorReply, OperatorTransport } from '../adapters/operator-client/OperatorClient.js';

/**
 * The operator API of the local drill (`fcp --local`): unsigned JSON over HTTP to 127.0.0.1. It exists beside
 * `HttpOperatorClient` only because that module loads the AWS credential chain and SigV4 when it is imported (about
 * 200 ms of a 500 ms budget, see bench/cli.ts), which a local call never uses. Same wire, same errors.
 *
 * @example
 * const reply = await new LocalOperatorClient('http://127.0.0.1:4599').send({ method: 'GET', path: '/groups/orders/status' });
 */
export class LocalOperatorClient implements OperatorTransport {
  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs = 45_000,
  ) {}

  async send(call: OperatorCall): Promise<OperatorReply> {
    const url = new URL(this.endpoint);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${call.path}`;
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
      ...(call.idempotencyKey === undefined ? {} : { 'idempotency-key': call.idempotencyKey }),
    };
    let answer: { status: number; text: string };
    try {
      // node:http, not fetch: fetch loads undici on first use, about 60 ms of CPU.
      answer = await new Promise((resolve, reject) => {
        const request = httpRequest(url, { method: call.method, headers, timeout: this.timeoutMs }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        });
        request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
        request.on('error', reject);
        request.end(body);
      });
    } catch (error) {
      throw await unreachable(`cannot reach the operator API at ${url.origin}: ${(error as Error).message}`, error);
    }
    try {
      return { status: answer.status, body: answer.text === '' ? undefined : (JSON.parse(answer.text) as unknown) };
    } catch (error) {
      throw await unreachable(`the operator API at ${url.origin} answered ${answer.status} with something that is not JSON: ${answer.text.slice(0, 200)}`, error);
    }
  }
}

async function unreachable(message: string, cause: unknown): Promise<Error> {
  const { OperatorApiUnreachableError } = await import('../adapters/operator-client/OperatorClient.js');
  return new OperatorApiUnreachableError(message, { cause });
}

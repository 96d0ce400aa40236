import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { ControlPlaneError } from '../../domain/errors.js';

/** One call of the operator API. `path` starts with `/`; the query and body are encoded by the client. */
export interface OperatorCall {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** Sent as the `Idempotency-Key` header: a retried POST acts once. */
  readonly idempotencyKey?: string;
}

export interface OperatorReply {
  readonly status: number;
  readonly body: unknown;
}

/** How the CLI reaches the operator API: the HTTP API over HTTPS, or the local drill server. */
export interface OperatorTransport {
  send(call: OperatorCall): Promise<OperatorReply>;
}

/** Adds authentication headers to a request about to be sent. */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

type SignableRequest = Parameters<SignatureV4['presign']>[0];

/** The operator API could not be reached or answered something that is not JSON. */
export class OperatorApiUnreachableError extends ControlPlaneError {
  override readonly name = 'OperatorApiUnreachableError';
}

/**
 * The operator API over HTTP(S) with `fetch`: JSON in and out, optional request signing, a bounded wait.
 *
 * @example
 * const client = new HttpOperatorClient({ endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com', signer: sigV4Signer({ region: 'us-west-2' }) });
 * const { status, body } = await client.send({ method: 'GET', path: '/groups/orders' });
 */
export class HttpOperatorClient implements OperatorTransport {
  private readonly endpoint: URL;
  private readonly signer?: RequestSigner;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: { endpoint: string; signer?: RequestSigner; fetch?: typeof fetch; timeoutMs?: number }) {
    this.endpoint = new URL(options.endpoint);
    this.signer = options.signer;
    this.fetchImpl = options.fetch ?? fetch;
    // The function runs the executor inline for up to about 20 s before answering.
    this.timeoutMs = options.timeoutMs ?? 45_000;
  }

  async send(call: OperatorCall): Promise<OperatorReply> {
    const url = new URL(this.endpoint);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${call.path}`;
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) {
        url.searchParams.set(key, value);
        query[key] = value;
      }
    }
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      host: url.host,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(call.idempotencyKey === undefined ? {} : { 'idempotency-key': call.idempotencyKey }),
    };
    const signed = this.signer
      ? await this.signer({
          method: call.method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port === '' ? undefined : Number(url.port),
          path: url.pathname,
          query,
          headers,
          body,
        })
      : headers;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: call.method,
        headers: Object.fromEntries(Object.entries(signed).filter(([name]) => name !== 'host')),
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new OperatorApiUnreachableError(`cannot reach the operator API at ${this.endpoint.origin}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    try {
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch (error) {
      throw new OperatorApiUnreachableError(
        `the operator API at ${this.endpoint.origin} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`,
        { cause: error },
      );
    }
  }
}

/**
 * Signs requests for the operator API, an API Gateway HTTP API with IAM authorization (SigV4, service `execute-api`),
 * with the operator's own credentials: the default provider chain (environment, SSO, `~/.aws` profiles, instance
 * roles) or the named profile. IAM then decides per route, so per group and per command, what the operator may do.
 *
 * @example
 * const signer = sigV4Signer({ region: 'us-west-2', profile: 'oncall' });
 */
export function sigV4Signer(options: { region: string; profile?: string }): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    sha256: Sha256,
    credentials: fromNodeProviderChain(options.profile === undefined ? {} : { profile: options.profile }),
  });
  return async (request) => {
    const signed = await signer.sign(request);
    return signed.headers;
  };
}

/**
 * The region of an API Gateway endpoint (`https://<api-id>.execute-api.<region>.amazonaws.com`), or undefined for
 * other hosts (a custom domain: pass `--region`).
 *
 * @example
 * regionOfEndpoint('https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com'); // 'us-west-2'
 */
export function regionOfEndpoint(endpoint: string): string | undefined {
  return /\.execute-api\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(new URL(endpoint).hostname)?.[1];
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// Types only: the client (and the AWS credential chain it loads) is imported when the first request is sent, so
// `fcp --help` and a usage error answer without loading it.
import type { OperatorCall, OperatorReply, OperatorTransport } from '../adapters/operator-client/OperatorClient.js';
import { ControlPlaneError } from '../domain/errors.js';
import { LocalOperatorClient } from './localClient.js';

/** Where `fcp --local` finds the local server: `{ "url": "http://127.0.0.1:<port>" }`, relative to the cwd. */
export const LOCAL_ENDPOINT_FILE = join('.fcp', 'local.json');

/** Where and how `fcp` talks to the operator API. */
export type Connection =
  | { readonly kind: 'local'; readonly endpoint: string }
  | { readonly kind: 'signed'; readonly endpoint: string; readonly region: string; readonly profile?: string };

export interface ConnectionOptions {
  readonly endpoint?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly local?: boolean;
}

/** The operator's input cannot be used as given (exit code 2). */
export class UsageError extends ControlPlaneError {
  override readonly name = 'UsageError';
}

/**
 * Resolves `--local`, `--endpoint` (or `FCP_ENDPOINT`), `--region` (or the HTTP API endpoint's own region, or
 * `AWS_REGION`) and `--profile` into a connection. Throws `UsageError` saying what is missing.
 *
 * @example
 * await resolveConnection({ endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com' }, process.env, process.cwd());
 * // { kind: 'signed', endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com', region: 'us-west-2' }
 */
export async function resolveConnection(
  options: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<Connection> {
  if (options.local === true) {
    const path = join(cwd, LOCAL_ENDPOINT_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`--local: ${path} not found; start the local drill (npm start) in this directory first`, { cause: error });
    }
    let url: unknown;
    try {
      url = (JSON.parse(text) as { url?: unknown }).url;
    } catch (error) {
      throw new UsageError(`--local: ${path} is not JSON (${error instanceof Error ? error.message : String(error)}); delete it and start the local drill again`, { cause: error });
    }
    if (typeof url !== 'string') throw new UsageError(`--local: ${path} has no "url"`);
    return { kind: 'local', endpoint: url };
  }
  const endpoint = options.endpoint ?? env.FCP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') {
    throw new UsageError('no operator API endpoint: pass --endpoint <operator API URL>, set FCP_ENDPOINT, or use --local for the drill');
  }
  try {
    new URL(endpoint);
  } catch (error) {
    throw new UsageError(`--endpoint: ${endpoint} is not a URL`, { cause: error });
  }
  const { regionOfEndpoint } = await import('../adapters/operator-client/OperatorClient.js');
  const region = options.region ?? regionOfEndpoint(endpoint) ?? env.AWS_REGION;
  if (region === undefined) throw new UsageError('--region: needed to sign requests for this endpoint (the region of the operator API)');
  const profile = options.profile ?? env.AWS_PROFILE;
  return { kind: 'signed', endpoint, region, ...(profile === undefined ? {} : { profile }) };
}

/**
 * The real transport: HTTP to the endpoint, SigV4-signed (service `execute-api`); the local drill's, unsigned. The
 * signed client is loaded with the first request it sends.
 *
 * @example
 * const transport = connect(await resolveConnection(options, process.env, process.cwd()));
 */
export function connect(connection: Connection): OperatorTransport {
  if (connection.kind === 'local') return new LocalOperatorClient(connection.endpoint);
  let client: Promise<OperatorTransport> | undefined;
  const open = async (): Promise<OperatorTransport> => {
    const { HttpOperatorClient, sigV4Signer } = await import('../adapters/operator-client/OperatorClient.js');
    return new HttpOperatorClient({ endpoint: connection.endpoint, signer: sigV4Signer({ region: connection.region, profile: connection.profile }) });
  };
  return { send: async (call: OperatorCall): Promise<OperatorReply> => (await (client ??= open())).send(call) };
}

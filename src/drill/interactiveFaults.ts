import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HealthBehaviour } from '../adapters/sim/HealthServer.js';
import type { SimFault } from '../adapters/sim/SimWorld.js';
import { ValidationError } from '../domain/errors.js';
import type { RegionName } from '../domain/types.js';

/** The faults `fcp --local inject` knows, with their arguments, for its help and its errors. */
export const INTERACTIVE_FAULTS: Readonly<Record<string, string>> = {
  'region-outage': '<region>',
  'database-crash': '<region> [failed|stopped]',
  'promotion-stuck': '<replica region>',
  'promotion-invalid-state': '<replica region> <attempts 1-20>',
  'dns-throttle': '<calls 1-20>',
  'route53-control-plane-outage': '',
  http: '<region> <503|hang|refused|wrong-body|flapping>',
  partition: '<observer region> <region>',
  'status-blip': '<region> <status, e.g. storage-optimization>',
  'replica-lag': '<replica region> <extra lag seconds 1-3600>',
};

const MAX_BODY_BYTES = 4_096;

/**
 * A fault from `fcp --local inject` words: the kind, then its arguments. Bad input is a `ValidationError` naming the
 * argument and the reason; nothing is injected.
 *
 * @example
 * parseFault('region-outage', ['eu-west-1'], ['eu-west-1', 'us-east-1']); // { kind: 'region-outage', region: 'eu-west-1' }
 */
export function parseFault(kind: string, args: readonly string[], regions: readonly RegionName[]): SimFault {
  const usage = INTERACTIVE_FAULTS[kind];
  if (usage === undefined) throw new ValidationError(`no fault named ${kind}`, [`fault: one of ${Object.keys(INTERACTIVE_FAULTS).join(', ')}`]);
  const wanted = usage === '' ? 0 : usage.split(' ').filter((word) => word.startsWith('<')).length;
  const most = usage === '' ? 0 : usage.split(' ').filter((word) => word.startsWith('<') || word.startsWith('[')).length;
  if (args.length < wanted || args.length > most) {
    throw new ValidationError(`${kind} takes ${usage === '' ? 'no arguments' : usage}`, [`arguments: got ${args.length}`]);
  }
  const region = (index: number, name = 'region'): RegionName => {
    const value = args[index] as string;
    if (!regions.includes(value)) throw new ValidationError(`${kind}: no region ${value} in the drill`, [`${name}: one of ${regions.join(', ')}`]);
    return value;
  };
  const count = (index: number, name: string, max: number): number => {
    const value = Number(args[index]);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new ValidationError(`${kind}: ${name} must be a whole number from 1 to ${max}`, [`${name}: ${args[index]}`]);
    return value;
  };
  switch (kind) {
    case 'region-outage':
    case 'promotion-stuck':
      return { kind, region: region(0) };
    case 'database-crash': {
      const status = args[1] ?? 'failed';
      if (status !== 'failed' && status !== 'stopped') throw new ValidationError(`database-crash: status must be failed or stopped`, [`status: ${status}`]);
      return { kind, region: region(0), status };
    }
    case 'promotion-invalid-state':
      return { kind, region: region(0), attempts: count(1, 'attempts', 20) };
    case 'dns-throttle':
      return { kind, calls: count(0, 'calls', 20) };
    case 'route53-control-plane-outage':
      return { kind };
    case 'http':
      return { kind, region: region(0), behaviour: behaviourOf(args[1] as string) };
    case 'partition':
      return { kind, observer: region(0, 'observer'), region: region(1) };
    case 'status-blip': {
      const status = args[1] as string;
      if (!/^[a-z][a-z-]{0,62}$/.test(status)) throw new ValidationError('status-blip: status must be an RDS status word', [`status: ${status}`]);
      return { kind, region: region(0), status };
    }
    default:
      return { kind: 'replica-lag', region: region(0), extraLagSeconds: count(1, 'extra lag seconds', 3_600) };
  }
}

function behaviourOf(word: string): HealthBehaviour {
  switch (word) {
    case '503':
      return { kind: 'status', status: 503 };
    case 'hang':
      return { kind: 'hang' };
    case 'refused':
      return { kind: 'refused' };
    case 'wrong-body':
      return { kind: 'wrong-body' };
    case 'flapping':
      return { kind: 'flapping', per: 'request' };
    default:
      throw new ValidationError(`http: no behaviour ${word}`, ['behaviour: one of 503, hang, refused, wrong-body, flapping']);
  }
}

/** What the drill does for the fault server: inject now, clear one or all, list what is active. */
export interface FaultControl {
  readonly regions: readonly RegionName[];
  inject(fault: SimFault): Promise<{ id: string; description: string }>;
  /** Clears the fault with `id`, or every interactive fault; answers what was cleared. */
  clear(id?: string): Promise<string[]>;
  active(): { id: string; description: string }[];
}

/** The local drill's fault server on 127.0.0.1: what `fcp --local inject|clear` talk to. */
export interface FaultServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves interactive faults for a running drill on 127.0.0.1 (`POST /faults {fault, args}`, `DELETE /faults[/<id>]`,
 * `GET /faults`). Bodies over 4 KiB and bad faults are refused with a 400 that names the field; nothing changes.
 *
 * @example
 * const server = await serveFaults(session.faultControl(), 0);
 * // fcp --local inject region-outage us-east-1
 * await server.close();
 */
export async function serveFaults(control: FaultControl, port: number): Promise<FaultServer> {
  const server = createServer((request, response) => {
    answer(control, request)
      .then((reply) => send(response, reply.status, reply.body))
      .catch((error: unknown) => send(response, 500, { error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } }));
  });
  await listen(server, port);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the drill fault server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(control: FaultControl, request: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const match = /^\/faults(?:\/([A-Za-z0-9-]{1,64}))?$/.exec(path);
  if (match === null) return { status: 404, body: { error: { code: 'not-found', message: `no ${path} here: try /faults` } } };
  const id = match[1];
  if (request.method === 'GET' && id === undefined) return { status: 200, body: { faults: control.active() } };
  if (request.method === 'DELETE') {
    const cleared = await control.clear(id);
    if (id !== undefined && cleared.length === 0) return { status: 404, body: { error: { code: 'not-found', message: `no active fault ${id}` } } };
    return { status: 200, body: { cleared } };
  }
  if (request.method !== 'POST' || id !== undefined) return { status: 405, body: { error: { code: 'method', message: 'POST /faults, DELETE /faults[/<id>], GET /faults' } } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBody(request));
  } catch (error) {
    return { status: 400, body: { error: { code: 'validation', message: error instanceof Error ? error.message : String(error) } } };
  }
  const { fault, args } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { fault?: unknown; args?: unknown };
  if (typeof fault !== 'string' || !Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) {
    return { status: 400, body: { error: { code: 'validation', message: 'body: {"fault": <name>, "args": [<words>]}' } } };
  }
  try {
    const injected = await control.inject(parseFault(fault, args as string[], control.regions));
    return { status: 201, body: injected };
  } catch (error) {
    if (error instanceof ValidationError) return { status: 400, body: { error: { code: 'validation', message: error.message, issues: error.issues } } };
    throw error;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new Error(`body: over ${MAX_BODY_BYTES} bytes`);
  }
  return body;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  response.end(text);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

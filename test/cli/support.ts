import type { OperatorCall, OperatorReply, OperatorTransport } from '../../src/adapters/operator-client/OperatorClient.js';
import type { ExecutorDeps } from '../../src/application/executor.js';
import { handleOperatorRequest } from '../../src/application/operatorApi.js';
import type { CliIo } from '../../src/cli/program.js';

export const OPERATOR = 'arn:aws:iam::123456789012:user/alice';

/**
 * The operator API in process, as the CLI sees it over the wire: bodies go through JSON both ways.
 * Records every call so a test can say what was (not) sent.
 */
export class InProcessTransport implements OperatorTransport {
  readonly calls: OperatorCall[] = [];

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly principalArn = OPERATOR,
    /** How long the API's inline executor run may take, in clock time. */
    private readonly deadlineMs = 60_000,
  ) {}

  async send(call: OperatorCall): Promise<OperatorReply> {
    this.calls.push(call);
    const response = await handleOperatorRequest(
      this.deps,
      {
        principalArn: this.principalArn,
        method: call.method,
        path: call.path,
        query: Object.fromEntries(Object.entries(call.query ?? {}).filter(([, value]) => value !== undefined)),
        body: call.body === undefined ? undefined : JSON.parse(JSON.stringify(call.body)),
        idempotencyKey: call.idempotencyKey,
      },
      { deadline: this.deps.clock.now() + this.deadlineMs },
    );
    return { status: response.status, body: JSON.parse(JSON.stringify(response.body)) as unknown };
  }

  posts(): OperatorCall[] {
    return this.calls.filter((call) => call.method === 'POST');
  }
}

// Shared by every terminal of a test file: a second `fcp` run gets a new key, as a new process would.
let keys = 0;

/** A terminal in memory: captured output, scripted answers to prompts, instant sleeps, sequential keys. */
export function terminal(transport: OperatorTransport | undefined, options: Partial<CliIo> & { answers?: boolean[] } = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const prompts: string[] = [];
  const answers = [...(options.answers ?? [])];
  const io: CliIo = {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    interactive: true,
    confirm: async (question) => {
      prompts.push(question);
      return answers.shift() ?? false;
    },
    connect: () => {
      if (transport === undefined) throw new Error('this terminal has no transport: pass one or a connect function');
      return transport;
    },
    env: { FCP_ENDPOINT: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com' },
    cwd: process.cwd(),
    newIdempotencyKey: () => `cli-key-${String((keys += 1)).padStart(4, '0')}`,
    sleep: async () => {},
    ...options,
  };
  return {
    io,
    prompts,
    out: () => stdout.join('\n'),
    err: () => stderr.join('\n'),
    json: () => JSON.parse(stdout.join('\n')) as unknown,
  };
}

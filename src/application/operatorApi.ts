import * as z from 'zod';
import { configErrorMap, formatIssues } from '../config/issues.js';
import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverRecord } from '../domain/types.js';
import type { OperatorCommand, OperatorCommandType, StoredCommand } from '../ports/CommandQueue.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from './executor.js';
import { lookAhead, planGroup, previewCommand, previewFailover, restoreSnapshot, type CommandPreview, type FailoverPreview } from './plan.js';
import { failoverHistory, groupStatus } from './status.js';
import { stateName } from './transitions.js';

export interface OperatorRequest {
  /** The IAM principal that signed the request, from the request context; never from the body. */
  readonly principalArn: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  /** The `Idempotency-Key` header: required for POST, it becomes the command id. */
  readonly idempotencyKey?: string;
  /** Names the executor run this request starts (`operator-<requestId>`); defaults to the idempotency key. */
  readonly requestId?: string;
}

export interface OperatorResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface OperatorError {
  readonly error: {
    readonly code: 'forbidden' | 'not-found' | 'method-not-allowed' | 'bad-request' | 'conflict' | 'refused';
    readonly message: string;
    /** One line per problem, each naming its field (400). */
    readonly issues?: readonly string[];
  };
}

export const COMMAND_TYPES = [
  'failover',
  'switchover',
  'approve',
  'reject',
  'abort',
  'retry',
  'pause',
  'resume',
  'acknowledge',
  'reprotect',
] as const satisfies readonly OperatorCommandType[];

/** Body keys that would let a caller claim an identity; the identity is the request's signer, nothing else. */
const IDENTITY_KEYS = ['principalArn', 'principal', 'userArn', 'callerArn', 'caller', 'actor'];

const CommandBodySchema = z
  .strictObject({
    type: z.enum(COMMAND_TYPES),
    reason: z.string().trim().min(1, 'is required and must not be empty: it is recorded with your identity'),
    targetRegion: z.string().min(1).optional(),
    allowDataLoss: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    const namesARegion = body.type === 'failover' || body.type === 'switchover' || body.type === 'reprotect';
    if (body.targetRegion !== undefined && !namesARegion) {
      ctx.addIssue({ code: 'custom', path: ['targetRegion'], message: `applies to failover, switchover and reprotect only, not ${body.type}` });
    }
    if (body.type === 'reprotect' && body.targetRegion === undefined) {
      ctx.addIssue({ code: 'custom', path: ['targetRegion'], message: 'is required for a reprotect: name the region to create the new replica in' });
    }
    if (body.type === 'switchover' && body.targetRegion === undefined) {
      ctx.addIssue({ code: 'custom', path: ['targetRegion'], message: 'is required for a switchover: name the region to switch to' });
    }
    if (body.allowDataLoss !== undefined && body.type !== 'failover') {
      ctx.addIssue({ code: 'custom', path: ['allowDataLoss'], message: `applies to failover only (a switchover loses no data; ${body.type} moves nothing)` });
    }
  });

type CommandBody = z.infer<typeof CommandBodySchema>;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/**
 * The operator API: status, history, dry-run plans and commands, for the Lambda function URL and the local drill
 * server alike. The caller's identity is `request.principalArn` (the IAM principal that signed the request).
 *
 * A command is validated (400 naming the field), enqueued under its idempotency key, and the executor runs inline so
 * it takes effect at once. The executor alone decides and records it: an accepted command and a refused one both land
 * in the group's event log with the caller's ARN and reason (COMMAND_REFUSED for a refusal), written with the
 * sequence numbers the state record owns. A retried request finds its command under the same key and answers the
 * stored outcome without acting again.
 *
 * @example
 * const response = await handleOperatorRequest(deps, {
 *   principalArn: 'arn:aws:iam::123456789012:user/alice', method: 'POST', path: '/groups/orders/commands',
 *   body: { type: 'failover', targetRegion: 'us-east-1', reason: 'eu-west-1 down' }, idempotencyKey: randomUUID(),
 * }, { deadline: Date.now() + 20_000 });
 * response.status; // 200, 202 (queued), 400, 403, 409 or 422
 */
export async function handleOperatorRequest(
  deps: ExecutorDeps,
  request: OperatorRequest,
  options: { deadline: EpochMs },
): Promise<OperatorResponse> {
  const principalArn = request.principalArn?.trim();
  if (principalArn === undefined || principalArn === '') {
    return failure(403, 'forbidden', 'no IAM identity on the request: call the function URL with SigV4-signed requests (fcp does this)');
  }
  const method = request.method.toUpperCase();
  let segments: string[];
  try {
    segments = request.path.split('?')[0]!.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
  } catch {
    return failure(400, 'bad-request', 'the path is malformed', [`path: ${request.path} is not valid percent-encoding`]);
  }
  const query = request.query ?? {};
  const route = matchRoute(method, segments);
  if ('status' in route) return route;
  switch (route.name) {
    case 'all-status': {
      const groups = await Promise.all(deps.config.groups.map((group) => groupStatus(deps, group)));
      return { status: 200, body: { groups } };
    }
    case 'all-history':
      return { status: 200, body: { failovers: await failoverHistory(deps, { limit: limitOf(query) }) } };
    case 'command':
      return postCommand(deps, request, principalArn, route.groupId, options);
    default: {
      const group = findGroup(deps, route.groupId);
      if (group === undefined) return failure(404, 'not-found', `group ${route.groupId} is not configured (groups: ${groupIds(deps)})`);
      switch (route.name) {
        case 'status':
          return { status: 200, body: await groupStatus(deps, group) };
        case 'history':
          return { status: 200, body: { failovers: await failoverHistory(deps, { groupId: group.id, limit: limitOf(query) }) } };
        case 'plan':
          return planRequest(deps, group, principalArn, query);
        case 'command-lookup':
          return lookupCommand(deps, group, route.commandId);
      }
    }
  }
}

type Route =
  | { name: 'all-status' | 'all-history' }
  | { name: 'status' | 'history' | 'plan' | 'command'; groupId: string }
  | { name: 'command-lookup'; groupId: string; commandId: string };

function matchRoute(method: string, segments: readonly string[]): Route | OperatorResponse {
  const [first, groupId, resource, commandId, ...rest] = segments;
  let route: Route | undefined;
  let allowed = 'GET';
  if (first === 'history' && segments.length === 1) route = { name: 'all-history' };
  else if (first === 'groups' && groupId === 'status' && segments.length === 2) route = { name: 'all-status' };
  else if (first === 'groups' && groupId !== undefined && rest.length === 0) {
    if (resource === 'status' && commandId === undefined) route = { name: 'status', groupId };
    else if (resource === 'history' && commandId === undefined) route = { name: 'history', groupId };
    else if (resource === 'plan' && commandId === undefined) route = { name: 'plan', groupId };
    else if (resource === 'commands' && commandId === undefined) {
      route = { name: 'command', groupId };
      allowed = 'POST';
    } else if (resource === 'commands' && commandId !== undefined) route = { name: 'command-lookup', groupId, commandId };
  }
  if (route === undefined) {
    return failure(404, 'not-found', `no such route: ${method} /${segments.join('/')} (see docs/operator-runbook.md)`);
  }
  if (method !== allowed) return failure(405, 'method-not-allowed', `${method} is not allowed here; use ${allowed}`);
  return route;
}

async function postCommand(
  deps: ExecutorDeps,
  request: OperatorRequest,
  principalArn: string,
  groupId: string,
  options: { deadline: EpochMs },
): Promise<OperatorResponse> {
  const group = findGroup(deps, groupId);
  const parsed = parseCommandBody(request.body, group);
  const issues = [
    ...(group === undefined ? [`groupId: ${groupId} is not a configured group (groups: ${groupIds(deps)})`] : []),
    ...idempotencyIssues(request.idempotencyKey),
    ...('issues' in parsed ? parsed.issues : []),
  ];
  if (issues.length > 0 || group === undefined || 'issues' in parsed) {
    deps.logger?.warn('operator command rejected as malformed; nothing changed', { principalArn, groupId, issues });
    return failure(400, 'bad-request', 'the command is malformed; nothing changed', issues);
  }
  const body = parsed.body;
  const command: OperatorCommand = {
    id: request.idempotencyKey!,
    groupId: group.id,
    type: body.type,
    principalArn,
    reason: body.reason,
    requestedAt: deps.clock.now(),
    ...(body.targetRegion === undefined ? {} : { targetRegion: body.targetRegion }),
    ...(body.allowDataLoss === undefined ? {} : { allowDataLoss: body.allowDataLoss }),
  };

  const existing = await deps.commands.get(group.id, command.id);
  if (existing !== undefined && !sameCommand(existing, command)) {
    return failure(422, 'refused', `Idempotency-Key ${command.id} was already used for a different command (${existing.type} by ${existing.principalArn}: "${existing.reason}"); use a new key`);
  }
  // Decided before anything changes, on what the executor will see: tells 409 from 422, and what a queued command will do.
  const expected = existing === undefined ? previewCommand(group, await lookAhead(deps, group), command) : undefined;
  if (existing === undefined) await deps.commands.enqueue(command);

  let outcome: GroupOutcome | undefined;
  const stored = existing ?? (await deps.commands.get(group.id, command.id));
  if (stored?.status === 'pending') {
    deps.logger?.info('operator command queued', { principalArn, groupId: group.id, commandId: command.id, type: command.type });
    outcome = await reconcileGroup(deps, group, { owner: `operator-${request.requestId ?? command.id}`, deadline: options.deadline });
  }
  const final = await deps.commands.get(group.id, command.id);
  if (final === undefined) throw new Error(`group ${group.id}: command ${command.id} vanished from the queue after it was enqueued`);
  return answerCommand(deps, group, final, { replayed: existing !== undefined, outcome, expected });
}

function parseCommandBody(body: unknown, group: GroupConfig | undefined): { body: CommandBody } | { issues: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: ['body: must be a JSON object such as {"type": "failover", "reason": "..."}'] };
  }
  const identityIssues = IDENTITY_KEYS.filter((key) => key in body).map(
    (key) => `${key}: must not be in the body: the caller is the IAM identity that signed the request`,
  );
  const withoutIdentity = Object.fromEntries(Object.entries(body).filter(([key]) => !IDENTITY_KEYS.includes(key)));
  const result = CommandBodySchema.safeParse(withoutIdentity, { error: configErrorMap });
  const issues = [...identityIssues, ...(result.success ? [] : formatIssues(result.error.issues))];
  const target = result.success ? result.data.targetRegion : undefined;
  if (group !== undefined && target !== undefined && group.regions[target] === undefined) {
    issues.push(`targetRegion: ${target} is not a region of group ${group.id} (regions: ${Object.keys(group.regions).join(', ')})`);
  }
  if (issues.length > 0 || !result.success) return { issues };
  return { body: result.data };
}

function idempotencyIssues(key: string | undefined): string[] {
  if (key === undefined || key === '') return ['Idempotency-Key: header is required: it makes a retried request act once (fcp sends one)'];
  if (!IDEMPOTENCY_KEY.test(key)) return ['Idempotency-Key: must be 8 to 128 letters, digits, ".", "_", ":" or "-" (a UUID works)'];
  return [];
}

function sameCommand(stored: StoredCommand, command: OperatorCommand): boolean {
  return (
    stored.type === command.type &&
    stored.principalArn === command.principalArn &&
    stored.reason === command.reason &&
    stored.targetRegion === command.targetRegion &&
    (stored.allowDataLoss ?? false) === (command.allowDataLoss ?? false)
  );
}

/** The answer to a command: its stored outcome, the state now and, for a failover it started, what it does. */
export interface CommandAnswer {
  readonly groupId: string;
  readonly command: {
    readonly id: string;
    readonly type: OperatorCommandType;
    readonly status: StoredCommand['status'];
    readonly outcome?: string;
    readonly principalArn: string;
    readonly reason: string;
    readonly requestedAt: EpochMs;
    readonly processedAt?: EpochMs;
  };
  /** True when this request repeated an earlier one (same Idempotency-Key): nothing was done again. */
  readonly replayed: boolean;
  readonly state: string;
  /** What the inline executor run did, when it ran. */
  readonly actions?: readonly string[];
  readonly waitingFor?: string;
  readonly failover?: FailoverPreview & { readonly outcome: FailoverRecord['outcome']; readonly timestamps: FailoverRecord['timestamps'] };
  /** For a queued command: what it is expected to do when the orchestrator takes it. */
  readonly expected?: CommandPreview;
  readonly message: string;
}

async function answerCommand(
  deps: ExecutorDeps,
  group: GroupConfig,
  stored: StoredCommand,
  context: { replayed: boolean; outcome: GroupOutcome | undefined; expected: CommandPreview | undefined },
): Promise<OperatorResponse> {
  const { outcome, expected, replayed } = context;
  const record = await deps.stateStore.load(group.id);
  const snapshot = restoreSnapshot(record, group, deps.clock.now());
  const state = stateName(snapshot);
  const base = {
    groupId: group.id,
    command: {
      id: stored.id,
      type: stored.type,
      status: stored.status,
      outcome: stored.outcome,
      principalArn: stored.principalArn,
      reason: stored.reason,
      requestedAt: stored.requestedAt,
      processedAt: stored.processedAt,
    },
    replayed,
    state,
    actions: outcome?.actions,
  };
  if (stored.status === 'pending') {
    const answer: CommandAnswer = {
      ...base,
      expected,
      message: `queued: ${outcome?.result === 'lease-held' ? 'the scheduled orchestrator holds the group right now and' : 'the orchestrator'} will take the command within seconds; follow it with fcp status ${group.id}`,
    };
    return { status: 202, body: answer };
  }
  if (stored.status === 'refused') {
    // The executor refused it: 409 when the group is busy with something the command conflicts with (as decided before
    // it was enqueued, or because the state moved on meanwhile), 422 when the command is not allowed as asked.
    const conflict = expected?.decision === 'conflict' || expected?.decision === 'accept';
    return {
      status: conflict ? 409 : 422,
      body: {
        error: { code: conflict ? 'conflict' : 'refused', message: stored.outcome ?? 'refused' },
        ...base,
        dataLoss: expected?.dataLoss,
      },
    };
  }
  const failover = stored.type === 'failover' || stored.type === 'switchover' ? await failoverOf(deps, group, stored, snapshot.context.failover) : undefined;
  const answer: CommandAnswer = {
    ...base,
    waitingFor: outcome?.waitingFor,
    failover: failover && { ...previewFailover(group, failover, record?.health ?? {}, deps.clock.now()), outcome: failover.outcome, timestamps: failover.timestamps },
    message: stored.outcome ?? 'accepted',
  };
  return { status: 200, body: answer };
}

/** The failover an accepted failover/switchover command started: same caller, reason and decision time. */
async function failoverOf(
  deps: ExecutorDeps,
  group: GroupConfig,
  command: StoredCommand,
  latest: FailoverRecord | undefined,
): Promise<FailoverRecord | undefined> {
  const startedBy = (record: FailoverRecord): boolean =>
    record.trigger.kind !== 'automatic' &&
    record.trigger.principalArn === command.principalArn &&
    record.reason === command.reason &&
    record.timestamps.detectedAt === command.processedAt;
  if (latest !== undefined && startedBy(latest)) return latest;
  return (await deps.eventLog.listFailovers(group.id, { limit: 50 })).find(startedBy);
}

async function lookupCommand(deps: ExecutorDeps, group: GroupConfig, commandId: string): Promise<OperatorResponse> {
  const stored = await deps.commands.get(group.id, commandId);
  if (stored === undefined) return failure(404, 'not-found', `group ${group.id} has no command ${commandId}`);
  return answerCommand(deps, group, stored, { replayed: true, outcome: undefined, expected: undefined });
}

async function planRequest(
  deps: ExecutorDeps,
  group: GroupConfig,
  principalArn: string,
  query: Readonly<Record<string, string | undefined>>,
): Promise<OperatorResponse> {
  if (query.command === undefined) return { status: 200, body: await planGroup(deps, group) };
  const allowDataLoss = query.allowDataLoss;
  if (allowDataLoss !== undefined && allowDataLoss !== 'true' && allowDataLoss !== 'false') {
    return failure(400, 'bad-request', 'the plan query is malformed', ['allowDataLoss: must be true or false']);
  }
  const parsed = parseCommandBody(
    {
      type: query.command,
      reason: query.reason ?? 'dry run',
      ...(query.targetRegion === undefined ? {} : { targetRegion: query.targetRegion }),
      ...(allowDataLoss === undefined ? {} : { allowDataLoss: allowDataLoss === 'true' }),
    },
    group,
  );
  if ('issues' in parsed) {
    return failure(400, 'bad-request', 'the plan query is malformed', parsed.issues.map((issue) => issue.replace(/^type:/, 'command:')));
  }
  const command: OperatorCommand = {
    id: 'plan',
    groupId: group.id,
    principalArn,
    requestedAt: deps.clock.now(),
    ...parsed.body,
  };
  return { status: 200, body: await planGroup(deps, group, command) };
}

function findGroup(deps: ExecutorDeps, groupId: string): GroupConfig | undefined {
  return deps.config.groups.find((group) => group.id === groupId);
}

function groupIds(deps: ExecutorDeps): string {
  return deps.config.groups.map((group) => group.id).join(', ');
}

function limitOf(query: Readonly<Record<string, string | undefined>>): number {
  const limit = Number(query.limit ?? 20);
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, 200) : 20;
}

function failure(status: number, code: OperatorError['error']['code'], message: string, issues?: readonly string[]): OperatorResponse {
  const body: OperatorError = { error: { code, message, ...(issues === undefined ? {} : { issues }) } };
  return { status, body };
}

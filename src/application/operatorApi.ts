import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, FailoverRecord, LoggedEvent } from '../domain/types.js';
import type { OperatorCommand, OperatorCommandType, StoredCommand } from '../ports/CommandQueue.js';
import {
  COMMAND_ID,
  COMMAND_RULES,
  excerpt,
  MAX_BODY_BYTES,
  MAX_NAME_LENGTH,
  MAX_REASON_BYTES,
  parseCommand,
  type CommandBody,
} from './commandRules.js';
import { reconcileGroup, type ExecutorDeps, type GroupOutcome } from './executor.js';
import { lookAhead, planGroup, previewCommand, previewFailover, restoreSnapshot, type CommandPreview, type FailoverPreview } from './plan.js';
import { ALLOW_DATA_LOSS_ROUTE, COMMAND_ROUTE_NAMES, isCommandRouteName, operatorPaths } from './operatorRoutes.js';
import { drillProgress, parseDrillStart, startStagingDrill, stopStagingDrill, type StagingDrillStores } from './stagingDrills.js';
import { failoverHistory, groupStatus } from './status.js';
import { stateName } from './transitions.js';

/**
 * What the operator API runs on: the executor's ports, plus the stores of staging drills where drills are served (the
 * deployed API; the local drill server plays its own faults and answers drill routes 501).
 */
export interface OperatorDeps extends ExecutorDeps {
  readonly drills?: StagingDrillStores;
}

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
    readonly code: 'forbidden' | 'not-found' | 'method-not-allowed' | 'bad-request' | 'conflict' | 'refused' | 'not-implemented';
    readonly message: string;
    /** One line per problem, each naming its field (400). */
    readonly issues?: readonly string[];
  };
}

/** STS's own rule for a source identity (sts:AssumeRole --source-identity): 2 to 64 of these characters. */
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/**
 * The identity a request is recorded under: the full ARN of the IAM principal that signed it (for a role session,
 * `arn:aws:sts::<account>:assumed-role/<role>/<session>`), plus the STS source identity where the session carries one,
 * which survives role chaining and names the person behind a shared role.
 *
 * @example
 * callerIdentity('arn:aws:sts::123456789012:assumed-role/oncall/s1', 'alice@example.com');
 * // 'arn:aws:sts::123456789012:assumed-role/oncall/s1 (source identity alice@example.com)'
 */
export function callerIdentity(userArn: string | undefined, sourceIdentity?: unknown): string | undefined {
  const arn = userArn?.trim();
  if (arn === undefined || arn === '') return undefined;
  if (typeof sourceIdentity !== 'string' || sourceIdentity === '') return arn;
  const source = SOURCE_IDENTITY.test(sourceIdentity) ? sourceIdentity : `${JSON.stringify(excerpt(sourceIdentity, 64))}, not a valid source identity`;
  return `${arn} (source identity ${source})`;
}

/** Body keys that would let a caller claim an identity; the identity is the request's signer, nothing else. */
const IDENTITY_KEYS = ['principalArn', 'principal', 'userArn', 'callerArn', 'caller', 'actor'];

/**
 * The operator API: status, history, events, dry-run plans and commands, for the HTTP API (IAM-authorized, one route
 * per group and command: operatorRoutes.ts) and the local drill server alike. The caller's identity is
 * `request.principalArn` (the IAM principal that signed the request, see `callerIdentity`).
 *
 * A command is validated (400 naming the field), enqueued under its idempotency key, and the executor runs inline so
 * it takes effect at once. The executor alone decides and records it: an accepted command and a refused one both land
 * in the group's event log with the caller's ARN and reason (COMMAND_REFUSED for a refusal), written with the
 * sequence numbers the state record owns. A retried request finds its command under the same key and answers the
 * stored outcome without acting again.
 *
 * @example
 * const response = await handleOperatorRequest(deps, {
 *   principalArn: 'arn:aws:iam::123456789012:user/alice', method: 'POST', path: '/groups/orders/commands/failover',
 *   body: { targetRegion: 'us-east-1', reason: 'eu-west-1 down' }, idempotencyKey: randomUUID(),
 * }, { deadline: Date.now() + 20_000 });
 * response.status; // 200, 202 (queued), 400, 403, 409 or 422
 *
 * The route decides the group, the command type and whether data loss is accepted (IAM granted exactly that route); a
 * body that disagrees with it, an unknown command type or an oversized body is refused with 400 naming the field, and
 * nothing is queued.
 *
 * Every input is bounded: the body (MAX_BODY_BYTES, checked by `parseOperatorBody` before it is parsed), each path
 * segment and query value (MAX_NAME_LENGTH), and every field of a command (commandRules.ts); a request over a bound
 * answers 400 naming the field and changes nothing.
 */
export async function handleOperatorRequest(
  deps: OperatorDeps,
  request: OperatorRequest,
  options: { deadline: EpochMs },
): Promise<OperatorResponse> {
  const principalArn = request.principalArn?.trim();
  if (principalArn === undefined || principalArn === '') {
    return failure(403, 'forbidden', 'no IAM identity on the request: call the operator API with SigV4-signed requests (fcp does this)');
  }
  const method = request.method.toUpperCase();
  let segments: string[];
  try {
    segments = request.path.split('?')[0]!.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
  } catch {
    return failure(400, 'bad-request', 'the path is malformed', [`path: ${request.path} is not valid percent-encoding`]);
  }
  const query = request.query ?? {};
  // A reason in the query (plan) is bounded exactly by the command rules; everything else here is a name.
  const tooLong = [
    ...segments.filter((segment) => segment.length > MAX_NAME_LENGTH).map((segment) => `path: segment ${excerpt(segment, 40)} is longer than ${MAX_NAME_LENGTH} characters`),
    ...Object.entries(query)
      .filter(([key, value]) => key.length > MAX_NAME_LENGTH || (value ?? '').length > (key === 'reason' ? MAX_BODY_BYTES : MAX_NAME_LENGTH))
      .map(([key]) => `${excerpt(key, 40)}: query value is longer than ${key === 'reason' ? MAX_BODY_BYTES : MAX_NAME_LENGTH} characters`),
  ];
  if (tooLong.length > 0) return failure(400, 'bad-request', 'the request is malformed; nothing changed', tooLong);
  const route = matchRoute(method, segments);
  if ('status' in route) return route;
  switch (route.name) {
    case 'all-status': {
      const groups = await Promise.all(deps.config.groups.map((group) => groupStatus(deps, group)));
      return { status: 200, body: { groups } };
    }
    case 'all-history': {
      const limit = queryInteger(query, 'limit', HISTORY_LIMIT);
      if (typeof limit === 'string') return failure(400, 'bad-request', 'the history query is malformed', [limit]);
      return { status: 200, body: { failovers: await failoverHistory(deps, { limit }) } };
    }
    case 'command':
      return postCommand(deps, request, principalArn, route.groupId, route.command, options);
    case 'drill-start':
    case 'drill-progress':
    case 'drill-stop':
      return drillRequest(deps, request, principalArn, route);
    default: {
      const group = findGroup(deps, route.groupId);
      if (group === undefined) return failure(404, 'not-found', `group ${route.groupId} is not configured (groups: ${groupIds(deps)})`);
      switch (route.name) {
        case 'status':
          return { status: 200, body: await groupStatus(deps, group) };
        case 'history': {
          const limit = queryInteger(query, 'limit', HISTORY_LIMIT);
          if (typeof limit === 'string') return failure(400, 'bad-request', 'the history query is malformed', [limit]);
          return { status: 200, body: { failovers: await failoverHistory(deps, { groupId: group.id, limit }) } };
        }
        case 'events':
          return eventsPage(deps, group, query);
        case 'plan':
          return planRequest(deps, group, principalArn, query);
        case 'command-lookup':
          return lookupCommand(deps, group, route.commandId);
        case 'pending':
          return { status: 200, body: await pendingCommands(deps, group) };
      }
    }
  }
}

type Route =
  | { name: 'all-status' | 'all-history' }
  | { name: 'status' | 'history' | 'events' | 'plan' | 'pending'; groupId: string }
  | { name: 'command-lookup'; groupId: string; commandId: string }
  | { name: 'command'; groupId: string; command: string }
  | { name: 'drill-start'; groupId: string }
  | { name: 'drill-progress' | 'drill-stop'; groupId: string; drillId: string };

/** Matches the routes of OPERATOR_ROUTES (operatorRoutes.ts), which the HTTP API serves and IAM policies name. */
function matchRoute(method: string, segments: readonly string[]): Route | OperatorResponse {
  const [first, groupId, resource, last, ...rest] = segments;
  let route: Route | undefined;
  let allowed = 'GET';
  if (first === 'groups' && groupId !== undefined && resource === 'drills' && segments.length <= 5) {
    return matchDrillRoute(method, groupId, last, rest);
  }
  if (first === 'history' && segments.length === 1) route = { name: 'all-history' };
  else if (first === 'groups' && segments.length === 1) route = { name: 'all-status' };
  else if (first === 'groups' && groupId !== undefined && rest.length === 0) {
    if (resource === undefined) route = { name: 'status', groupId };
    else if (last !== undefined && resource !== 'commands') route = undefined;
    else if (resource === 'history' || resource === 'events' || resource === 'plan') route = { name: resource, groupId };
    else if (resource === 'commands' && last === undefined) {
      if (method === 'POST') {
        return failure(400, 'bad-request', 'the command names no type; nothing changed', [
          `type: missing from the path: POST each command to ${operatorPaths.pending(groupId)}/<type> (${COMMAND_ROUTE_NAMES.join(', ')})`,
        ]);
      }
      route = { name: 'pending', groupId };
    } else if (resource === 'commands' && last !== undefined) {
      // GET reads a command by id, POST sends one to its type's route.
      route = method === 'POST' ? { name: 'command', groupId, command: last } : { name: 'command-lookup', groupId, commandId: last };
      allowed = method === 'POST' ? 'POST' : 'GET';
    }
  }
  if (route === undefined) {
    return failure(404, 'not-found', `no such route: ${method} /${segments.join('/')} (see docs/operator-runbook.md)`);
  }
  if (method !== allowed) return failure(405, 'method-not-allowed', `${method} is not allowed here; use ${allowed}`);
  return route;
}

/** `POST /groups/<g>/drills`, `GET /groups/<g>/drills/<id>`, `POST /groups/<g>/drills/<id>/stop`. */
function matchDrillRoute(method: string, groupId: string, drillId: string | undefined, rest: readonly string[]): Route | OperatorResponse {
  const [action] = rest;
  let route: Route;
  let allowed: string;
  if (drillId === undefined) [route, allowed] = [{ name: 'drill-start', groupId }, 'POST'];
  else if (action === undefined) [route, allowed] = [{ name: 'drill-progress', groupId, drillId }, 'GET'];
  else if (action === 'stop') [route, allowed] = [{ name: 'drill-stop', groupId, drillId }, 'POST'];
  else return failure(404, 'not-found', `no such route: ${method} /groups/${groupId}/drills/${drillId}/${action} (a drill is stopped with POST .../stop)`);
  if (method !== allowed) return failure(405, 'method-not-allowed', `${method} is not allowed here; use ${allowed}`);
  return route;
}

/**
 * The staging drill routes (stagingDrills.ts): the caller is the request's signer, the checks before a drill starts
 * are the use case's, and a start needs an Idempotency-Key (the drill's id) so that a retried start injects nothing twice.
 */
async function drillRequest(
  deps: OperatorDeps,
  request: OperatorRequest,
  principalArn: string,
  route: Extract<Route, { name: 'drill-start' | 'drill-progress' | 'drill-stop' }>,
): Promise<OperatorResponse> {
  const group = findGroup(deps, route.groupId);
  if (group === undefined) return failure(404, 'not-found', `group ${route.groupId} is not configured (groups: ${groupIds(deps)})`);
  const stores = deps.drills;
  if (stores === undefined) {
    return failure(501, 'not-implemented', 'staging drills are not served here: this is the local drill, which plays its own faults (fcp --local inject)');
  }
  if (route.name === 'drill-progress' || route.name === 'drill-stop') {
    const progress =
      route.name === 'drill-progress'
        ? await drillProgress(deps, stores, group, route.drillId)
        : await stopStagingDrill(deps, stores, group, { id: route.drillId, principalArn });
    if (progress === undefined) return failure(404, 'not-found', `group ${group.id} has no drill ${route.drillId}`);
    return { status: 200, body: progress };
  }
  const parsed = parseDrillStart(request.body, group);
  const issues = [...idempotencyIssues(request.idempotencyKey), ...('issues' in parsed ? parsed.issues : [])];
  if (issues.length > 0 || 'issues' in parsed) return failure(400, 'bad-request', 'the drill request is malformed; nothing changed', issues);
  const started = await startStagingDrill(deps, stores, group, { id: request.idempotencyKey!, principalArn, start: parsed.body });
  if ('refused' in started) return failure(started.refused === 'conflict' ? 409 : 422, started.refused, started.message);
  const progress = await drillProgress(deps, stores, group, started.drill.id);
  return { status: started.replayed ? 200 : 201, body: { ...progress, replayed: started.replayed } };
}

async function postCommand(
  deps: ExecutorDeps,
  request: OperatorRequest,
  principalArn: string,
  groupId: string,
  routeName: string,
  options: { deadline: EpochMs },
): Promise<OperatorResponse> {
  const group = findGroup(deps, groupId);
  const routed = bodyForRoute(request.body, groupId, routeName);
  const parsed = 'issues' in routed ? routed : parseCommandBody(routed.body, group);
  const issues = [
    ...(group === undefined ? [`groupId: ${groupId} is not a configured group (groups: ${groupIds(deps)})`] : []),
    ...idempotencyIssues(request.idempotencyKey),
    ...('issues' in parsed ? parsed.issues : []),
  ];
  if (issues.length > 0 || group === undefined || 'issues' in parsed) {
    deps.logger?.warn('operator command rejected as malformed; nothing changed', { principalArn, groupId, route: excerpt(routeName, 40), issues });
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
    ...(body.targetCommandId === undefined ? {} : { targetCommandId: body.targetCommandId }),
  };

  const existing = await deps.commands.get(group.id, command.id);
  if (existing !== undefined && !sameCommand(existing, command)) {
    return failure(422, 'refused', `Idempotency-Key ${command.id} was already used for a different command (${existing.type} by ${excerpt(existing.principalArn)}: "${excerpt(existing.reason)}"); use a new key`);
  }
  if (existing === undefined && command.targetCommandId !== undefined && (await deps.commands.get(group.id, command.targetCommandId)) === undefined) {
    return failure(404, 'not-found', `group ${group.id} has no command ${command.targetCommandId}; fcp commands ${group.id} lists the pending ones`);
  }
  // Decided before anything changes, on what the executor will see: tells 409 from 422, and what a queued command will
  // do. A cancel acts on the queue, not on the machine: there is nothing to preview.
  const previewable = COMMAND_RULES[command.type].plannable;
  const expected = existing === undefined && previewable ? previewCommand(group, await lookAhead(deps, group), command) : undefined;
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

/**
 * The command body as the route says it: IAM granted the route, so the route decides the type, the group and whether
 * data loss is accepted; a body that says otherwise is refused naming the field, never followed. `type` and `groupId`
 * may be left out of the body.
 */
function bodyForRoute(body: unknown, groupId: string, routeName: string): { body: Record<string, unknown> } | { issues: string[] } {
  if (!isCommandRouteName(routeName)) {
    return { issues: [`type: ${excerpt(routeName, 40)} (the last segment of the path) is not a command; one of: ${COMMAND_ROUTE_NAMES.join(', ')}`] };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: ['body: must be a JSON object such as {"reason": "..."}'] };
  }
  const { type, groupId: bodyGroup, ...rest } = body as Record<string, unknown>;
  const dataLossRoute = routeName === ALLOW_DATA_LOSS_ROUTE;
  const routeType: OperatorCommandType = dataLossRoute ? 'failover' : routeName;
  const path = operatorPaths.command(groupId, routeType, dataLossRoute);
  const issues: string[] = [];
  if (type !== undefined && type !== routeType) {
    issues.push(`type: the body says ${excerpt(String(type), 40)} but the route is POST ${path}; send each command to its own route`);
  }
  if (bodyGroup !== undefined && bodyGroup !== groupId) {
    issues.push(`groupId: the body says ${excerpt(String(bodyGroup), 40)} but the route is POST ${path}`);
  }
  if (rest.allowDataLoss === true && !dataLossRoute && routeType === 'failover') {
    issues.push(`allowDataLoss: a failover that accepts data loss has its own route, POST ${operatorPaths.command(groupId, 'failover', true)} (granted separately)`);
  }
  if (dataLossRoute && rest.allowDataLoss !== undefined && rest.allowDataLoss !== true) {
    issues.push(`allowDataLoss: must be true or left out on POST ${path}; a plain failover goes to POST ${operatorPaths.command(groupId, 'failover')}`);
  }
  if (issues.length > 0) return { issues };
  return { body: { ...rest, type: routeType, ...(dataLossRoute ? { allowDataLoss: true } : {}) } };
}

/** The answer of `GET /groups/<id>/events`: events oldest first, and where to read on from. */
export interface EventsPage {
  readonly groupId: string;
  readonly events: readonly LoggedEvent[];
  /** Pass it as `after` to read the events logged after these (the last sequence number answered, or `after` itself). */
  readonly next: number;
  /** With `after`: `limit` events were answered, so more may follow at once. */
  readonly more: boolean;
}

/**
 * `GET /groups/<id>/events?limit=&after=`: oldest first, at most `limit` (EVENTS_LIMIT). Without `after`, the newest
 * `limit` events; with it, the first `limit` logged after sequence number `after`, read from that point in the log
 * (EventLog.listAfter), so a follower sees every event once and never re-reads the log.
 */
async function eventsPage(deps: ExecutorDeps, group: GroupConfig, query: Readonly<Record<string, string | undefined>>): Promise<OperatorResponse> {
  const limit = queryInteger(query, 'limit', EVENTS_LIMIT);
  const after = query.after === undefined ? undefined : queryInteger(query, 'after', EVENT_SEQUENCE);
  if (typeof limit === 'string' || typeof after === 'string') {
    return failure(400, 'bad-request', 'the events query is malformed', [limit, after].filter((value): value is string => typeof value === 'string'));
  }
  const events = after === undefined ? (await deps.eventLog.list(group.id, { limit })).reverse() : await deps.eventLog.listAfter(group.id, after, { limit });
  const page: EventsPage = { groupId: group.id, events, next: events.at(-1)?.seq ?? after ?? 0, more: after !== undefined && events.length === limit };
  return { status: 200, body: page };
}

/** A pending command as `fcp commands` lists it. */
export interface PendingCommand {
  readonly id: string;
  readonly type: OperatorCommandType;
  readonly principalArn: string;
  readonly reason: string;
  readonly requestedAt: EpochMs;
  readonly targetRegion?: string;
  readonly allowDataLoss?: boolean;
  readonly targetCommandId?: string;
}

/** The answer of `GET /groups/<id>/commands`: the commands the executor has not taken yet, oldest first. */
export interface PendingCommands {
  readonly groupId: string;
  readonly commands: readonly PendingCommand[];
}

async function pendingCommands(deps: ExecutorDeps, group: GroupConfig): Promise<PendingCommands> {
  const pending = await deps.commands.pending(group.id);
  return {
    groupId: group.id,
    // A command stored before requests were bounded may be huge: the list quotes it.
    commands: pending.map((command) => ({
      id: command.id,
      type: command.type,
      principalArn: excerpt(command.principalArn),
      reason: excerpt(command.reason),
      requestedAt: command.requestedAt,
      ...(command.targetRegion === undefined ? {} : { targetRegion: excerpt(command.targetRegion) }),
      ...(command.allowDataLoss === undefined ? {} : { allowDataLoss: command.allowDataLoss }),
      ...(command.targetCommandId === undefined ? {} : { targetCommandId: command.targetCommandId }),
    })),
  };
}

function parseCommandBody(body: unknown, group: GroupConfig | undefined): { body: CommandBody } | { issues: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: ['body: must be a JSON object such as {"type": "failover", "reason": "..."}'] };
  }
  const identityIssues = IDENTITY_KEYS.filter((key) => key in body).map(
    (key) => `${key}: must not be in the body: the caller is the IAM identity that signed the request`,
  );
  const withoutIdentity = Object.fromEntries(Object.entries(body).filter(([key]) => !IDENTITY_KEYS.includes(key)));
  const parsed = parseCommand(withoutIdentity, group);
  if (identityIssues.length > 0) return { issues: [...identityIssues, ...('issues' in parsed ? parsed.issues : [])] };
  return parsed;
}

/**
 * Reads a request body for the operator API, as the Lambda handler and the local drill server receive it: bounded
 * (MAX_BODY_BYTES) before anything is parsed, strict UTF-8, then JSON. Answers the value, or the 400 to send.
 *
 * @example
 * const body = parseOperatorBody(event.body, event.isBase64Encoded);
 * if ('status' in body) return reply(body);
 */
export function parseOperatorBody(text: string | Uint8Array | undefined, base64 = false): { value: unknown } | OperatorResponse {
  if (text === undefined || text.length === 0) return { value: undefined };
  const bytes = typeof text === 'string' ? Buffer.from(text, base64 ? 'base64' : 'utf8') : text;
  if (bytes.length > MAX_BODY_BYTES) {
    return failure(400, 'bad-request', 'the body is too large; nothing changed', [
      `body: is larger than the ${MAX_BODY_BYTES}-byte limit (a command is a few hundred bytes; its reason at most ${MAX_REASON_BYTES})`,
    ]);
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failure(400, 'bad-request', 'the body is not UTF-8; nothing changed', ['body: is not valid UTF-8']);
  }
  try {
    return { value: JSON.parse(decoded) as unknown };
  } catch (error) {
    return failure(400, 'bad-request', 'the body is not JSON; nothing changed', [`body: ${excerpt((error as Error).message)}`]);
  }
}

function idempotencyIssues(key: string | undefined): string[] {
  if (key === undefined || key === '') return ['Idempotency-Key: header is required: it makes a retried request act once (fcp sends one)'];
  if (!COMMAND_ID.test(key)) return ['Idempotency-Key: must be 8 to 128 letters, digits, ".", "_", ":" or "-" (a UUID works)'];
  return [];
}

function sameCommand(stored: StoredCommand, command: OperatorCommand): boolean {
  return (
    stored.type === command.type &&
    stored.principalArn === command.principalArn &&
    stored.reason === command.reason &&
    stored.targetRegion === command.targetRegion &&
    stored.targetCommandId === command.targetCommandId &&
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
  if (!COMMAND_RULES[parsed.body.type].plannable) {
    return failure(400, 'bad-request', 'the plan query is malformed', [`command: ${parsed.body.type} acts on the command queue, not on the group: there is nothing to plan`]);
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

/** A bounded whole-number query parameter: its default when absent, its bounds, and what it counts (for the message). */
interface IntegerBounds {
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
  readonly what: string;
}

/** `limit` of the history routes: at least one failover (`limit=0` is refused, not turned into the default). */
export const HISTORY_LIMIT: IntegerBounds = { fallback: 20, min: 1, max: 200, what: 'failovers' };
/** `limit` of the events route. */
export const EVENTS_LIMIT: IntegerBounds = { fallback: 50, min: 1, max: 200, what: 'events' };
const EVENT_SEQUENCE: IntegerBounds = { fallback: 0, min: 0, max: 999_999_999_999, what: 'the sequence number of the last event seen' };

/**
 * A whole-number query parameter within its bounds, or the issue naming it: a value out of range is refused, never
 * clamped or replaced by the default, so what a caller asked is what it gets or is told why not.
 */
function queryInteger(query: Readonly<Record<string, string | undefined>>, name: string, bounds: IntegerBounds): number | string {
  const raw = query[name];
  if (raw === undefined) return bounds.fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= bounds.min && value <= bounds.max) return value;
  return `${name}: must be a whole number from ${bounds.min} to ${bounds.max} (${bounds.what}), not ${JSON.stringify(excerpt(raw, 40))}`;
}

function failure(status: number, code: OperatorError['error']['code'], message: string, issues?: readonly string[]): OperatorResponse {
  const body: OperatorError = { error: { code, message, ...(issues === undefined ? {} : { issues }) } };
  return { status, body };
}

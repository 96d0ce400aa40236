import { describeValue } from '../config/issues.js';
import type { GroupConfig } from '../config/schema.js';
import type { OperatorCommand, OperatorCommandType } from '../ports/CommandQueue.js';

/** Longest `reason`, in UTF-8 bytes: it is recorded in the state item, the event log and notifications. */
export const MAX_REASON_BYTES = 1_024;
/** Longest request body the operator API reads, in bytes: the largest valid command is far smaller. */
export const MAX_BODY_BYTES = 8_192;
/** Longest path segment, query value or other identifier the API accepts or echoes. */
export const MAX_NAME_LENGTH = 128;
/** Longest IAM principal ARN (IAM's own limit). */
export const MAX_PRINCIPAL_LENGTH = 2_048;
/** Longest issue line the API and the event log carry: a bad value is quoted, never copied whole. */
export const MAX_ISSUE_LENGTH = 300;

/** Command ids are the caller's Idempotency-Key. */
export const COMMAND_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** What a command type takes besides `reason`; one row per type, so a new type is one more row. */
interface CommandRule {
  /** `targetRegion`: required (with what to say when missing), optional, or not allowed. */
  readonly targetRegion: { readonly required: string } | 'optional' | 'forbidden';
  /** `allowDataLoss`: allowed, or not with why. */
  readonly allowDataLoss: true | { readonly forbidden: string };
  /** `targetCommandId`: the pending command a cancel names. */
  readonly targetCommandId: 'required' | 'forbidden';
  /** Whether `fcp plan --command` can preview it (a cancel acts on the queue, not on the machine). */
  readonly plannable: boolean;
}

const MOVES_NOTHING = (type: string) => ({ forbidden: `applies to failover only (a switchover loses no data; ${type} moves nothing)` });
const PLAIN = (type: string): CommandRule => ({ targetRegion: 'forbidden', allowDataLoss: MOVES_NOTHING(type), targetCommandId: 'forbidden', plannable: true });

export const COMMAND_RULES = {
  failover: { targetRegion: 'optional', allowDataLoss: true, targetCommandId: 'forbidden', plannable: true },
  switchover: {
    targetRegion: { required: 'is required for a switchover: name the region to switch to' },
    allowDataLoss: { forbidden: 'applies to failover only (a switchover loses no data)' },
    targetCommandId: 'forbidden',
    plannable: true,
  },
  approve: PLAIN('approve'),
  reject: PLAIN('reject'),
  abort: PLAIN('abort'),
  retry: PLAIN('retry'),
  pause: PLAIN('pause'),
  resume: PLAIN('resume'),
  acknowledge: PLAIN('acknowledge'),
  reprotect: {
    targetRegion: { required: 'is required for a reprotect: name the region to create the new replica in' },
    allowDataLoss: MOVES_NOTHING('reprotect'),
    targetCommandId: 'forbidden',
    plannable: true,
  },
  cancel: { targetRegion: 'forbidden', allowDataLoss: MOVES_NOTHING('cancel'), targetCommandId: 'required', plannable: false },
} as const satisfies Record<OperatorCommandType, CommandRule>;

export const COMMAND_TYPES = Object.keys(COMMAND_RULES) as OperatorCommandType[];

const TYPES_WITH_TARGET = COMMAND_TYPES.filter((type) => COMMAND_RULES[type].targetRegion !== 'forbidden');

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A command as the API accepts it: the caller's fields, checked; `reason` trimmed. */
export interface CommandBody {
  readonly type: OperatorCommandType;
  readonly reason: string;
  readonly targetRegion?: string;
  readonly allowDataLoss?: boolean;
  readonly targetCommandId?: string;
}

const FIELDS = ['type', 'reason', 'targetRegion', 'allowDataLoss', 'targetCommandId'] as const;

/**
 * One field's check: the value to keep, and why it is refused if it is. A value of the wrong type is `fatal` (the
 * type's rules cannot be judged on it); a well-typed value that breaks a bound is reported and still judged.
 */
type FieldCheck = (value: unknown) => { readonly value?: unknown; readonly issue?: string; readonly fatal?: true };

const mustBe = (kind: string, value: unknown) =>
  ({ issue: value === undefined ? 'is required' : `must be a ${kind} (got ${describeValue(value)})`, fatal: true }) as const;

const FIELD_CHECKS: Record<(typeof FIELDS)[number], FieldCheck> = {
  type: (value) =>
    typeof value === 'string' && (COMMAND_TYPES as readonly string[]).includes(value)
      ? { value }
      : { issue: `must be one of ${COMMAND_TYPES.join(', ')} (got ${describeValue(value)})`, fatal: true },
  reason: (value) => {
    if (typeof value !== 'string') return mustBe('string', value);
    const reason = value.trim();
    if (reason.length === 0) return { value: reason, issue: 'is required and must not be empty: it is recorded with your identity' };
    if (utf8Bytes(reason) > MAX_REASON_BYTES) {
      return {
        value: reason,
        issue: `must be at most ${MAX_REASON_BYTES} bytes (UTF-8): it is stored with the group's state and the event log; link a ticket for more`,
      };
    }
    return { value: reason };
  },
  targetRegion: (value) => {
    if (value === undefined) return { value };
    if (typeof value !== 'string') return mustBe('string', value);
    // Characters are code points (an emoji is one), as the API has always counted them.
    const characters = [...value].length;
    if (characters < 1) return { value, issue: 'must be at least 1 character(s) long' };
    if (characters > MAX_NAME_LENGTH) return { value, issue: `must be at most ${MAX_NAME_LENGTH} character(s) long` };
    return { value };
  },
  allowDataLoss: (value) => (value === undefined || typeof value === 'boolean' ? { value } : mustBe('boolean', value)),
  targetCommandId: (value) => {
    if (value === undefined) return { value };
    if (typeof value !== 'string') return mustBe('string', value);
    if (!COMMAND_ID.test(value)) return { value, issue: 'must be the id of a command (8 to 128 letters, digits, ".", "_", ":" or "-")' };
    return { value };
  },
};

/** What the command's type allows, checked once every field is well formed: one issue per rule broken. */
function ruleIssues(body: CommandBody): string[] {
  const rule: CommandRule = COMMAND_RULES[body.type];
  const issues: string[] = [];
  if (body.targetRegion !== undefined && rule.targetRegion === 'forbidden') {
    issues.push(`targetRegion: applies to ${TYPES_WITH_TARGET.join(' and ')} only, not ${body.type}`);
  }
  if (body.targetRegion === undefined && typeof rule.targetRegion === 'object') issues.push(`targetRegion: ${rule.targetRegion.required}`);
  if (body.allowDataLoss !== undefined && rule.allowDataLoss !== true) issues.push(`allowDataLoss: ${rule.allowDataLoss.forbidden}`);
  if (body.targetCommandId === undefined && rule.targetCommandId === 'required') {
    issues.push(`targetCommandId: is required for a ${body.type}: name the pending command (fcp commands <group>)`);
  }
  if (body.targetCommandId !== undefined && rule.targetCommandId === 'forbidden') issues.push(`targetCommandId: applies to cancel only, not ${body.type}`);
  return issues;
}

/**
 * Checks a command body (or a stored command's fields) against the rules: one line per problem, each naming its
 * field, each at most MAX_ISSUE_LENGTH characters (a bad value is quoted, never copied whole). Field by field first
 * (then unknown keys); the rules of the command's type only once every field is well formed. With a group, a
 * target region must be one of its regions. Written by hand, not with a schema library: the orchestrator checks every
 * stored command with it, and its Lambda bundle carries no zod.
 *
 * @example
 * parseCommand({ type: 'pause', reason: 'x'.repeat(2_000) }, group); // { issues: ['reason: must be at most 1024 bytes ...'] }
 */
export function parseCommand(body: unknown, group: GroupConfig | undefined): { body: CommandBody } | { issues: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: [`(top level): ${body === undefined ? 'is required' : `must be an object (got ${describeValue(body)})`}`].map(boundIssue) };
  }
  const input = body as Record<string, unknown>;
  const issues: string[] = [];
  const parsed: Record<string, unknown> = {};
  let fatal = false;
  for (const field of FIELDS) {
    const checked = FIELD_CHECKS[field](input[field]);
    if (checked.issue !== undefined) issues.push(`${field}: ${checked.issue}`);
    if (checked.fatal === true) fatal = true;
    else if (Object.hasOwn(input, field)) parsed[field] = checked.value;
  }
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) issues.push(`${key}: unknown key (not part of the configuration schema)`);
  }
  const command = parsed as unknown as CommandBody;
  if (!fatal) issues.push(...ruleIssues(command));
  if (issues.length > 0) return { issues: issues.map(boundIssue) };
  const broken: string[] = [];
  if (group !== undefined && command.targetRegion !== undefined && group.regions[command.targetRegion] === undefined) {
    broken.push(boundIssue(`targetRegion: ${command.targetRegion} is not a region of group ${group.id} (regions: ${Object.keys(group.regions).join(', ')})`));
  }
  return broken.length > 0 ? { issues: broken } : { body: command };
}

/**
 * Why a command read back from the queue cannot be applied, or an empty list: the same rules as the API, plus the
 * fields the API sets itself (a command written by an older version, by hand or by a drill is checked all the same).
 *
 * @example
 * storedCommandIssues(command, group); // ['reason: must be at most 1024 bytes ...'] for a 150 KB reason
 */
export function storedCommandIssues(command: OperatorCommand, group: GroupConfig): string[] {
  const { type, reason, targetRegion, allowDataLoss, targetCommandId } = command;
  const fields = { type, reason, targetRegion, allowDataLoss, targetCommandId };
  const parsed = parseCommand(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)), group);
  const issues = 'issues' in parsed ? parsed.issues : [];
  if (typeof command.principalArn !== 'string' || command.principalArn.length === 0 || command.principalArn.length > MAX_PRINCIPAL_LENGTH) {
    issues.push(`principalArn: must be an IAM ARN of at most ${MAX_PRINCIPAL_LENGTH} characters`);
  }
  if (command.drillScenario !== undefined && (typeof command.drillScenario !== 'string' || command.drillScenario.length > MAX_NAME_LENGTH)) {
    issues.push(`drillScenario: must be a scenario name of at most ${MAX_NAME_LENGTH} characters`);
  }
  return issues;
}

/** An issue line cut to MAX_ISSUE_LENGTH characters. */
export function boundIssue(issue: string): string {
  return issue.length <= MAX_ISSUE_LENGTH ? issue : `${issue.slice(0, MAX_ISSUE_LENGTH - 1)}…`;
}

/** A text cut to `max` characters for a log line or an echo, saying how long it was. */
export function excerpt(text: string, max = MAX_ISSUE_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

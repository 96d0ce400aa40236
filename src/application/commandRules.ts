import * as z from 'zod';
import { configErrorMap, formatIssues } from '../config/issues.js';
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

const Reason = z
  .string()
  .trim()
  .min(1, 'is required and must not be empty: it is recorded with your identity')
  .refine((reason) => utf8Bytes(reason) <= MAX_REASON_BYTES, {
    message: `must be at most ${MAX_REASON_BYTES} bytes (UTF-8): it is stored with the group's state and the event log; link a ticket for more`,
  });

export const CommandBodySchema = z
  .strictObject({
    type: z.enum(COMMAND_TYPES as [OperatorCommandType, ...OperatorCommandType[]]),
    reason: Reason,
    targetRegion: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    allowDataLoss: z.boolean().optional(),
    targetCommandId: z.string().regex(COMMAND_ID, 'must be the id of a command (8 to 128 letters, digits, ".", "_", ":" or "-")').optional(),
  })
  .superRefine((body, ctx) => {
    const rule: CommandRule = COMMAND_RULES[body.type];
    if (body.targetRegion !== undefined && rule.targetRegion === 'forbidden') {
      ctx.addIssue({ code: 'custom', path: ['targetRegion'], message: `applies to ${TYPES_WITH_TARGET.join(' and ')} only, not ${body.type}` });
    }
    if (body.targetRegion === undefined && typeof rule.targetRegion === 'object') {
      ctx.addIssue({ code: 'custom', path: ['targetRegion'], message: rule.targetRegion.required });
    }
    if (body.allowDataLoss !== undefined && rule.allowDataLoss !== true) {
      ctx.addIssue({ code: 'custom', path: ['allowDataLoss'], message: rule.allowDataLoss.forbidden });
    }
    if (body.targetCommandId === undefined && rule.targetCommandId === 'required') {
      ctx.addIssue({ code: 'custom', path: ['targetCommandId'], message: `is required for a ${body.type}: name the pending command (fcp commands <group>)` });
    }
    if (body.targetCommandId !== undefined && rule.targetCommandId === 'forbidden') {
      ctx.addIssue({ code: 'custom', path: ['targetCommandId'], message: `applies to cancel only, not ${body.type}` });
    }
  });

export type CommandBody = z.infer<typeof CommandBodySchema>;

/**
 * Checks a command body (or a stored command's fields) against the rules: one line per problem, each naming its
 * field, each at most MAX_ISSUE_LENGTH characters (a bad value is quoted, never copied whole). With a group, a
 * target region must be one of its regions.
 *
 * @example
 * parseCommand({ type: 'pause', reason: 'x'.repeat(2_000) }, group); // { issues: ['reason: must be at most 1024 bytes ...'] }
 */
export function parseCommand(body: unknown, group: GroupConfig | undefined): { body: CommandBody } | { issues: string[] } {
  const result = CommandBodySchema.safeParse(body, { error: configErrorMap });
  const issues = result.success ? [] : formatIssues(result.error.issues).map(boundIssue);
  const target = result.success ? result.data.targetRegion : undefined;
  if (group !== undefined && target !== undefined && group.regions[target] === undefined) {
    issues.push(`targetRegion: ${target} is not a region of group ${group.id} (regions: ${Object.keys(group.regions).join(', ')})`);
  }
  if (issues.length > 0 || !result.success) return { issues };
  return { body: result.data };
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

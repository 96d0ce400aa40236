import type { z } from 'zod';

/**
 * Turns zod issues into the one-line-per-problem form operators read: `groups[0].regions.eu-west-1.database: reason`.
 */

/**
 * Renders a zod path the way the configuration file reads: indexes in brackets, keys after dots.
 *
 * @example
 * formatPath(['groups', 0, 'regions', 'eu-west-1', 'database']); // 'groups[0].regions.eu-west-1.database'
 */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/**
 * A parse-time error map: plain reasons in place of zod's generic defaults. Messages written on the schema win.
 * Returns undefined to keep zod's default for issues it does not improve.
 *
 * @example
 * ControlPlaneConfigSchema.safeParse(data, { error: configErrorMap });
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)} ${issue.expected} (got ${describeValue(issue.input)})`;
    case 'too_small':
      if (issue.origin === 'number') {
        return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
      }
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return `must be at least ${issue.minimum} character(s) long`;
      return undefined;
    case 'too_big':
      if (issue.origin === 'number') {
        return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
      }
      if (issue.origin === 'string') return `must be at most ${issue.maximum} character(s) long`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return undefined;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((value) => String(value)).join(', ')} (got ${describeValue(issue.input)})`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
};

/**
 * One line per problem. An unknown key is reported at its own path, so the line names the offending field.
 *
 * @example
 * formatIssues(result.error.issues); // ['groups[0].policy.failureThreshold: must be at least 1']
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key (not part of the configuration schema)`);
      case 'invalid_key':
        return [`${formatPath(issue.path)}: invalid key: ${issue.issues.map((inner) => inner.message).join('; ')}`];
      case 'invalid_union':
        // A union whose branches all failed: report the branch that got furthest (fewest problems).
        if (issue.errors.length > 0) {
          const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
          return formatIssues(closest.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
        }
        return [`${formatPath(issue.path)}: ${issue.message}`];
      default:
        return [`${formatPath(issue.path)}: ${issue.message}`];
    }
  });
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/**
 * A value as an issue line quotes it: strings in quotes, objects and lists by kind.
 *
 * @example
 * describeValue('yes'); // '"yes"'
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

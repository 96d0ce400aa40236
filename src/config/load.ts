import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ValidationError } from '../domain/errors.js';
import { configErrorMap, formatIssues } from './issues.js';
import { ControlPlaneConfigSchema } from './schema.js';
import type { ControlPlaneConfig } from './schema.js';

export type ConfigFormat = 'yaml' | 'json';

/**
 * Parses and validates a configuration text, applying defaults.
 * Throws `ValidationError` whose `issues` hold one line per problem: `groups[0].regions.eu-west-1.database: reason`,
 * or `line 3, column 5: reason` for a syntax error.
 *
 * @example
 * const config = parseConfig(await readFile('config/drill.yaml', 'utf8'), 'yaml');
 * config.groups[0]?.policy.probeIntervalSeconds; // 5
 */
export function parseConfig(text: string, format: ConfigFormat, source = `${format} configuration`): ControlPlaneConfig {
  const data = format === 'yaml' ? parseYaml(text, source) : parseJson(text, source);
  const result = ControlPlaneConfigSchema.safeParse(data, { error: configErrorMap });
  if (!result.success) {
    throw new ValidationError(`${source} is not a valid control-plane configuration`, formatIssues(result.error.issues), {
      cause: result.error,
    });
  }
  return result.data;
}

/**
 * Reads a configuration file; `.json` files are parsed as JSON, anything else as YAML.
 * A file that cannot be read is reported as a `ValidationError` too, so callers handle one kind of failure.
 *
 * @example
 * const config = await loadConfig('config/example.yaml');
 */
export async function loadConfig(path: string): Promise<ControlPlaneConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read configuration file ${path}`, [error instanceof Error ? error.message : String(error)], {
      cause: error,
    });
  }
  return parseConfig(text, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml', path);
}

function parseYaml(text: string, source: string): unknown {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      // yaml appends " at line L, column C:" and a code excerpt; keep the reason and put the position first.
      const reason = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      const position = error.linePos?.[0];
      return position === undefined ? reason : `line ${position.line}, column ${position.col}: ${reason}`;
    });
    throw new ValidationError(`${source} is not valid YAML`, issues);
  }
  return document.toJS();
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const offset = position?.[1] === undefined ? undefined : Number(position[1]);
    const issue = offset === undefined ? message : `${lineAndColumn(text, offset)}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
    throw new ValidationError(`${source} is not valid JSON`, [issue], { cause: error });
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { ValidationError } from '../domain/errors.js';
import type { ControlPlaneConfig } from './schema.js';

/** The configuration's file name inside each Lambda artifact; serverless.yml points FCP_CONFIG at it. */
export const PACKAGED_CONFIG_FILE = 'config.json';

/** Marks a file written by `packageConfig`; a new version is refused by older code rather than misread. */
const FORMAT = 'fcp-packaged-config/1';

interface PackagedConfig {
  readonly format: typeof FORMAT;
  /** The file it was validated from, for error messages and for a person reading the artifact. */
  readonly source: string;
  readonly config: ControlPlaneConfig;
}

/**
 * The text of a packaged configuration: a configuration already validated (by `loadConfig`, defaults applied) as JSON,
 * so a Lambda reads it with `JSON.parse` at cold start, without the YAML parser and the schema library in its bundle.
 * Throws when the configuration does not survive JSON unchanged (nothing in the schema should make that happen).
 *
 * @example
 * await writeFile('.esbuild/probe/config.json', packageConfig(await loadConfig('config/example.yaml'), 'config/example.yaml'));
 */
export function packageConfig(config: ControlPlaneConfig, source: string): string {
  const packaged: PackagedConfig = { format: FORMAT, source, config };
  const text = JSON.stringify(packaged);
  if (!isDeepStrictEqual((JSON.parse(text) as PackagedConfig).config, config)) {
    throw new Error(`${source}: the validated configuration does not survive JSON unchanged; it cannot be packaged`);
  }
  return text;
}

/**
 * Reads a configuration written by `packageConfig`. It was validated when it was packaged, so only its envelope is
 * checked: a file that is not a packaged configuration (a YAML or a hand-written JSON configuration) is refused by
 * name, never used unchecked.
 *
 * @example
 * const config = await loadPackagedConfig('config.json');
 */
export async function loadPackagedConfig(path: string): Promise<ControlPlaneConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read configuration file ${path}`, [error instanceof Error ? error.message : String(error)], { cause: error });
  }
  return parsePackagedConfig(text, path);
}

/**
 * The configuration inside a packaged configuration's text; see `loadPackagedConfig`.
 *
 * @example
 * parsePackagedConfig(packageConfig(config, 'orders.yaml'), 'config.json'); // deep-equals config
 */
export function parsePackagedConfig(text: string, source: string): ControlPlaneConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    data = undefined;
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (!isPackaged(data)) {
    throw new ValidationError(`${source} is not a packaged configuration`, [
      `${source}: expected the JSON that scripts/package.mjs writes after validating the configuration (format ${FORMAT}); package the configuration with it`,
    ]);
  }
  return data.config;
}

function isPackaged(data: unknown): data is PackagedConfig {
  if (typeof data !== 'object' || data === null) return false;
  const { format, config } = data as Record<string, unknown>;
  return format === FORMAT && typeof config === 'object' && config !== null;
}

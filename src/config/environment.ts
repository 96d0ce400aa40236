import { ValidationError } from '../domain/errors.js';
import type { RegionName } from '../domain/types.js';

/**
 * The environment names of every deployed entry point, in one place: the Lambda functions (serverless.yml sets them)
 * and `fcp drill` (an operator's shell) read the same names.
 */
export const ENV = {
  /** The configuration file. In a Lambda: the packaged `config.json` beside the code, relative to the working directory. */
  config: 'FCP_CONFIG',
  /** The control-plane state table. */
  tableName: 'FCP_TABLE_NAME',
  /** Where the table lives (the control-plane region, which observers elsewhere write across to); else AWS_REGION. */
  tableRegion: 'FCP_TABLE_REGION',
  /** The probe's own observer region: one of `fleet.observerRegions`. */
  observerRegion: 'FCP_OBSERVER_REGION',
  /** Another DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local. */
  dynamoDbEndpoint: 'FCP_DYNAMODB_ENDPOINT',
} as const;

export type Environment = Readonly<Record<string, string | undefined>>;

/** A deployed function's settings, checked. */
export interface DeployedSettings {
  readonly configPath: string;
  readonly tableName: string;
  readonly tableRegion: RegionName;
  readonly dynamoDbEndpoint?: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * Checks a deployed function's environment by hand (no schema library on a Lambda's cold start), naming every
 * missing or malformed variable at once in a `ValidationError`. `AWS_REGION` (set by Lambda) stands in for an unset
 * `FCP_TABLE_REGION`. `regions` names further required variables that hold a region (the probe's observer region).
 *
 * @example
 * const settings = readDeployedSettings(process.env, 'orchestrate');
 * readDeployedSettings(process.env, 'probe', [ENV.observerRegion]); // also requires FCP_OBSERVER_REGION, a region name
 */
export function readDeployedSettings(env: Environment, functionName: string, regions: readonly string[] = []): DeployedSettings {
  const issues: string[] = [];
  const configPath = present(env, ENV.config, 'is required (the packaged configuration file, config.json in each artifact)', issues);
  const tableName = present(env, ENV.tableName, 'is required (the name of the control-plane state table)', issues);
  for (const name of regions) present(env, name, 'is required (the region this probe observes from)', issues);
  const tableRegion = env[ENV.tableRegion] ?? env.AWS_REGION;
  if (tableRegion === undefined || tableRegion === '') issues.push(`${ENV.tableRegion}: is required when AWS_REGION is not set`);
  for (const name of [ENV.tableRegion, 'AWS_REGION', ...regions]) {
    const value = env[name];
    if (value !== undefined && value !== '' && !REGION.test(value)) issues.push(`${name}: must be an AWS region name such as eu-west-1`);
  }
  const endpoint = env[ENV.dynamoDbEndpoint];
  if (endpoint !== undefined && !URL.canParse(endpoint)) issues.push(`${ENV.dynamoDbEndpoint}: must be a URL such as http://127.0.0.1:8000`);
  if (issues.length > 0 || configPath === undefined || tableName === undefined || tableRegion === undefined) {
    throw new ValidationError(`the ${functionName} function's environment is incomplete`, issues);
  }
  return { configPath, tableName, tableRegion, ...(endpoint === undefined ? {} : { dynamoDbEndpoint: endpoint }) };
}

function present(env: Environment, name: string, reason: string, issues: string[]): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') {
    issues.push(`${name}: ${reason}`);
    return undefined;
  }
  return value;
}

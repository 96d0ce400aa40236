import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { clientConfig } from './adapters/aws/clientConfig.js';
import { AwsDatabase } from './adapters/aws/database.js';
import { systemClock } from './adapters/aws/databaseConfig.js';
import { createDynamoDbStores } from './adapters/aws/dynamodb/index.js';
import { Route53Traffic } from './adapters/aws/route53/Route53Traffic.js';
import { SnsNotifier } from './adapters/aws/sns/SnsNotifier.js';
import { HttpProber } from './adapters/http/HttpProber.js';
import type { ExecutorDeps } from './application/executor.js';
import type { ProbeDeps } from './application/probeRound.js';
import { formatIssues } from './config/issues.js';
import { loadConfig, parseConfig } from './config/load.js';
import type { ControlPlaneConfig } from './config/schema.js';
import { ValidationError } from './domain/errors.js';
import type { RegionName } from './domain/types.js';

/**
 * The composition root: the one place that builds real AWS adapters, from the Lambda's environment variables.
 * Handlers call it once per cold start; tests build the same dependency shapes from in-memory doubles instead.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

const CommonEnvironment = z
  .object({
    /** The configuration file bundled beside the code (serverless.yml sets `config.yaml`); relative to the cwd. */
    CONFIG_PATH: z.string().min(1).optional(),
    /** The configuration inline, as JSON: for local runs and tests. Wins over CONFIG_PATH. */
    CONFIG_JSON: z.string().min(1).optional(),
    TABLE_NAME: z.string({ error: 'is required (the control-plane state table)' }).min(1),
    /** Where the table lives: the control-plane region, which observers in other regions write across to. */
    TABLE_REGION: region.optional(),
    /** Set by Lambda; the region this function runs in. */
    AWS_REGION: region.optional(),
    /** E.g. http://127.0.0.1:8000 for DynamoDB Local. */
    DYNAMODB_ENDPOINT: z.url().optional(),
  })
  .refine((env) => env.CONFIG_PATH !== undefined || env.CONFIG_JSON !== undefined, {
    message: 'is required: set CONFIG_PATH (a configuration file) or CONFIG_JSON (the configuration inline)',
    path: ['CONFIG_PATH'],
  })
  .refine((env) => env.TABLE_REGION !== undefined || env.AWS_REGION !== undefined, {
    message: 'is required when AWS_REGION is not set',
    path: ['TABLE_REGION'],
  });

const ProbeEnvironment = CommonEnvironment.and(
  z.object({ OBSERVER_REGION: z.string({ error: 'is required (the region this probe observes from)' }).pipe(region) }),
);

export interface ProbeRuntime {
  readonly deps: ProbeDeps;
  /** The region this probe reports as: one of `fleet.observerRegions`. */
  readonly observerRegion: RegionName;
}

/**
 * Builds the probe's dependencies from the environment: configuration, HTTP prober, AWS database adapter,
 * and the observation and fault stores on the control-plane table.
 * Throws `ValidationError` naming every missing or malformed variable, or a configuration problem.
 *
 * @example
 * const { deps, observerRegion } = await buildProbeDeps(process.env);
 * await runProbeRounds(deps, { observerRegion, deadline: Date.now() + 50_000 });
 */
export async function buildProbeDeps(env: Environment): Promise<ProbeRuntime> {
  const settings = parseEnvironment(ProbeEnvironment, env, 'probe');
  const config = await configFrom(settings);
  const observerRegion = settings.OBSERVER_REGION;
  if (!config.fleet.observerRegions.includes(observerRegion)) {
    throw new ValidationError('the probe function is deployed to an observer region the configuration does not list', [
      `OBSERVER_REGION: ${observerRegion} is not one of fleet.observerRegions (${config.fleet.observerRegions.join(', ')}); its reports would never count`,
    ]);
  }
  const stores = createDynamoDbStores({ tableName: settings.TABLE_NAME, client: dynamoDbClient(settings) });
  return {
    observerRegion,
    deps: {
      config,
      prober: new HttpProber(),
      database: awsDatabase(),
      observations: stores.observationStore,
      faults: stores.faultStore,
      clock: systemClock,
    },
  };
}

/**
 * Builds the executor's dependencies from the environment: every storage port on the state table, the AWS database,
 * Route 53 traffic, SNS notifier, HTTP prober (for verification) and the wall clock. The caller adds its logger.
 *
 * @example
 * const deps = await buildExecutorDeps(process.env);
 * await orchestrate({ ...deps, logger }, { owner: context.awsRequestId, deadline });
 */
export async function buildExecutorDeps(env: Environment): Promise<ExecutorDeps> {
  const settings = parseEnvironment(CommonEnvironment, env, 'orchestrate');
  const config = await configFrom(settings);
  const stores = createDynamoDbStores({ tableName: settings.TABLE_NAME, client: dynamoDbClient(settings) });
  return {
    config,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
    database: awsDatabase(),
    traffic: new Route53Traffic((apiRegion) => new Route53Client(clientConfig(apiRegion))),
    notifier: new SnsNotifier((topicRegion) => new SNSClient(clientConfig(topicRegion))),
    prober: new HttpProber(),
    clock: systemClock,
  };
}

function parseEnvironment<T>(schema: z.ZodType<T>, env: Environment, functionName: string): T {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ValidationError(`the ${functionName} function's environment is incomplete`, formatIssues(result.error.issues));
  }
  return result.data;
}

async function configFrom(settings: z.infer<typeof CommonEnvironment>): Promise<ControlPlaneConfig> {
  if (settings.CONFIG_JSON !== undefined) return parseConfig(settings.CONFIG_JSON, 'json', 'CONFIG_JSON');
  // The refinement above guarantees one of the two is set.
  return loadConfig(resolve(settings.CONFIG_PATH as string));
}

function dynamoDbClient(settings: z.infer<typeof CommonEnvironment>): DynamoDBClient {
  const tableRegion = (settings.TABLE_REGION ?? settings.AWS_REGION) as string;
  return new DynamoDBClient({
    ...clientConfig(tableRegion),
    ...(settings.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: settings.DYNAMODB_ENDPOINT }),
  });
}

function awsDatabase(): AwsDatabase {
  return new AwsDatabase({
    rds: (databaseRegion) => new RDSClient(clientConfig(databaseRegion)),
    cloudWatch: (metricRegion) => new CloudWatchClient(clientConfig(metricRegion)),
  });
}

import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { clientConfig } from './adapters/aws/clientConfig.js';
import { AwsDatabase } from './adapters/aws/database.js';
import { systemClock } from './adapters/aws/databaseConfig.js';
import { createDynamoDbStores } from './adapters/aws/dynamodb/index.js';
import { ArcRoutingControlTraffic, isRoutingControlChange } from './adapters/aws/arc/ArcRoutingControlTraffic.js';
import { Route53Traffic } from './adapters/aws/route53/Route53Traffic.js';
import { IamPermissionSimulator } from './adapters/aws/iam/IamPermissionSimulator.js';
import { SnsNotifier } from './adapters/aws/sns/SnsNotifier.js';
import { SnsTopicInspector } from './adapters/aws/sns/SnsTopicInspector.js';
import { AuthoritativeAnswers } from './adapters/dns/AuthoritativeAnswers.js';
import { TrafficBySwitch } from './adapters/dns/TrafficBySwitch.js';
import { HttpProber } from './adapters/http/HttpProber.js';
import type { DoctorDeps } from './application/doctor.js';
import type { ExecutorDeps } from './application/executor.js';
import type { ProbeDeps } from './application/probeRound.js';
import { trackedDatabase } from './application/trackedDatabase.js';
import type { DatabaseProbe } from './ports/DatabaseProbe.js';
import { formatIssues } from './config/issues.js';
import { loadConfig, parseConfig } from './config/load.js';
import { roleName } from './config/roleNames.js';
import { controlPlaneRegionsOf, type ControlPlaneConfig } from './config/schema.js';
import { ValidationError } from './domain/errors.js';
import type { RegionName } from './domain/types.js';

/**
 * The composition root: the one place that builds real AWS adapters, from the Lambda's environment variables.
 * Handlers call it once per cold start; tests build the same dependency shapes from in-memory doubles instead.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

const CommonEnvironment = z.object({
  /** The configuration file bundled beside the code (serverless.yml sets `config.yaml`); relative to the cwd. */
  CONFIG_PATH: z.string().min(1).optional(),
  /** The configuration inline, as JSON: for local runs and tests. Wins over CONFIG_PATH. */
  CONFIG_JSON: z.string().min(1).optional(),
  TABLE_NAME: z.string({ error: 'is required (the name of the control-plane state table)' }).min(1),
  /** Where the table lives: the control-plane region, which observers in other regions write across to. */
  TABLE_REGION: region.optional(),
  /** Set by Lambda: the region this function runs in. */
  AWS_REGION: region.optional(),
  /** E.g. http://127.0.0.1:8000 for DynamoDB Local. */
  DYNAMODB_ENDPOINT: z.url().optional(),
});

const ProbeEnvironment = CommonEnvironment.extend({
  OBSERVER_REGION: z.string({ error: 'is required (the region this probe observes from)' }).pipe(region),
});

/** The environment, checked: where the configuration comes from and where the table is. */
interface Settings {
  readonly config: { readonly json: string } | { readonly path: string };
  readonly tableName: string;
  readonly tableRegion: RegionName;
  readonly dynamoDbEndpoint?: string;
}

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
export async function buildProbeDeps(env: Environment, options: ProbeBuildOptions = {}): Promise<ProbeRuntime> {
  const [settings, { OBSERVER_REGION: observerRegion }] = parseEnvironment(ProbeEnvironment, env, 'probe');
  const config = await configFrom(settings);
  if (!config.fleet.observerRegions.includes(observerRegion)) {
    throw new ValidationError('the probe function is deployed to an observer region the configuration does not list', [
      `OBSERVER_REGION: ${observerRegion} is not one of fleet.observerRegions (${config.fleet.observerRegions.join(', ')}); its reports would never count`,
    ]);
  }
  const stores = createDynamoDbStores({ tableName: settings.tableName, client: dynamoDbClient(settings), region: settings.tableRegion });
  const databaseProbe = buildDatabaseProbe(config, options.createDatabaseProbe);
  return {
    observerRegion,
    deps: {
      config,
      prober: new HttpProber(),
      // The probe reaches the database the group record tracks for a region after a reprotect, not the configured one.
      database: trackedDatabase(awsDatabase(), stores.stateStore, systemClock),
      ...(databaseProbe === undefined ? {} : { databaseProbe }),
      observations: stores.observationStore,
      faults: stores.faultStore,
      clock: systemClock,
    },
  };
}

export interface ProbeBuildOptions {
  /** Builds the data-plane database check (the PostgreSQL adapter); called only when some region configures one. */
  readonly createDatabaseProbe?: (config: ControlPlaneConfig) => DatabaseProbe;
}

/**
 * The composition hook for the data-plane database check: undefined, and nothing built, when no region configures
 * `database.connectionCheck`. Where one does, `create` builds the adapter; a configuration that asks for a check this
 * build cannot make is refused at start-up, naming each region, rather than probing without the check it asked for.
 *
 * Network access the check needs (docs/configuration.md): the probe function in every observer region must reach each
 * configured `host:port` over TCP (VPC attachment, routing or peering to the database's VPC, a security group rule
 * from the probe's subnets), plus Secrets Manager or the RDS IAM token signer as `passwordFrom` says.
 *
 * @example
 * const databaseProbe = buildDatabaseProbe(config, (config) => new PostgresDatabaseProbe(config));
 */
export function buildDatabaseProbe(
  config: ControlPlaneConfig,
  create?: (config: ControlPlaneConfig) => DatabaseProbe,
): DatabaseProbe | undefined {
  const configured = config.groups.flatMap((group) =>
    Object.entries(group.regions)
      .filter(([, region]) => region.database.connectionCheck !== undefined)
      .map(([name]) => `${group.id}: regions.${name}.database.connectionCheck`),
  );
  if (configured.length === 0) return undefined;
  if (create === undefined) {
    throw new ValidationError(
      'database.connectionCheck is configured but this build of the probe has no database connection-check adapter',
      configured.map((path) => `${path}: no adapter to run it; remove it or deploy a build that has one`),
    );
  }
  return create(config);
}

/**
 * Builds the executor's dependencies from the environment: every storage port on the state table, the AWS database,
 * each group's traffic switch (Route 53 record or ARC routing controls), SNS notifier, HTTP prober (for verification) and the wall clock. The caller adds its logger.
 *
 * @example
 * const deps = await buildExecutorDeps(process.env);
 * await orchestrate({ ...deps, logger }, { owner: context.awsRequestId, deadline });
 */
export async function buildExecutorDeps(env: Environment): Promise<ExecutorDeps> {
  const [settings] = parseEnvironment(CommonEnvironment, env, 'orchestrate');
  const config = await configFrom(settings);
  const stores = createDynamoDbStores({ tableName: settings.tableName, client: dynamoDbClient(settings), region: settings.tableRegion });
  return {
    config,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
    database: awsDatabase(),
    traffic: trafficFor(config),
    notifier: new SnsNotifier((topicRegion) => new SNSClient(clientConfig(topicRegion))),
    prober: new HttpProber(),
    clock: systemClock,
  };
}

/** Where `fcp doctor` finds the deployment it checks. */
export interface DoctorTarget {
  readonly configPath: string;
  readonly tableName: string;
  /** The state table's region (the control-plane region). */
  readonly tableRegion: RegionName;
  /** The deployment's stage: it names the roles (src/config/roleNames.ts). */
  readonly stage: string;
  /** The account the stacks are deployed in. */
  readonly account: string;
}

/**
 * Builds what `fcp doctor` reads, with the operator's own credentials (default chain): the state table, the AWS
 * database and traffic adapters the executor uses, IAM's policy simulator and SNS topic attributes.
 *
 * @example
 * const report = await runDoctor(await buildDoctorDeps({ configPath, tableName, tableRegion, stage: 'staging', account }));
 */
export async function buildDoctorDeps(target: DoctorTarget): Promise<DoctorDeps> {
  const config = await loadConfig(resolve(target.configPath));
  const stores = createDynamoDbStores({ tableName: target.tableName, region: target.tableRegion });
  const controlPlaneRegions = controlPlaneRegionsOf(config.fleet);
  const partition = config.groups[0]?.notifications.topicArn.split(':')[1] ?? 'aws';
  const roleArn = (fn: 'orchestrate' | 'operator' | 'probe', region: RegionName) =>
    `arn:${partition}:iam::${target.account}:role/${roleName(target.stage, fn, region)}`;
  return {
    config,
    clock: systemClock,
    stateStore: stores.stateStore,
    observations: stores.observationStore,
    database: awsDatabase(),
    traffic: trafficFor(config),
    // IAM is global; its API answers in us-east-1 (aws partition).
    permissions: new IamPermissionSimulator(new IAMClient(clientConfig('us-east-1'))),
    topics: new SnsTopicInspector((topicRegion) => new SNSClient(clientConfig(topicRegion))),
    roles: {
      orchestrator: roleArn('orchestrate', config.fleet.controlPlaneRegion),
      operator: roleArn('operator', config.fleet.controlPlaneRegion),
      probe: (observerRegion) => roleArn('probe', observerRegion),
    },
    // Each function uses the table's replica in its own region; an observer elsewhere writes to the control-plane region.
    tableArn: (region) =>
      `arn:${partition}:dynamodb:${controlPlaneRegions.includes(region) ? region : config.fleet.controlPlaneRegion}:${target.account}:table/${target.tableName}`,
  };
}

/**
 * Checks the environment against `schema` and the either-or rules, reporting every problem at once.
 * Answers the common settings and the schema's parsed output (for function-specific variables).
 */
function parseEnvironment<T extends z.infer<typeof CommonEnvironment>>(
  schema: z.ZodType<T>,
  env: Environment,
  functionName: string,
): [Settings, T] {
  const result = schema.safeParse(env);
  const issues = result.success ? [] : formatIssues(result.error.issues);
  if (env.CONFIG_PATH === undefined && env.CONFIG_JSON === undefined) {
    issues.push('CONFIG_PATH: is required: set CONFIG_PATH (a configuration file) or CONFIG_JSON (the configuration inline)');
  }
  if (env.TABLE_REGION === undefined && env.AWS_REGION === undefined) {
    issues.push('TABLE_REGION: is required when AWS_REGION is not set');
  }
  if (!result.success || issues.length > 0) {
    throw new ValidationError(`the ${functionName} function's environment is incomplete`, issues);
  }
  const parsed = result.data;
  const tableRegion = parsed.TABLE_REGION ?? parsed.AWS_REGION;
  const config = parsed.CONFIG_JSON !== undefined ? { json: parsed.CONFIG_JSON } : parsed.CONFIG_PATH !== undefined ? { path: parsed.CONFIG_PATH } : undefined;
  // Unreachable after the checks above; narrows the types without a cast.
  if (tableRegion === undefined || config === undefined) throw new Error('environment check out of step with its schema');
  const settings: Settings = {
    config,
    tableName: parsed.TABLE_NAME,
    tableRegion,
    ...(parsed.DYNAMODB_ENDPOINT === undefined ? {} : { dynamoDbEndpoint: parsed.DYNAMODB_ENDPOINT }),
  };
  return [settings, parsed];
}

async function configFrom(settings: Settings): Promise<ControlPlaneConfig> {
  if ('json' in settings.config) return parseConfig(settings.config.json, 'json', 'CONFIG_JSON');
  return loadConfig(resolve(settings.config.path));
}

function dynamoDbClient(settings: Settings): DynamoDBClient {
  return new DynamoDBClient({
    ...clientConfig(settings.tableRegion),
    ...(settings.dynamoDbEndpoint === undefined ? {} : { endpoint: settings.dynamoDbEndpoint }),
  });
}

/**
 * Each group's traffic switch (`dns.switch`): the Route 53 record flip, or ARC routing controls through the
 * cluster's regional endpoints (one client per endpoint, signed for the endpoint's region).
 */
function trafficFor(config: ControlPlaneConfig): TrafficBySwitch {
  const arcClients = new Map<string, Route53RecoveryClusterClient>();
  const arc = new ArcRoutingControlTraffic({
    client: ({ region: endpointRegion, endpoint }) => {
      let client = arcClients.get(endpoint);
      if (client === undefined) {
        client = new Route53RecoveryClusterClient({ ...clientConfig(endpointRegion), endpoint });
        arcClients.set(endpoint, client);
      }
      return client;
    },
    dns: new AuthoritativeAnswers(),
    groups: (groupId) => config.groups.find((group) => group.id === groupId),
  });
  return new TrafficBySwitch(
    { record: new Route53Traffic((apiRegion) => new Route53Client(clientConfig(apiRegion))), 'arc-routing-control': arc },
    isRoutingControlChange,
  );
}

function awsDatabase(): AwsDatabase {
  return new AwsDatabase({
    rds: (databaseRegion) => new RDSClient(clientConfig(databaseRegion)),
    cloudWatch: (metricRegion) => new CloudWatchClient(clientConfig(metricRegion)),
  });
}

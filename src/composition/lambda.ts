import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { clientConfig, type AwsClientConfig } from '../adapters/aws/clientConfig.js';
import { AwsDatabase } from '../adapters/aws/database.js';
import { createDynamoDbStores, DynamoDbDrillReportStore } from '../adapters/aws/dynamodb/index.js';
import { isRoutingControlChange } from '../adapters/aws/arc/changeIds.js';
import { Route53Traffic } from '../adapters/aws/route53/Route53Traffic.js';
import { SnsNotifier } from '../adapters/aws/sns/SnsNotifier.js';
import { systemClock } from '../adapters/clock/systemClock.js';
import { TrafficBySwitch } from '../adapters/dns/TrafficBySwitch.js';
import { HttpProber } from '../adapters/http/HttpProber.js';
import { HAPROXY_CHANGE_PREFIX, HaproxyTraffic } from '../adapters/postgres/HaproxyTraffic.js';
import { PostgresDatabase } from '../adapters/postgres/PostgresDatabase.js';
import type { ExecutorDeps } from '../application/executor.js';
import type { OperatorDeps } from '../application/operatorApi.js';
import type { ProbeDeps } from '../application/probeRound.js';
import { trackedDatabase } from '../application/trackedDatabase.js';
import type { DatabaseProbe } from '../ports/DatabaseProbe.js';
import { ENV, readDeployedSettings, type DeployedSettings, type Environment } from '../config/environment.js';
import { loadPackagedConfig } from '../config/packaged.js';
import { connectionCheckOf } from '../config/groups.js';
import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { ValidationError } from '../domain/errors.js';
import type { FencingMode, RegionName } from '../domain/types.js';
import type { Database, PromoteOptions } from '../ports/Database.js';
import type { EffectOptions } from '../ports/EffectOptions.js';
import type { Traffic } from '../ports/Traffic.js';
import { arcRoutingControlTraffic } from './arcTraffic.js';
import { executorDeps, probeDeps, storesOn } from './controlPlane.js';

/**
 * The Lambda functions' shape of the composition root (src/composition/: one file per deployment shape, sharing the
 * building functions of controlPlane.ts): it builds the real AWS adapters from the environment names of
 * `src/config/environment.ts` and the configuration packaged (validated) beside the code. Handlers call it once per
 * cold start; tests build the same dependency shapes from in-memory doubles instead. Nothing here parses YAML or runs
 * a schema: a Lambda's cold start reads JSON checked when it was packaged.
 */

export type { Environment };

export interface ProbeRuntime {
  readonly deps: ProbeDeps;
  /** The region this probe reports as: one of `fleet.observerRegions`. */
  readonly observerRegion: RegionName;
}

/**
 * Builds the probe's dependencies from the environment: configuration, HTTP prober, AWS database adapter, the
 * data-plane connection check where a region configures one, and the observation and fault stores on the table.
 * Throws `ValidationError` naming every missing or malformed variable, or a configuration problem.
 *
 * @example
 * const { deps, observerRegion } = await buildProbeDeps(process.env);
 * await runProbeRounds(deps, { observerRegion, deadline: Date.now() + 50_000 });
 */
export async function buildProbeDeps(env: Environment, options: ProbeBuildOptions = {}): Promise<ProbeRuntime> {
  const settings = readDeployedSettings(env, 'probe', [ENV.observerRegion]);
  const observerRegion = env[ENV.observerRegion] as RegionName;
  const config = await loadPackagedConfig(resolve(settings.configPath));
  if (!config.fleet.observerRegions.includes(observerRegion)) {
    throw new ValidationError('the probe function is deployed to an observer region the configuration does not list', [
      `${ENV.observerRegion}: ${observerRegion} is not one of fleet.observerRegions (${config.fleet.observerRegions.join(', ')}); its reports would never count`,
    ]);
  }
  const stores = storesOn(createDynamoDbStores({ tableName: settings.tableName, client: dynamoDbClient(settings), region: settings.tableRegion }));
  const databaseProbe = buildDatabaseProbe(config, options.createDatabaseProbe);
  return {
    observerRegion,
    deps: probeDeps(config, stores, {
      prober: new HttpProber(),
      // The probe reaches the database the group record tracks for a region after a reprotect, not the configured one.
      // Lag is a one-minute metric: each observer reads a replica's at most once a minute (issue #11).
      // Every group's topology is read together, once a round (batched reads).
      database: trackedDatabase(groupDatabase(lambdaClientConfig, { reuseLagUntilNewDatapoint: true }), stores.stateStore, systemClock, {
        groups: config.groups,
      }),
      ...(databaseProbe === undefined ? {} : { databaseProbe }),
      clock: systemClock,
    }),
  };
}

export interface ProbeBuildOptions {
  /**
   * Builds the data-plane database check; called only when some region configures one. The probe handler passes
   * `connectionCheckProbe` (connectionCheck.ts), so only the probe's bundle carries it.
   */
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
 * const databaseProbe = buildDatabaseProbe(config, connectionCheckProbe);
 */
export function buildDatabaseProbe(
  config: ControlPlaneConfig,
  create?: (config: ControlPlaneConfig) => DatabaseProbe,
): DatabaseProbe | undefined {
  const configured = config.groups.flatMap((group) =>
    Object.entries(group.regions)
      .filter(([, region]) => connectionCheckOf(region.database) !== undefined)
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
  const settings = readDeployedSettings(env, 'orchestrate');
  const config = await loadPackagedConfig(resolve(settings.configPath));
  const stores = storesOn(createDynamoDbStores({ tableName: settings.tableName, client: dynamoDbClient(settings), region: settings.tableRegion }));
  return executorDeps(config, stores, {
    database: groupDatabase(lambdaClientConfig),
    traffic: groupTraffic(config, lambdaClientConfig),
    notifier: new SnsNotifier((topicRegion) => new SNSClient(lambdaClientConfig(topicRegion))),
    prober: new HttpProber(),
    clock: systemClock,
  });
}

/**
 * The operator API's dependencies: the executor's, plus the stores staging drills write (the injected fault the probes
 * read, the drill's record), on the same table.
 *
 * @example
 * const response = await serveOperatorHttp(() => buildOperatorDeps(process.env), request, { budgetMs: 20_000 });
 */
export async function buildOperatorDeps(env: Environment): Promise<OperatorDeps> {
  const deps = await buildExecutorDeps(env);
  const settings = readDeployedSettings(env, 'orchestrate');
  const stores = createDynamoDbStores({ tableName: settings.tableName, client: dynamoDbClient(settings), region: settings.tableRegion });
  return { ...deps, drills: { faults: stores.faultStore, drills: new DynamoDbDrillReportStore(stores.client, settings.tableName) } };
}

/**
 * An SDK client's settings in a Lambda: the shared timeouts and retries, and only the credential provider a Lambda
 * uses (its role's keys, which Lambda puts in the environment). The default chain's SSO, STS and INI providers are
 * never reached, so scripts/package.mjs leaves them out of the bundles.
 */
/** How a composition gives an SDK client its settings for a region. */
export type ClientConfigFor = (region: string) => AwsClientConfig;

export function lambdaClientConfig(region: string): AwsClientConfig {
  return clientConfig(region, { credentials: fromEnv() });
}

function dynamoDbClient(settings: DeployedSettings): DynamoDBClient {
  return new DynamoDBClient({
    ...lambdaClientConfig(settings.tableRegion),
    ...(settings.dynamoDbEndpoint === undefined ? {} : { endpoint: settings.dynamoDbEndpoint }),
  });
}

/**
 * Each group's traffic switch (`dns.switch`): the Route 53 record flip, or ARC routing controls (arcTraffic.ts).
 */
function trafficFor(config: ControlPlaneConfig, clients: ClientConfigFor): TrafficBySwitch {
  return new TrafficBySwitch(
    { record: new Route53Traffic((apiRegion) => new Route53Client(clients(apiRegion))), 'arc-routing-control': arcRoutingControlTraffic(config, clients) },
    isRoutingControlChange,
  );
}

/**
 * The Database port for every kind a group may use: `postgres` regions go to the pg adapter (passwords from the
 * environment: a deployment keeps them in Secrets Manager with a dynamic reference), RDS and Aurora to the AWS one.
 * Effect options (the lease deadline), reprotect's `createReplica` (RDS, Aurora) and `follow` (postgres) pass through.
 * `clients` gives the SDK clients their settings: a Lambda's own credentials, or the operator's for `fcp doctor`.
 */
export function groupDatabase(clients: ClientConfigFor, options: { reuseLagUntilNewDatapoint?: boolean } = {}): Database {
  const aws = new AwsDatabase({
    rds: (databaseRegion) => new RDSClient(clients(databaseRegion)),
    cloudWatch: (metricRegion) => new CloudWatchClient(clients(metricRegion)),
    ...options,
  });
  const postgres = new PostgresDatabase();
  const forRegion = (group: GroupConfig, region: RegionName): Database =>
    group.regions[region]?.database.kind === 'postgres' ? postgres : aws;
  return {
    describe: (group, region, options) => forRegion(group, region).describe(group, region, options),
    fence: (group, region, mode: FencingMode, effect?: EffectOptions) => forRegion(group, region).fence(group, region, mode, effect),
    promote: (group, region, options: PromoteOptions, effect?: EffectOptions) => forRegion(group, region).promote(group, region, options, effect),
    createReplica: (group, region, spec) => aws.createReplica(group, region, spec),
    // Only a postgres region is reprotected by repointing it (reprotect's `follow` method); RDS and Aurora create a replica.
    follow: (group, region, sourceRegion) => postgres.follow(group, region, sourceRegion),
  };
}

/** Route 53 for a group's DNS record; HAProxy's runtime API for a group with `trafficSwitch: { kind: haproxy }`. */
export function groupTraffic(config: ControlPlaneConfig, clients: ClientConfigFor): Traffic {
  const dns = trafficFor(config, clients);
  const haproxy = new HaproxyTraffic();
  const forGroup = (group: GroupConfig): Traffic => (group.trafficSwitch?.kind === 'haproxy' ? haproxy : dns);
  return {
    currentRegion: (group) => forGroup(group).currentRegion(group),
    pointTo: (group, region, comment, effect) => forGroup(group).pointTo(group, region, comment, effect),
    changeStatus: (changeId) => (changeId.startsWith(HAPROXY_CHANGE_PREFIX) ? haproxy : dns).changeStatus(changeId),
  };
}

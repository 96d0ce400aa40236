import { resolve } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { clientConfig } from '../adapters/aws/clientConfig.js';
import { createDynamoDbStores } from '../adapters/aws/dynamodb/index.js';
import { IamPermissionSimulator } from '../adapters/aws/iam/IamPermissionSimulator.js';
import { SnsTopicInspector } from '../adapters/aws/sns/SnsTopicInspector.js';
import { systemClock } from '../adapters/clock/systemClock.js';
import type { DoctorDeps } from '../application/doctor.js';
import { groupDatabase, groupTraffic, type ClientConfigFor } from './lambda.js';
import { loadConfig } from '../config/load.js';
import { roleName } from '../config/roleNames.js';
import { controlPlaneRegionsOf } from '../config/schema.js';
import type { RegionName } from '../domain/types.js';

// The composition of `fcp doctor`, apart from lambda.ts so that the Lambda bundles built from that file never
// reach the configuration loader (YAML, zod) or the IAM client.

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

/** The operator's own credentials (the default chain: profile, SSO, environment). */
const operatorClients: ClientConfigFor = (region) => clientConfig(region);

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
    database: groupDatabase(operatorClients),
    traffic: groupTraffic(config, operatorClients),
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


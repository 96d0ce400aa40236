import type { ControlPlaneConfig } from '../src/config/schema.js';

/**
 * What serverless.yml needs from the control-plane configuration: which stack is being built and in which region,
 * the ARNs of every resource the functions may touch, and the least-privilege IAM statements of each function's role.
 * Pure (no AWS, no file system) so the deploy tests can check it without packaging.
 */

export type StackKind = 'control-plane' | 'observer';

/** A CloudFormation value: a literal string, or an intrinsic resolved at deploy time (account id, partition). */
export type CfnValue = string | { readonly 'Fn::Sub': string } | { readonly 'Fn::GetAtt': readonly [string, string] };

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly CfnValue[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** The records the orchestrator may change in one hosted zone. */
export interface ZoneRecords {
  readonly hostedZoneArn: string;
  /** Route 53 normalised names: lower case, no trailing dot. */
  readonly recordNames: readonly string[];
  readonly recordTypes: readonly string[];
}

export interface ConfiguredArns {
  readonly rdsInstances: readonly string[];
  readonly rdsParameterGroups: readonly string[];
  readonly rdsClusters: readonly string[];
  readonly rdsGlobalClusters: readonly string[];
  readonly hostedZones: readonly string[];
  readonly topics: readonly string[];
  readonly records: readonly ZoneRecords[];
}

export interface DeploymentFacts {
  readonly stack: StackKind;
  /** The region this stack deploys to. */
  readonly region: string;
  /** Set for an observer stack: the region whose probe this stack runs. */
  readonly observerRegion: string;
  readonly controlPlaneRegion: string;
  readonly observerRegions: readonly string[];
  readonly tableName: string;
  readonly configPath: string;
  readonly arns: ConfiguredArns;
  readonly iam: {
    readonly probe: readonly PolicyStatement[];
    readonly orchestrate: readonly PolicyStatement[];
    /** The operator API runs the executor inline, so it needs what the orchestrator needs, on its own log group. */
    readonly operator: readonly PolicyStatement[];
  };
}

export interface DeploymentRequest {
  readonly service: string;
  readonly stage: string;
  readonly configPath: string;
  /** The observer region to deploy a probe stack to; empty for the control-plane stack. */
  readonly observer: string;
  /** `--region` from the command line, if given: it must agree with the configuration. */
  readonly cliRegion?: string;
}

/** The CloudFormation logical id of the state table in the control-plane stack. */
export const TABLE_LOGICAL_ID = 'StateTable';

/**
 * Derives the stack's facts from a validated configuration.
 * Throws when the requested stack contradicts the configuration (an observer region that is not configured, a
 * control-plane stack sent to another region), because a stack in the wrong region would split the control plane.
 *
 * @example
 * const facts = deploymentFacts(config, { service: 'failover-control-plane', stage: 'staging', configPath: 'config/example.yaml', observer: '' });
 * facts.region; // 'us-west-2', the configured control-plane region
 */
export function deploymentFacts(config: ControlPlaneConfig, request: DeploymentRequest): DeploymentFacts {
  const { controlPlaneRegion, observerRegions } = config.fleet;
  const stack: StackKind = request.observer === '' ? 'control-plane' : 'observer';
  if (stack === 'observer' && !observerRegions.includes(request.observer)) {
    throw new Error(
      `observer=${request.observer} is not one of fleet.observerRegions (${observerRegions.join(', ')}) in ${request.configPath}`,
    );
  }
  const region = stack === 'observer' ? request.observer : controlPlaneRegion;
  if (request.cliRegion !== undefined && request.cliRegion !== region) {
    throw new Error(
      stack === 'observer'
        ? `--region ${request.cliRegion} contradicts observer=${request.observer}: an observer stack deploys to its observer region`
        : `--region ${request.cliRegion} contradicts fleet.controlPlaneRegion (${controlPlaneRegion}) in ${request.configPath}: the control-plane stack deploys there`,
    );
  }
  const tableName = `${request.service}-${request.stage}`;
  const arns = configuredArns(config);
  const functionName = (name: string) => `${request.service}-${request.stage}-${name}`;
  return {
    stack,
    region,
    observerRegion: stack === 'observer' ? request.observer : '',
    controlPlaneRegion,
    observerRegions,
    tableName,
    configPath: request.configPath,
    arns,
    iam: {
      probe: probeStatements(arns, {
        table: tableArn(controlPlaneRegion, tableName),
        logGroup: logGroupArn(functionName('probe')),
      }),
      orchestrate: orchestrateStatements(arns, {
        table: { 'Fn::GetAtt': [TABLE_LOGICAL_ID, 'Arn'] },
        logGroup: logGroupArn(functionName('orchestrate')),
      }),
      operator: orchestrateStatements(arns, {
        table: { 'Fn::GetAtt': [TABLE_LOGICAL_ID, 'Arn'] },
        logGroup: logGroupArn(functionName('operator')),
      }),
    },
  };
}

/**
 * The ARNs of every configured resource, sorted and without duplicates.
 *
 * @example
 * configuredArns(config).hostedZones; // ['arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ']
 */
export function configuredArns(config: ControlPlaneConfig): ConfiguredArns {
  const rdsInstances = new Set<string>();
  const rdsParameterGroups = new Set<string>();
  const rdsClusters = new Set<string>();
  const rdsGlobalClusters = new Set<string>();
  const hostedZones = new Set<string>();
  const topics = new Set<string>();
  const records = new Map<string, { names: Set<string>; types: Set<string> }>();
  for (const group of config.groups) {
    const partition = partitionOf(group.notifications.topicArn);
    topics.add(group.notifications.topicArn);
    // Route 53 is global: its ARNs have neither region nor account.
    const hostedZoneArn = `arn:${partition}:route53:::hostedzone/${group.dns.hostedZoneId}`;
    hostedZones.add(hostedZoneArn);
    const zone = records.get(hostedZoneArn) ?? { names: new Set<string>(), types: new Set<string>() };
    zone.names.add(group.dns.recordName.toLowerCase().replace(/\.$/, ''));
    zone.types.add(group.dns.type);
    records.set(hostedZoneArn, zone);
    for (const [regionName, region] of Object.entries(group.regions)) {
      const database = region.database;
      if (database.kind === 'rds-instance') {
        rdsInstances.add(database.instanceArn);
        if (database.readOnlyParameterGroup !== undefined) {
          // ModifyDBInstance checks the parameter group it applies as well as the instance.
          const { partition: dbPartition, account } = arnParts(database.instanceArn);
          rdsParameterGroups.add(`arn:${dbPartition}:rds:${regionName}:${account}:pg:${database.readOnlyParameterGroup}`);
        }
      } else if (database.kind === 'aurora-global') {
        rdsClusters.add(database.clusterArn);
        const { partition: dbPartition, account } = arnParts(database.clusterArn);
        // Global clusters are global resources: no region in the ARN.
        rdsGlobalClusters.add(`arn:${dbPartition}:rds::${account}:global-cluster:${database.globalClusterId}`);
      }
    }
  }
  const sorted = (values: Set<string>) => [...values].sort();
  return {
    rdsInstances: sorted(rdsInstances),
    rdsParameterGroups: sorted(rdsParameterGroups),
    rdsClusters: sorted(rdsClusters),
    rdsGlobalClusters: sorted(rdsGlobalClusters),
    hostedZones: sorted(hostedZones),
    topics: sorted(topics),
    records: [...records.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([hostedZoneArn, zone]) => ({ hostedZoneArn, recordNames: sorted(zone.names), recordTypes: sorted(zone.types) })),
  };
}

interface OwnResources {
  readonly table: CfnValue;
  readonly logGroup: CfnValue;
}

function probeStatements(arns: ConfiguredArns, own: OwnResources): PolicyStatement[] {
  return [
    ...logStatements(own.logGroup),
    // Observations and drill faults: the probe reads its previous report and the active faults, writes its report.
    allow('StateTableProbeRead', ['dynamodb:GetItem', 'dynamodb:Query'], [own.table]),
    allow('StateTableProbeWrite', ['dynamodb:PutItem'], [own.table]),
    ...databaseReadStatements(arns),
  ];
}

function orchestrateStatements(arns: ConfiguredArns, own: OwnResources): PolicyStatement[] {
  const instancesAndParameterGroups = [...arns.rdsInstances, ...arns.rdsParameterGroups];
  return [
    ...logStatements(own.logGroup),
    // Reads may use the table's indexes (the failover history across groups); writes go to the table only.
    allow('StateTableRead', ['dynamodb:GetItem', 'dynamodb:Query'], tableAndIndexes(own.table)),
    allow('StateTableWrite', ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [own.table]),
    ...databaseReadStatements(arns),
    // Promotion of a replica, fencing of the old primary: only the configured instances and read-only parameter groups.
    ...nonEmpty('RdsInstanceFailover', ['rds:PromoteReadReplica', 'rds:StopDBInstance'], arns.rdsInstances),
    ...nonEmpty('RdsInstanceFence', ['rds:ModifyDBInstance'], instancesAndParameterGroups),
    // Aurora global failover and switchover authorise both the global cluster and its member clusters.
    ...nonEmpty(
      'AuroraGlobalFailover',
      ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
      [...arns.rdsGlobalClusters, ...arns.rdsClusters],
    ),
    allow('Route53ReadRecords', ['route53:ListResourceRecordSets'], arns.hostedZones),
    // Per zone, only UPSERTs of the groups' own records (of their type): not every record in a shared zone.
    ...arns.records.map((zone, index) => ({
      ...allow(`Route53ChangeGroupRecords${index + 1}`, ['route53:ChangeResourceRecordSets'], [zone.hostedZoneArn]),
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': zone.recordNames,
          'route53:ChangeResourceRecordSetsRecordTypes': zone.recordTypes,
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    })),
    // GetChange takes a change id unknown until ChangeResourceRecordSets answers; AWS only offers change/* for it.
    allow('Route53ChangeStatus', ['route53:GetChange'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:route53:::change/*' }]),
    allow('NotifyGroups', ['sns:Publish'], arns.topics),
  ];
}

function databaseReadStatements(arns: ConfiguredArns): PolicyStatement[] {
  return [
    ...nonEmpty('RdsDescribeInstances', ['rds:DescribeDBInstances'], arns.rdsInstances),
    ...nonEmpty('AuroraDescribeGlobalClusters', ['rds:DescribeGlobalClusters'], arns.rdsGlobalClusters),
    // Replica lag comes from CloudWatch metrics; GetMetricData supports no resource-level permissions, so AWS requires "*".
    allow('ReplicaLagMetrics', ['cloudwatch:GetMetricData'], ['*']),
  ];
}

function logStatements(logGroup: CfnValue): PolicyStatement[] {
  // osls creates the log group (with its retention); the function only writes to its own group.
  return [allow('OwnLogGroup', ['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroup])];
}

function tableAndIndexes(table: CfnValue): CfnValue[] {
  const indexes: CfnValue =
    typeof table === 'string'
      ? `${table}/index/*`
      : 'Fn::GetAtt' in table
        ? { 'Fn::Sub': `\${${TABLE_LOGICAL_ID}.Arn}/index/*` }
        : { 'Fn::Sub': `${table['Fn::Sub']}/index/*` };
  return [table, indexes];
}

function tableArn(region: string, tableName: string): CfnValue {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:dynamodb:${region}:\${AWS::AccountId}:table/${tableName}` };
}

function logGroupArn(functionName: string): CfnValue {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`,
  };
}

function allow(sid: string, actions: readonly string[], resources: readonly CfnValue[]): PolicyStatement {
  return { Sid: sid, Effect: 'Allow', Action: actions, Resource: resources };
}

/** IAM rejects a statement without resources, and a configuration without Aurora has no cluster ARNs. */
function nonEmpty(sid: string, actions: readonly string[], resources: readonly CfnValue[]): PolicyStatement[] {
  return resources.length === 0 ? [] : [allow(sid, actions, resources)];
}

function arnParts(arn: string): { partition: string; account: string } {
  const [, partition = 'aws', , , account = ''] = arn.split(':');
  return { partition, account };
}

function partitionOf(arn: string): string {
  return arnParts(arn).partition;
}

import { controlPlaneRegionsOf, type ControlPlaneConfig } from '../src/config/schema.js';
import { replicaIdentity, REPROTECT_GENERATIONS } from '../src/domain/liveTopology.js';
import { shardsOf } from '../src/domain/shards.js';

/**
 * What serverless.yml needs from the control-plane configuration: which stack is being built and in which region,
 * the ARNs of every resource the functions may touch, and the least-privilege IAM statements of each function's role.
 * Pure (no AWS, no file system) so the deploy tests can check it without packaging.
 */

/**
 * `control-plane`: in fleet.controlPlaneRegion, with the state table (a multi-Region strongly consistent global table
 * when replica regions are configured); `control-plane-replica`: the orchestrator and operator API in one of
 * fleet.controlPlaneReplicaRegions, on the table's replica there; `observer`: a probe.
 */
export type StackKind = 'control-plane' | 'control-plane-replica' | 'observer';

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
  /** The configured instances and the replicas a reprotect may put in their place (`<id>-r1`..`-r3`). */
  readonly rdsInstances: readonly string[];
  /**
   * `arn:…:rds:<region>:<account>:db:*` of the regions of RDS groups: a probe round describes a region's instances with
   * one filtered DescribeDBInstances, which IAM authorizes against this wildcard, not the instances it names.
   */
  readonly rdsInstanceRegions: readonly string[];
  /** Subnet groups of the regions of RDS groups: a reprotect's replica goes in the subnet group of the one it replaces. */
  readonly rdsSubnetGroups: readonly string[];
  /** Aurora reprotect: the instance created in each new secondary cluster (`<cluster>-r<n>-1`). */
  readonly auroraReprotectInstances: readonly string[];
  readonly rdsParameterGroups: readonly string[];
  readonly rdsClusters: readonly string[];
  readonly rdsGlobalClusters: readonly string[];
  readonly hostedZones: readonly string[];
  readonly topics: readonly string[];
  readonly records: readonly ZoneRecords[];
  /** ARC routing controls of the groups that switch traffic with them. */
  readonly routingControls: readonly string[];
  /** The secrets `database.connectionCheck.passwordFrom` names (secrets-manager): the probe reads these only. */
  readonly connectionCheckSecrets: readonly string[];
  /**
   * The `rds-db:connect` resources of the checks that log in with an RDS IAM token: their user on any database of the
   * region and account (`dbuser:` any resource id, then `/<user>`), since the configuration does not name the database's
   * resource id (`db-…` or `cluster-…`).
   */
  readonly connectionCheckIamUsers: readonly string[];
}

export interface DeploymentFacts {
  readonly stack: StackKind;
  /** The region this stack deploys to. */
  readonly region: string;
  /** Set for an observer stack: the region whose probe this stack runs. */
  readonly observerRegion: string;
  readonly controlPlaneRegion: string;
  /** Every region the orchestrator and the operator API run in: the control-plane region first. */
  readonly controlPlaneRegions: readonly string[];
  /** 'true' when the state table is a multi-Region strongly consistent global table (a CloudFormation condition). */
  readonly threeRegions: 'true' | 'false';
  /** The global table's replicas, one per control-plane region. */
  readonly tableReplicas: readonly Record<string, unknown>[];
  readonly observerRegions: readonly string[];
  readonly tableName: string;
  /** Where this stack's functions read and write the table: their own region's replica, if it has one. */
  readonly tableRegion: string;
  readonly configPath: string;
  /** The orchestrate function's events: one schedule a minute per shard the groups name, each told its shard. */
  readonly orchestrateSchedules: readonly { readonly schedule: { readonly rate: string; readonly input: { readonly shard: string } } }[];
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
  /** The observer region to deploy a probe stack to; empty for a control-plane stack. */
  readonly observer: string;
  /** One of fleet.controlPlaneReplicaRegions, for its replica stack; empty (or absent) for the control-plane region. */
  readonly controlPlane?: string;
  /** `--region` from the command line, if given: it must agree with the configuration. */
  readonly cliRegion?: string;
}

/** The CloudFormation logical id of the state table in the control-plane stack. */
export const TABLE_LOGICAL_ID = 'StateTable';
/**
 * The logical id of the multi-Region strongly consistent state table: another resource (another type, another name),
 * since CloudFormation cannot turn a table into a global table in place, and MRSC needs an empty table to start.
 */
export const GLOBAL_TABLE_LOGICAL_ID = 'StateGlobalTable';

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
  const controlPlaneRegions = controlPlaneRegionsOf(config.fleet);
  const replicaRegions = controlPlaneRegions.slice(1);
  const controlPlane = request.controlPlane ?? '';
  if (request.observer !== '' && controlPlane !== '') {
    throw new Error(`observer=${request.observer} and controlPlane=${controlPlane}: a stack is an observer or a control plane, not both`);
  }
  if (controlPlane !== '' && !replicaRegions.includes(controlPlane)) {
    throw new Error(
      replicaRegions.length === 0
        ? `controlPlane=${controlPlane}: ${request.configPath} configures one control-plane region (no fleet.controlPlaneReplicaRegions)`
        : `controlPlane=${controlPlane} is not one of fleet.controlPlaneReplicaRegions (${replicaRegions.join(', ')}) in ${request.configPath}`,
    );
  }
  const stack: StackKind = request.observer !== '' ? 'observer' : controlPlane !== '' ? 'control-plane-replica' : 'control-plane';
  if (stack === 'observer' && !observerRegions.includes(request.observer)) {
    throw new Error(
      `observer=${request.observer} is not one of fleet.observerRegions (${observerRegions.join(', ')}) in ${request.configPath}`,
    );
  }
  const region = stack === 'observer' ? request.observer : stack === 'control-plane-replica' ? controlPlane : controlPlaneRegion;
  if (request.cliRegion !== undefined && request.cliRegion !== region) {
    throw new Error(
      stack === 'observer'
        ? `--region ${request.cliRegion} contradicts observer=${request.observer}: an observer stack deploys to its observer region`
        : stack === 'control-plane-replica'
          ? `--region ${request.cliRegion} contradicts controlPlane=${controlPlane}: a replica stack deploys to its control-plane region`
          : `--region ${request.cliRegion} contradicts fleet.controlPlaneRegion (${controlPlaneRegion}) in ${request.configPath}: the control-plane stack deploys there`,
    );
  }
  const threeRegions = controlPlaneRegions.length === 3;
  // A new name for the global table: the single-region table is retained beside it (see docs/deployment.md).
  const tableName = threeRegions ? `${request.service}-${request.stage}-mrsc` : `${request.service}-${request.stage}`;
  // Each function uses the replica in its own region; an observer outside the control-plane regions writes across.
  const tableRegion = controlPlaneRegions.includes(region) ? region : controlPlaneRegion;
  const arns = configuredArns(config);
  const functionName = (name: string) => `${request.service}-${request.stage}-${name}`;
  const ownTable: CfnValue =
    stack === 'control-plane' ? { 'Fn::GetAtt': [threeRegions ? GLOBAL_TABLE_LOGICAL_ID : TABLE_LOGICAL_ID, 'Arn'] } : tableArn(tableRegion, tableName);
  return {
    stack,
    region,
    observerRegion: stack === 'observer' ? request.observer : '',
    controlPlaneRegion,
    controlPlaneRegions,
    threeRegions: threeRegions ? 'true' : 'false',
    tableReplicas: controlPlaneRegions.map((replicaRegion) => ({
      Region: replicaRegion,
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    })),
    observerRegions,
    tableName,
    tableRegion,
    configPath: request.configPath,
    orchestrateSchedules: shardsOf(config.groups).map((shard) => ({ schedule: { rate: 'rate(1 minute)', input: { shard } } })),
    arns,
    iam: {
      probe: probeStatements(arns, {
        table: tableArn(tableRegion, tableName),
        logGroup: logGroupArn(functionName('probe')),
      }),
      orchestrate: orchestrateStatements(arns, { table: ownTable, logGroup: logGroupArn(functionName('orchestrate')) }),
      operator: orchestrateStatements(arns, { table: ownTable, logGroup: logGroupArn(functionName('operator')) }),
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
  const rdsInstanceRegions = new Set<string>();
  const rdsSubnetGroups = new Set<string>();
  const auroraReprotectInstances = new Set<string>();
  const rdsParameterGroups = new Set<string>();
  const rdsClusters = new Set<string>();
  const rdsGlobalClusters = new Set<string>();
  const hostedZones = new Set<string>();
  const topics = new Set<string>();
  const routingControls = new Set<string>();
  const connectionCheckSecrets = new Set<string>();
  const connectionCheckIamUsers = new Set<string>();
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
    for (const routingControl of Object.values(group.dns.arc?.routingControls ?? {})) routingControls.add(routingControl);
    for (const [regionName, region] of Object.entries(group.regions)) {
      const database = region.database;
      // A self-managed postgres server is reached over SQL, not the RDS API: it needs no RDS actions, and has no replicas to reprotect.
      if (database.kind === 'postgres') continue;
      const replicas = Array.from({ length: REPROTECT_GENERATIONS }, (_, index) => replicaIdentity(group, regionName, index + 1)!);
      const { partition: regionPartition, account: regionAccount } = arnParts(database.kind === 'rds-instance' ? database.instanceArn : database.clusterArn);
      rdsSubnetGroups.add(`arn:${regionPartition}:rds:${regionName}:${regionAccount}:subgrp:*`);
      const check = database.connectionCheck;
      if (check?.passwordFrom.kind === 'secrets-manager') connectionCheckSecrets.add(check.passwordFrom.secretArn);
      if (check?.passwordFrom.kind === 'rds-iam') connectionCheckIamUsers.add(`arn:${regionPartition}:rds-db:${regionName}:${regionAccount}:dbuser:*/${check.user}`);
      if (database.kind === 'rds-instance') {
        rdsInstances.add(database.instanceArn);
        rdsInstanceRegions.add(`arn:${regionPartition}:rds:${regionName}:${regionAccount}:db:*`);
        for (const replica of replicas) rdsInstances.add(replica.arn);
        if (database.readOnlyParameterGroup !== undefined) {
          // ModifyDBInstance checks the parameter group it applies as well as the instance.
          const { partition: dbPartition, account } = arnParts(database.instanceArn);
          rdsParameterGroups.add(`arn:${dbPartition}:rds:${regionName}:${account}:pg:${database.readOnlyParameterGroup}`);
        }
      } else if (database.kind === 'aurora-global') {
        rdsClusters.add(database.clusterArn);
        for (const replica of replicas) {
          rdsClusters.add(replica.arn);
          auroraReprotectInstances.add(`arn:${regionPartition}:rds:${regionName}:${regionAccount}:db:${replica.identifier.slice(0, 61)}-1`);
        }
        const { partition: dbPartition, account } = arnParts(database.clusterArn);
        // Global clusters are global resources: no region in the ARN.
        rdsGlobalClusters.add(`arn:${dbPartition}:rds::${account}:global-cluster:${database.globalClusterId}`);
      }
    }
  }
  const sorted = (values: Set<string>) => [...values].sort();
  return {
    rdsInstances: sorted(rdsInstances),
    rdsInstanceRegions: sorted(rdsInstanceRegions),
    rdsSubnetGroups: sorted(rdsSubnetGroups),
    auroraReprotectInstances: sorted(auroraReprotectInstances),
    rdsParameterGroups: sorted(rdsParameterGroups),
    rdsClusters: sorted(rdsClusters),
    rdsGlobalClusters: sorted(rdsGlobalClusters),
    hostedZones: sorted(hostedZones),
    topics: sorted(topics),
    routingControls: sorted(routingControls),
    connectionCheckSecrets: sorted(connectionCheckSecrets),
    connectionCheckIamUsers: sorted(connectionCheckIamUsers),
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
    // BatchGetItem: the groups' topologies, read together once a round (DynamoDbStateStore.loadTopologies).
    allow('StateTableProbeRead', ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'], [own.table]),
    // Its reports: one conditional UpdateItem per group and round (DynamoDbObservationStore.putReports). PutItem for
    // the report of one region on its own (`put`); test/deploy/tableActions.dynamodb.test.ts checks the requests sent.
    allow('StateTableProbeWrite', ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [own.table]),
    ...databaseReadStatements(arns),
    // database.connectionCheck: the password of a check, from the secrets it names or an RDS IAM token for its user.
    ...nonEmpty('ConnectionCheckSecrets', ['secretsmanager:GetSecretValue'], arns.connectionCheckSecrets),
    ...nonEmpty('ConnectionCheckIamLogin', ['rds-db:connect'], arns.connectionCheckIamUsers),
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
    // Reprotect (fcp reprotect): a new replica of the primary, named <configured>-r<n>, in the subnet group of the
    // database it replaces (its name is read at run time, hence subgrp:* in the groups' regions), tagged on creation.
    ...nonEmpty('RdsReprotect', ['rds:CreateDBInstanceReadReplica'], arns.rdsInstances.length === 0 ? [] : [...arns.rdsInstances, ...arns.rdsSubnetGroups]),
    ...nonEmpty(
      'AuroraReprotect',
      ['rds:CreateDBCluster', 'rds:CreateDBInstance'],
      arns.rdsClusters.length === 0 ? [] : [...arns.rdsGlobalClusters, ...arns.rdsClusters, ...arns.auroraReprotectInstances, ...arns.rdsSubnetGroups],
    ),
    ...nonEmpty('ReprotectTags', ['rds:AddTagsToResource'], [...arns.rdsInstances, ...arns.rdsClusters, ...arns.auroraReprotectInstances]),
    // Aurora reprotect reads the old and the writer cluster (network, KMS key) and their instances' class.
    ...nonEmpty('AuroraReprotectDescribe', ['rds:DescribeDBClusters'], arns.rdsClusters),
    ...nonEmpty(
      'AuroraReprotectDescribeInstances',
      ['rds:DescribeDBInstances'],
      arns.rdsClusters.map((cluster) => `${cluster.slice(0, cluster.lastIndexOf(':cluster:'))}:db:*`).filter((arn, index, all) => all.indexOf(arn) === index),
    ),
    allow('Route53ReadRecords', ['route53:ListResourceRecordSets'], arns.hostedZones),
    // Per zone, only changes of the groups' own records (of their type): not every record in a shared zone. A switch
    // is one conditional batch, DELETE of the value read + CREATE of the new one (no UPSERT: it would overwrite blind).
    ...arns.records.map((zone, index) => ({
      ...allow(`Route53ChangeGroupRecords${index + 1}`, ['route53:ChangeResourceRecordSets'], [zone.hostedZoneArn]),
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': zone.recordNames,
          'route53:ChangeResourceRecordSetsRecordTypes': zone.recordTypes,
          'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
        },
      },
    })),
    // GetChange takes a change id unknown until ChangeResourceRecordSets answers; AWS only offers change/* for it.
    allow('Route53ChangeStatus', ['route53:GetChange'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:route53:::change/*' }]),
    allow('NotifyGroups', ['sns:Publish'], arns.topics),
    // The data-plane traffic switch: ARC routing controls, read and set on the cluster's endpoints (no Route 53 API).
    ...nonEmpty(
      'ArcRoutingControls',
      [
        'route53-recovery-cluster:GetRoutingControlState',
        'route53-recovery-cluster:UpdateRoutingControlState',
        'route53-recovery-cluster:UpdateRoutingControlStates',
      ],
      arns.routingControls,
    ),
  ];
}

function databaseReadStatements(arns: ConfiguredArns): PolicyStatement[] {
  return [
    // Read-only, region-wide: the coalesced describe (src/adapters/aws/rds/InstanceDescriber.ts) names no instance.
    ...nonEmpty('RdsDescribeInstances', ['rds:DescribeDBInstances'], arns.rdsInstanceRegions),
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
        ? { 'Fn::Sub': `\${${table['Fn::GetAtt'][0]}.Arn}/index/*` }
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

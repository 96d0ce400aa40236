import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../handlers/shared/telemetry.js';
import { tableDefinition } from '../../src/adapters/aws/dynamodb/table.js';
import { loadConfig } from '../../src/config/load.js';
import { parsePackagedConfig } from '../../src/config/packaged.js';
import {
  actionsOf,
  packageStack,
  repositoryRoot,
  resourcesFor,
  resourcesOf,
  resourcesOfType,
  statementsOf,
} from './packageStack.js';
import type { PackagedStack, Template } from './packageStack.js';
import { iamMatches, invokeArn, policyResources, POLICY_NAMES, templateRoutes, type PolicyName } from './operatorPolicies.js';
import { OPERATOR_ROUTES } from '../../src/application/operatorRoutes.js';
import { roleName } from '../../src/config/roleNames.js';

const config = 'test/deploy/fixtures/two-groups.yaml';
const threeRegionsConfig = 'test/deploy/fixtures/three-regions.yaml';
const account = '111122223333';

/** Actions that change something outside the control plane's own table; none may ever be granted on a wildcard. */
const MUTATING_ACTIONS = [
  'rds:PromoteReadReplica',
  'rds:ModifyDBInstance',
  'rds:StopDBInstance',
  'rds:SwitchoverGlobalCluster',
  'rds:FailoverGlobalCluster',
  'route53:ChangeResourceRecordSets',
  'sns:Publish',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];
/** Read-only actions without resource-level permissions, for which AWS requires `*`. */
const WILDCARD_ONLY_ACTIONS = ['cloudwatch:GetMetricData'];

function hasWildcard(resource: unknown): boolean {
  return JSON.stringify(resource).includes('*');
}

function lambdaFunction(template: Template, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not a Lambda function`);
  return resource.Properties ?? {};
}

let controlPlane: PackagedStack;
let observer: PackagedStack;
/** The control plane in three regions (test/deploy/fixtures/three-regions.yaml): its first region, and a replica region. */
let home: PackagedStack;
let replica: PackagedStack;

beforeAll(async () => {
  // Sequential: both runs write the bundles to .esbuild/.
  // The three-region stacks first: the tests below read the two-groups artifacts left in .esbuild/ by the last runs.
  home = await packageStack({ config: threeRegionsConfig });
  replica = await packageStack({ config: threeRegionsConfig, controlPlane: 'us-east-2' });
  controlPlane = await packageStack({ config });
  observer = await packageStack({ config, observer: 'eu-central-1', alarmEndpoint: 'https://hooks.example.com/sns/oncall' });
}, 480_000);

describe('the control-plane stack', () => {
  it('deploys to the configured control-plane region under its own stack name', () => {
    // Assess
    expect(controlPlane.region).toBe('us-west-2');
    expect(controlPlane.stackName).toBe('failover-control-plane-staging-control-plane');
  });

  it('runs the orchestrator on Node 22 arm64 every minute with its own role', () => {
    // Prepare
    const { template } = controlPlane;

    // Act
    const orchestrate = lambdaFunction(template, 'OrchestrateLambdaFunction');
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => rule.Properties?.ScheduleExpression);

    // Assess
    expect(orchestrate.Runtime).toBe('nodejs22.x');
    expect(orchestrate.Architectures).toEqual(['arm64']);
    expect(orchestrate.Role).toEqual({ 'Fn::GetAtt': ['OrchestrateRole', 'Arn'] });
    expect(orchestrate.ReservedConcurrentExecutions).toBeUndefined();
    expect(template.Resources.OrchestrateLambdaEvConf?.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    expect(schedules).toEqual(['rate(1 minute)']);
    expect(Object.keys(template.Resources)).not.toContain('ProbeLambdaFunction');
    expect(Object.keys(template.Resources)).not.toContain('IamRoleLambdaExecution');
  });

  it('keeps the state table with point-in-time recovery, deletion protection and the adapter key schema', () => {
    // Prepare
    const [tables, table] = [resourcesOfType(controlPlane.template, 'AWS::DynamoDB::Table'), controlPlane.template.Resources.StateTable];

    // Assess
    expect(tables).toHaveLength(1);
    expect(table?.Condition).toBe('OneControlPlaneRegion');
    expect(controlPlane.template.Conditions?.OneControlPlaneRegion).toEqual({ 'Fn::Equals': ['false', 'false'] });
    expect(controlPlane.template.Conditions?.ThreeControlPlaneRegions).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({
      TableName: 'failover-control-plane-staging',
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: tableDefinition.KeySchema,
      AttributeDefinitions: tableDefinition.AttributeDefinitions,
      GlobalSecondaryIndexes: tableDefinition.GlobalSecondaryIndexes,
    });
  });

  it('scopes every failover action of the orchestrator to the configured resources', () => {
    // Prepare
    const { template } = controlPlane;
    // The configured instances and the replicas fcp reprotect may put in their place, by name (never a wildcard).
    const instances = ['payments-euw1', 'payments-use1'].flatMap((id) => {
      const region = id.endsWith('euw1') ? 'eu-west-1' : 'us-east-1';
      return ['', '-r1', '-r2', '-r3'].map((suffix) => `arn:aws:rds:${region}:${account}:db:${id}${suffix}`);
    });
    const parameterGroups = [
      `arn:aws:rds:eu-west-1:${account}:pg:payments-read-only`,
      `arn:aws:rds:us-east-1:${account}:pg:payments-read-only`,
    ];
    const auroraResources = [
      `arn:aws:rds::${account}:global-cluster:ledger-global`,
      ...['', '-r1', '-r2', '-r3'].map((suffix) => `arn:aws:rds:eu-central-1:${account}:cluster:ledger-euc1${suffix}`),
      ...['', '-r1', '-r2', '-r3'].map((suffix) => `arn:aws:rds:us-east-1:${account}:cluster:ledger-use1${suffix}`),
    ];

    // Assess
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:PromoteReadReplica')).toEqual(instances);
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:CreateDBInstanceReadReplica')).toEqual([
      ...instances,
      `arn:aws:rds:eu-central-1:${account}:subgrp:*`,
      `arn:aws:rds:eu-west-1:${account}:subgrp:*`,
      `arn:aws:rds:us-east-1:${account}:subgrp:*`,
    ].sort());
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:StopDBInstance')).toEqual(instances);
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:ModifyDBInstance')).toEqual([...instances, ...parameterGroups].sort());
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:FailoverGlobalCluster')).toEqual(auroraResources.sort());
    expect(resourcesFor(template, 'OrchestrateRole', 'rds:SwitchoverGlobalCluster')).toEqual(auroraResources.sort());
    expect(resourcesFor(template, 'OrchestrateRole', 'route53:ListResourceRecordSets')).toEqual([
      'arn:aws:route53:::hostedzone/Z0LEDGER00002',
      'arn:aws:route53:::hostedzone/Z0PAYMENTS0001',
    ]);
    expect(
      statementsOf(template, 'OrchestrateRole')
        .filter((statement) => actionsOf(statement).includes('route53:ChangeResourceRecordSets'))
        .map((statement) => ({ resources: statement.Resource, condition: statement.Condition })),
    ).toEqual([
      {
        resources: ['arn:aws:route53:::hostedzone/Z0LEDGER00002'],
        condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['ledger.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
          },
        },
      },
      {
        resources: ['arn:aws:route53:::hostedzone/Z0PAYMENTS0001'],
        condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['payments.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
          },
        },
      },
    ]);
    expect(resourcesFor(template, 'OrchestrateRole', 'sns:Publish')).toEqual([
      `arn:aws:sns:us-west-2:${account}:ledger-failover`,
      `arn:aws:sns:us-west-2:${account}:payments-failover`,
    ]);
    expect(resourcesFor(template, 'OrchestrateRole', 'dynamodb:UpdateItem')).toContainEqual({
      'Fn::GetAtt': ['StateTable', 'Arn'],
    });
  });

  it('serves the operator API as an HTTP API with IAM authorization on every route, with its own role and the orchestrator permissions', () => {
    // Prepare
    const { template } = controlPlane;

    // Act
    const operator = lambdaFunction(template, 'OperatorLambdaFunction');
    const withoutLogs = (roleId: string) =>
      statementsOf(template, roleId).filter((statement) => statement.Sid !== 'OwnLogGroup');
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').map(([, integration]) => integration.Properties);

    // Assess
    expect(operator.Role).toEqual({ 'Fn::GetAtt': ['OperatorRole', 'Arn'] });
    expect(operator.Timeout).toBe(29);
    expect(resourcesOfType(template, 'AWS::Lambda::Url')).toEqual([]);
    expect(integrations).toEqual([
      expect.objectContaining({ IntegrationUri: { 'Fn::GetAtt': ['OperatorLambdaFunction', 'Arn'] }, PayloadFormatVersion: '2.0' }),
    ]);
    expect(templateRoutes(template).filter((route) => route.authorization !== 'AWS_IAM')).toEqual([]);
    expect(templateRoutes(template).map((route) => route.routeKey).sort()).toEqual(OPERATOR_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    expect(withoutLogs('OperatorRole')).toEqual(withoutLogs('OrchestrateRole'));
    expect(resourcesFor(template, 'OperatorRole', 'logs:PutLogEvents')).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/failover-control-plane-staging-operator:*',
      },
    ]);
    expect(template.Outputs?.OperatorUrl).toMatchObject({ Value: { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] } });
    expect(replica.template.Outputs?.OperatorUrl).toMatchObject({ Value: { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] } });
    expect(templateRoutes(replica.template)).toEqual(templateRoutes(template));
    expect(resourcesOfType(observer.template, 'AWS::ApiGatewayV2::Api')).toEqual([]);
  });

  it('raises an alarm on orchestrator errors and on a stalled failover, sent to the alarm topic', () => {
    // Prepare
    const alarms = Object.fromEntries(resourcesOfType(controlPlane.template, 'AWS::CloudWatch::Alarm'));

    // Assess
    expect(alarms.OrchestratorErrorsAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: 'failover-control-plane-staging-orchestrate' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarms.FailoverStalledAlarm?.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'FailoverStalled',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarms.OperatorErrorsAlarm?.Properties).toMatchObject({
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: 'failover-control-plane-staging-operator' }],
    });
    expect(alarms.FailoverStalledAlarm?.Properties?.AlarmActions).toEqual([
      { 'Fn::If': ['CreateNotificationTopic', { Ref: 'NotificationTopic' }, ''] },
    ]);
    expect(controlPlane.template.Resources.NotificationTopic?.Condition).toBe('CreateNotificationTopic');
    // No notificationTopicArn parameter: the condition holds and the stack creates its own topic.
    expect(controlPlane.template.Conditions).toEqual({
      CreateNotificationTopic: { 'Fn::Equals': ['', ''] },
      SubscribeAlarmEndpoint: { 'Fn::Equals': ['false', 'true'] },
      OneControlPlaneRegion: { 'Fn::Equals': ['false', 'false'] },
      ThreeControlPlaneRegions: { 'Fn::Equals': ['false', 'true'] },
    });
  });

  it('raises a heartbeat alarm when the orchestrator stops running, missing data breaching, in every control-plane region', () => {
    // Prepare
    const heartbeat = (template: Template) => Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).OrchestratorHeartbeatAlarm;

    // Act
    const alarms = [controlPlane, home, replica].map(({ template }) => heartbeat(template)?.Properties);

    // Assess
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: 'OrchestratorPasses',
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [{ 'Fn::If': ['CreateNotificationTopic', { Ref: 'NotificationTopic' }, ''] }],
      });
    }
    // Without alarmEndpoint the topic has no subscription of ours.
    expect(controlPlane.template.Resources.AlarmSubscription?.Condition).toBe('SubscribeAlarmEndpoint');
  });
});

describe('an observer stack', () => {
  it('deploys only the probe, in its observer region, every minute', () => {
    // Prepare
    const { template } = observer;

    // Act
    const probe = lambdaFunction(template, 'ProbeLambdaFunction');
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => rule.Properties?.ScheduleExpression);

    // Assess
    expect(observer.region).toBe('eu-central-1');
    expect(observer.stackName).toBe('failover-control-plane-staging-observer');
    expect(probe.Role).toEqual({ 'Fn::GetAtt': ['ProbeRole', 'Arn'] });
    expect(probe.Architectures).toEqual(['arm64']);
    expect(probe.Environment).toMatchObject({
      Variables: {
        FCP_OBSERVER_REGION: 'eu-central-1',
        FCP_TABLE_REGION: 'us-west-2',
        FCP_TABLE_NAME: 'failover-control-plane-staging',
        // The RDS CAs for a connection check's verify-full.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
    expect(schedules).toEqual(['rate(1 minute)']);
    expect(resourcesOfType(template, 'AWS::DynamoDB::Table')).toEqual([]);
  });

  it('lets the probe write observations to the control-plane table and change nothing else', () => {
    // Prepare
    const probeActions = statementsOf(observer.template, 'ProbeRole').flatMap(actionsOf);

    // Assess
    expect(resourcesFor(observer.template, 'ProbeRole', 'dynamodb:PutItem')).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:us-west-2:${AWS::AccountId}:table/failover-control-plane-staging',
    });
    expect(probeActions.filter((action) => MUTATING_ACTIONS.includes(action))).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // Its reports are conditional UpdateItems (the request the probe sends: tableActions.dynamodb.test.ts), on the table only.
    expect(resourcesFor(observer.template, 'ProbeRole', 'dynamodb:UpdateItem')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:us-west-2:${AWS::AccountId}:table/failover-control-plane-staging' },
    ]);
    // The topologies of all groups, read together once a round.
    expect(resourcesFor(observer.template, 'ProbeRole', 'dynamodb:BatchGetItem')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:us-west-2:${AWS::AccountId}:table/failover-control-plane-staging' },
    ]);
    // One filtered DescribeDBInstances per region and round: IAM authorizes it against the region's db:*, read-only.
    expect(resourcesFor(observer.template, 'ProbeRole', 'rds:DescribeDBInstances')).toEqual(
      ['eu-west-1', 'us-east-1'].map((region) => `arn:aws:rds:${region}:${account}:db:*`),
    );
  });
});

describe('role names', () => {
  it('names each role by stage, function and region, as fcp doctor finds them (src/config/roleNames.ts)', () => {
    // Act
    const names = [
      controlPlane.template.Resources.OrchestrateRole,
      controlPlane.template.Resources.OperatorRole,
      replica.template.Resources.OrchestrateRole,
      observer.template.Resources.ProbeRole,
    ].map((role) => role?.Properties?.RoleName);

    // Assess
    expect(names).toEqual([
      roleName('staging', 'orchestrate', 'us-west-2'),
      roleName('staging', 'operator', 'us-west-2'),
      roleName('staging', 'orchestrate', 'us-east-2'),
      roleName('staging', 'probe', 'eu-central-1'),
    ]);
    expect(names[0]).toBe('fcp-staging-orchestrate-us-west-2');
  });
});

describe('an observer stack: alarms for silence', () => {
  it('raises a heartbeat alarm when its probe stops reporting, missing data breaching, on a topic in its own region', () => {
    // Prepare
    const { template } = observer;

    // Act
    const alarm = template.Resources.ObserverHeartbeatAlarm;

    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'ProbeRounds',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ 'Fn::If': ['CreateNotificationTopic', { Ref: 'NotificationTopic' }, ''] }],
      OKActions: [{ 'Fn::If': ['CreateNotificationTopic', { Ref: 'NotificationTopic' }, ''] }],
    });
    expect(String(alarm?.Properties?.AlarmDescription)).toContain('eu-central-1');
    expect(template.Resources.NotificationTopic).toMatchObject({ Condition: 'CreateNotificationTopic', Properties: { TopicName: 'failover-control-plane-staging-alarms' } });
  });

  it('subscribes the alarmEndpoint parameter (an https URL here) to the alarm topic', () => {
    // Prepare
    const { template } = observer;

    // Assess
    expect(template.Conditions?.SubscribeAlarmEndpoint).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(template.Resources.AlarmSubscription).toMatchObject({
      Type: 'AWS::SNS::Subscription',
      Condition: 'SubscribeAlarmEndpoint',
      Properties: {
        TopicArn: { 'Fn::If': ['CreateNotificationTopic', { Ref: 'NotificationTopic' }, ''] },
        Protocol: 'https',
        Endpoint: 'https://hooks.example.com/sns/oncall',
      },
    });
  });
});

describe('both stacks', () => {
  it('never grant a mutating action on a wildcard resource, and "*" only where AWS requires it', () => {
    // Prepare
    const roles = [
      ...resourcesOfType(controlPlane.template, 'AWS::IAM::Role').map(([id]) => statementsOf(controlPlane.template, id)),
      ...resourcesOfType(observer.template, 'AWS::IAM::Role').map(([id]) => statementsOf(observer.template, id)),
    ];

    // Act
    const statements = roles.flat();
    const mutatingOnWildcard = statements.filter(
      (statement) => actionsOf(statement).some((action) => MUTATING_ACTIONS.includes(action)) && resourcesOf(statement).some(hasWildcard),
    );
    const onStar = statements.filter((statement) => resourcesOf(statement).includes('*')).flatMap(actionsOf);

    // Assess
    expect(roles).toHaveLength(3);
    expect(statements.length).toBeGreaterThan(5);
    expect(mutatingOnWildcard).toEqual([]);
    expect([...new Set(onStar)]).toEqual(WILDCARD_ONLY_ACTIONS);
  });

  it('write function logs to log groups with a retention', () => {
    // Prepare
    const logGroups = [
      ...resourcesOfType(controlPlane.template, 'AWS::Logs::LogGroup'),
      ...resourcesOfType(observer.template, 'AWS::Logs::LogGroup'),
    ];

    // Assess
    expect(logGroups.map(([id]) => id).sort()).toEqual(['OperatorLogGroup', 'OrchestrateLogGroup', 'ProbeLogGroup']);
    for (const [, logGroup] of logGroups) expect(logGroup.Properties?.RetentionInDays).toBe(30);
  });

  it('ship each handler as a zip holding the bundle and the configuration, validated and packaged as JSON', async () => {
    // Prepare
    const validated = await loadConfig(join(repositoryRoot, config));

    // Act
    const listings = ['probe', 'orchestrate', 'operator'].map((name) =>
      execFileSync('unzip', ['-Z1', join(repositoryRoot, '.esbuild', `${name}.zip`)], { encoding: 'utf8' }).trim().split('\n'),
    );
    const bundledConfig = execFileSync('unzip', ['-p', join(repositoryRoot, '.esbuild', 'probe.zip'), 'config.json'], {
      encoding: 'utf8',
    });

    // Assess
    expect(listings).toEqual([
      ['index.mjs', 'config.json'],
      ['index.mjs', 'config.json'],
      ['index.mjs', 'config.json'],
    ]);
    expect(parsePackagedConfig(bundledConfig, 'config.json')).toEqual(validated);
  });

  it('bundle only the AWS SDK clients each handler uses', async () => {
    // Prepare
    const clientsIn = async (name: string) => {
      const meta = JSON.parse(await readFile(join(repositoryRoot, '.esbuild', `${name}.meta.json`), 'utf8')) as {
        outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
      };
      // esbuild reads every imported file but keeps only what the handler reaches: count bytes that made it out.
      const kept = Object.values(meta.outputs).flatMap((output) =>
        Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
      );
      const clients = kept.flatMap((input) => /@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input)?.[1] ?? []);
      return [...new Set(clients)].sort();
    };

    // Act
    const [probe, orchestrate, operator] = await Promise.all([clientsIn('probe'), clientsIn('orchestrate'), clientsIn('operator')]);

    // Assess
    expect(probe).toEqual(['client-cloudwatch', 'client-dynamodb', 'client-rds']);
    // The fixture's groups switch Route 53 records: no ARC routing controls, so no ARC client (scripts/package.mjs).
    expect(orchestrate).toEqual(['client-cloudwatch', 'client-dynamodb', 'client-rds', 'client-route-53', 'client-sns']);
    expect(operator).toEqual(orchestrate);
  });
});

describe('the control plane in three regions, packaged offline', () => {
  it('creates one multi-Region strongly consistent global table, with a replica in each control-plane region', () => {
    // Prepare
    const table = home.template.Resources.StateGlobalTable;

    // Assess
    expect(home.region).toBe('us-west-2');
    expect(home.template.Conditions?.ThreeControlPlaneRegions).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(table?.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(table?.Condition).toBe('ThreeControlPlaneRegions');
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({
      TableName: 'failover-control-plane-staging-mrsc',
      MultiRegionConsistency: 'STRONG',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: tableDefinition.KeySchema,
      GlobalSecondaryIndexes: tableDefinition.GlobalSecondaryIndexes,
    });
    expect((table?.Properties?.Replicas as { Region: string }[]).map((entry) => entry.Region)).toEqual(['us-west-2', 'us-east-2', 'us-east-1']);
    expect(table?.Properties).not.toHaveProperty('TimeToLiveSpecification');
    expect(resourcesFor(home.template, 'OrchestrateRole', 'dynamodb:UpdateItem')).toEqual([{ 'Fn::GetAtt': ['StateGlobalTable', 'Arn'] }]);
  });

  it('deploys the orchestrator and the operator API in a replica region, on the table replica there, without a table', () => {
    // Prepare
    const { template } = replica;
    const orchestrate = template.Resources.OrchestrateLambdaFunction?.Properties as { Environment: { Variables: Record<string, string> } };

    // Assess
    expect(replica.region).toBe('us-east-2');
    expect(replica.stackName).toBe('failover-control-plane-staging-control-plane-replica');
    expect(resourcesOfType(template, 'AWS::DynamoDB::Table')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id).sort()).toEqual([
      'OperatorLambdaFunction',
      'OrchestrateLambdaFunction',
    ]);
    expect(orchestrate.Environment.Variables).toMatchObject({ FCP_TABLE_NAME: 'failover-control-plane-staging-mrsc', FCP_TABLE_REGION: 'us-east-2' });
    expect(resourcesFor(template, 'OperatorRole', 'dynamodb:UpdateItem')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:us-east-2:${AWS::AccountId}:table/failover-control-plane-staging-mrsc' },
    ]);
    expect(Object.keys(template.Outputs ?? {})).toContain('OperatorUrl');
    expect(Object.keys(template.Resources)).toEqual(expect.arrayContaining(['OrchestratorErrorsAlarm', 'FailoverStalledAlarm']));
  });

  it('lets the roles switch ARC routing controls, and nothing in the replica stack grants Route 53 record changes on a wildcard', () => {
    // Prepare
    const statements = statementsOf(replica.template, 'OrchestrateRole');

    // Act
    const arc = statements.find((statement) => statement.Sid === 'ArcRoutingControls');
    const recordChanges = statements.filter((statement) => actionsOf(statement).includes('route53:ChangeResourceRecordSets'));

    // Assess
    expect(actionsOf(arc!)).toContain('route53-recovery-cluster:UpdateRoutingControlStates');
    expect(recordChanges.every((statement) => !JSON.stringify(statement.Resource).includes('*'))).toBe(true);
  });
});

describe('the example operator policies (deploy/operator-policies/) against the packaged routes', () => {
  const values = { region: 'us-west-2', account, apiId: 'a1b2c3d4e5' };
  const READS = [
    'GET /groups/{group}',
    'GET /groups/{group}/history',
    'GET /groups/{group}/events',
    'GET /groups/{group}/plan',
    'GET /groups/{group}/commands',
    'GET /groups/{group}/commands/{commandId}',
    'GET /groups/{group}/drills/{drillId}',
  ];
  const APPROVALS = ['approve', 'reject'].map((type) => `POST /groups/{group}/commands/${type}`);
  const OPERATIONS = ['failover', 'switchover', 'abort', 'retry', 'pause', 'resume', 'acknowledge', 'reprotect', 'cancel'].map(
    (type) => `POST /groups/{group}/commands/${type}`,
  );
  const EXPECTED: Record<PolicyName, string[]> = {
    reader: READS,
    approver: [...READS, ...APPROVALS],
    operator: [...READS, ...APPROVALS, ...OPERATIONS],
    'break-glass': [...READS, ...APPROVALS, ...OPERATIONS, 'POST /groups/{group}/commands/failover-allow-data-loss'],
    // Apart from the others: a drill injects a fault the real control plane acts on, so no other policy grants it.
    'drill-runner': [...READS, 'POST /groups/{group}/drills', 'POST /groups/{group}/drills/{drillId}/stop'],
  };

  /** The template's routes one policy, written for `policyGroup`, lets a caller invoke on group `calledGroup`. */
  async function granted(name: PolicyName, policyGroup: string, calledGroup: string): Promise<string[]> {
    const resources = await policyResources(name, { ...values, group: policyGroup });
    return templateRoutes(controlPlane.template)
      .map((route) => route.routeKey)
      .filter((routeKey) => resources.some((resource) => iamMatches(resource, invokeArn(routeKey, { ...values, group: calledGroup }))))
      .sort();
  }

  it.each(POLICY_NAMES)('%s grants exactly its routes of its own group', async (name) => {
    // Act
    const routes = await granted(name, 'payments', 'payments');

    // Assess
    expect(routes).toEqual([...EXPECTED[name]].sort());
  });

  it.each(POLICY_NAMES)('%s grants nothing on another group, even one whose name starts with its own', async (name) => {
    // Act
    const [other, longer] = await Promise.all([granted(name, 'payments', 'ledger'), granted(name, 'payments', 'payments-eu')]);

    // Assess
    expect(other).toEqual([]);
    expect(longer).toEqual([]);
  });

  it('names in each policy only routes the template serves: every resource matches a packaged route', async () => {
    // Prepare
    const arns = templateRoutes(controlPlane.template).map((route) => invokeArn(route.routeKey, { ...values, group: 'payments' }));

    // Act
    const stale = (
      await Promise.all(POLICY_NAMES.map(async (name) => (await policyResources(name, { ...values, group: 'payments' })).map((resource) => ({ name, resource }))))
    )
      .flat()
      .filter(({ resource }) => !arns.some((arn) => iamMatches(resource, arn)));

    // Assess
    expect(stale).toEqual([]);
  });

  it('leaves only the fleet-wide reads (every group at once) out of the per-group policies, and the drill routes out of break-glass', async () => {
    // Act
    const all = templateRoutes(controlPlane.template).map((route) => route.routeKey);
    const breakGlass = await granted('break-glass', 'payments', 'payments');
    const drillRunner = await granted('drill-runner', 'payments', 'payments');

    // Assess
    expect(all.filter((routeKey) => !breakGlass.includes(routeKey) && !drillRunner.includes(routeKey)).sort()).toEqual(['GET /groups', 'GET /history']);
    expect(all.filter((routeKey) => !breakGlass.includes(routeKey)).sort()).toEqual([
      'GET /groups',
      'GET /history',
      'POST /groups/{group}/drills',
      'POST /groups/{group}/drills/{drillId}/stop',
    ]);
  });
});

import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { IAMClient, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsDatabase } from '../../src/adapters/aws/database.js';
import { IamPermissionSimulator } from '../../src/adapters/aws/iam/IamPermissionSimulator.js';
import { Route53Traffic } from '../../src/adapters/aws/route53/Route53Traffic.js';
import { SnsTopicInspector } from '../../src/adapters/aws/sns/SnsTopicInspector.js';
import { failoverCalls, runDoctor, type DoctorDeps, type DoctorReport } from '../../src/application/doctor.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';
import { ACCOUNT, instantClock, NOW, PRIMARY, PRIMARY_INSTANCE_ARN, rdsGroup, SECONDARY, TOPIC_ARN } from '../adapters/aws/fixtures.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';

const iam = mockClient(IAMClient);
const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const sns = mockClient(SNSClient);

const OBSERVERS = ['eu-north-1', 'us-east-1'];
const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/fcp-staging-orchestrate-us-west-2`;
const TABLE = `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/failover-control-plane-staging`;

/** Every simulation allowed, except the actions in `denied` (for every role unless `onlyFor` names one). */
function iamAllows(denied: string[] = [], onlyFor?: string) {
  iam.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => ({
    EvaluationResults: (input.ActionNames ?? []).map((action) => ({
      EvalActionName: action,
      EvalDecision: 'allowed',
      ResourceSpecificResults: (input.ResourceArns ?? []).map((resource) => ({
        EvalResourceName: resource,
        EvalResourceDecision: denied.includes(action) && (onlyFor === undefined || onlyFor === input.PolicySourceArn) ? 'implicitDeny' : 'allowed',
      })),
    })),
  }));
}

/** The primary with a replica in SECONDARY that follows `source`, its lag measured `lagAgeMs` ago. */
function databases(options: { source?: string; lagAgeMs?: number } = {}) {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-eu-west' }).resolves({
    DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaDBInstanceIdentifiers: ['orders-eu-central'] }],
  });
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-eu-central' }).resolves({
    DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: options.source ?? PRIMARY_INSTANCE_ARN }],
  });
  cloudWatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'm0', Values: [3], Timestamps: [new Date(NOW - (options.lagAgeMs ?? 20_000))] }],
  });
}

function record(value: string | undefined) {
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: value === undefined ? [] : [{ Name: 'orders.example.com.', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: value }] }],
  });
}

function subscriptions(confirmed: number, pending = 0) {
  sns.on(GetTopicAttributesCommand).resolves({ Attributes: { SubscriptionsConfirmed: String(confirmed), SubscriptionsPending: String(pending) } });
}

async function doctorDeps(options: { group?: GroupConfig; silentObserver?: string } = {}): Promise<DoctorDeps> {
  const group = options.group ?? rdsGroup;
  const config = { fleet: { observerRegions: OBSERVERS, controlPlaneRegion: 'us-west-2' }, groups: [group] } as unknown as ControlPlaneConfig;
  const clock = instantClock(NOW);
  const observations = new InMemoryObservationStore();
  for (const observer of OBSERVERS) {
    for (const region of Object.keys(group.regions)) {
      const observedAt = observer === options.silentObserver ? NOW - 10 * 60_000 : NOW - 5_000;
      await observations.put({ groupId: group.id, region, observerRegion: observer, observedAt, ok: true, consecutiveFailures: 0, consecutiveSuccesses: 3, failureReasons: [], last: {} } as never);
    }
  }
  return {
    config,
    clock,
    stateStore: new InMemoryStateStore(),
    observations,
    database: new AwsDatabase({ rds: (region) => new RDSClient({ region }), cloudWatch: (region) => new CloudWatchClient({ region }), clock }),
    traffic: new Route53Traffic((region) => new Route53Client({ region })),
    permissions: new IamPermissionSimulator(new IAMClient({ region: 'us-east-1' })),
    topics: new SnsTopicInspector((region) => new SNSClient({ region })),
    roles: {
      orchestrator: ORCHESTRATOR,
      operator: `arn:aws:iam::${ACCOUNT}:role/fcp-staging-operator-us-west-2`,
      probe: (region) => `arn:aws:iam::${ACCOUNT}:role/fcp-staging-probe-${region}`,
    },
    tableArn: (region) => TABLE.replace('us-west-2', region === 'us-west-2' ? region : 'us-west-2'),
  };
}

function statusOf(report: DoctorReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((check) => [check.check, check.status]));
}

function checkNamed(report: DoctorReport, name: string) {
  const check = report.checks.find((candidate) => candidate.check === name);
  if (check === undefined) throw new Error(`no check ${name} in ${report.checks.map((candidate) => candidate.check).join(', ')}`);
  return check;
}

beforeEach(() => {
  for (const mock of [iam, rds, cloudWatch, route53, sns]) mock.reset();
  iamAllows();
  databases();
  record('eu-west.orders.example.com');
  subscriptions(2);
});

describe('fcp doctor', () => {
  it('passes every check of a group that is ready for a failover', async () => {
    // Prepare
    const deps = await doctorDeps();

    // Act
    const report = await runDoctor(deps);

    // Assess
    expect(report.ok).toBe(true);
    expect(statusOf(report)).toEqual({
      'permissions orchestrator': 'pass',
      'permissions operator API': 'pass',
      'permissions observer eu-north-1': 'pass',
      'permissions observer us-east-1': 'pass',
      [`replication ${SECONDARY}`]: 'pass',
      dns: 'pass',
      notifications: 'pass',
      'observer eu-north-1': 'pass',
      'observer us-east-1': 'pass',
      [`lag metric ${SECONDARY}`]: 'pass',
      fencing: 'pass',
    });
    // One simulation per role and condition set: the Route 53 change carries its condition keys.
    expect(iam).toHaveReceivedCommandWith(SimulatePrincipalPolicyCommand, {
      PolicySourceArn: ORCHESTRATOR,
      ActionNames: ['route53:ChangeResourceRecordSets'],
      ContextEntries: expect.arrayContaining([
        { ContextKeyName: 'route53:ChangeResourceRecordSetsNormalizedRecordNames', ContextKeyType: 'stringList', ContextKeyValues: ['orders.example.com'] },
      ]),
    });
  });

  it('fails naming the role, the action and the resource when IAM denies a call a failover makes, with the fix', async () => {
    // Prepare
    iamAllows(['rds:PromoteReadReplica'], ORCHESTRATOR);
    const deps = await doctorDeps();

    // Act
    const report = await runDoctor(deps);

    // Assess
    expect(report.ok).toBe(false);
    const check = checkNamed(report, 'permissions orchestrator');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`rds:PromoteReadReplica on ${PRIMARY_INSTANCE_ARN} (implicitDeny)`);
    expect(check.fix).toMatch(/osls deploy/);
    expect(checkNamed(report, 'permissions operator API').status).toBe('pass');
  });

  it('fails a replica that replicates from another source, a record that points away, a topic nobody confirmed', async () => {
    // Prepare
    databases({ source: `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders-old` });
    record('eu-central.orders.example.com');
    subscriptions(0, 1);
    const deps = await doctorDeps();

    // Act
    const report = await runDoctor(deps);

    // Assess
    expect(report.ok).toBe(false);
    expect(checkNamed(report, `replication ${SECONDARY}`)).toMatchObject({
      status: 'fail',
      detail: `${SECONDARY} replicates from us-east-1, not from the primary ${PRIMARY}: it is no failover candidate`,
      fix: `fcp reprotect orders --region ${SECONDARY} --reason "..."`,
    });
    expect(checkNamed(report, 'dns')).toMatchObject({ status: 'fail', detail: `orders.example.com points at ${SECONDARY}, but the primary is ${PRIMARY}` });
    expect(checkNamed(report, 'notifications')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no confirmed subscription (1 pending confirmation)') });
    expect(sns).toHaveReceivedCommandWith(GetTopicAttributesCommand, { TopicArn: TOPIC_ARN });
  });

  it('fails a missing record, a silent observer and a lag datapoint older than two probe intervals', async () => {
    // Prepare
    record(undefined);
    databases({ lagAgeMs: 5 * 60_000 });
    const deps = await doctorDeps({ silentObserver: 'us-east-1' });

    // Act
    const report = await runDoctor(deps);

    // Assess
    expect(statusOf(report)).toMatchObject({ dns: 'fail', 'observer us-east-1': 'fail', 'observer eu-north-1': 'pass', [`lag metric ${SECONDARY}`]: 'fail' });
    expect(checkNamed(report, 'observer us-east-1').detail).toBe('us-east-1 last reported 600 s ago, more than two probe intervals (20 s)');
    expect(checkNamed(report, `lag metric ${SECONDARY}`).detail).toMatch(/is 300 s old, more than two probe intervals \(20 s\): an automatic failover would stop and ask an operator$/);
  });

  it('fails a check it cannot read instead of passing it, and warns (without failing) when fencing is none', async () => {
    // Prepare
    sns.on(GetTopicAttributesCommand).rejects(new Error('AccessDenied: sns:GetTopicAttributes'));
    iam.on(SimulatePrincipalPolicyCommand).rejects(new Error('AccessDenied: iam:SimulatePrincipalPolicy'));
    const group = { ...rdsGroup, policy: { ...rdsGroup.policy, fencing: 'none' } } as GroupConfig;
    const deps = await doctorDeps({ group });

    // Act
    const report = await runDoctor(deps);

    // Assess
    expect(checkNamed(report, 'notifications')).toMatchObject({ status: 'fail', detail: 'could not check: AccessDenied: sns:GetTopicAttributes' });
    expect(checkNamed(report, 'permissions orchestrator')).toMatchObject({ status: 'fail', fix: expect.stringContaining('iam:SimulatePrincipalPolicy') });
    expect(checkNamed(report, 'fencing').status).toBe('warn');
  });

  it('lists the calls a failover makes, fencing and record included, on the configured resources only', () => {
    // Act
    const calls = failoverCalls(rdsGroup, TABLE);

    // Assess
    expect(calls.map((call) => `${call.action} ${call.resource}`)).toEqual(
      expect.arrayContaining([
        `rds:PromoteReadReplica ${PRIMARY_INSTANCE_ARN}`,
        `rds:DescribeDBInstances arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:*`,
        `rds:ModifyDBInstance arn:aws:rds:${PRIMARY}:${ACCOUNT}:pg:orders-read-only`,
        'route53:ChangeResourceRecordSets arn:aws:route53:::hostedzone/Z0123456789ABC',
        `sns:Publish ${TOPIC_ARN}`,
        `dynamodb:UpdateItem ${TABLE}`,
      ]),
    );
    expect(calls.filter((call) => call.resource === '*').map((call) => call.action)).toEqual(['cloudwatch:GetMetricData']);
  });
});

import type { ControlPlaneConfig, GroupConfig } from '../config/schema.js';
import { STALE_AFTER_INTERVALS } from '../domain/replicaLag.js';
import type { EpochMs, RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { Database, DatabaseState } from '../ports/Database.js';
import type { ObservationStore } from '../ports/ObservationStore.js';
import type { PermissionQuery, PermissionSimulator } from '../ports/PermissionSimulator.js';
import type { StateStore } from '../ports/StateStore.js';
import type { TopicInspector } from '../ports/TopicInspector.js';
import type { Traffic } from '../ports/Traffic.js';
import { restoreSnapshot } from './snapshot.js';
import { groupReports } from './observerReports.js';

/** The roles whose permissions a failover depends on, by ARN. */
export interface DoctorRoles {
  readonly orchestrator: string;
  readonly operator: string;
  /** The probe role of each observer region. */
  readonly probe: (observerRegion: RegionName) => string;
}

/** Everything `fcp doctor` reads; it changes nothing. */
export interface DoctorDeps {
  readonly config: ControlPlaneConfig;
  readonly clock: Clock;
  readonly stateStore: StateStore;
  readonly observations: ObservationStore;
  readonly database: Database;
  readonly traffic: Traffic;
  readonly permissions: PermissionSimulator;
  readonly topics: TopicInspector;
  readonly roles: DoctorRoles;
  /** The state table's ARN in the region each role uses it from. */
  readonly tableArn: (region: RegionName) => string;
}

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly groupId: string;
  /** What was checked: `permissions orchestrator`, `replication us-east-1`, `dns`... */
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a failure or a warning. */
  readonly fix?: string;
}

export interface DoctorReport {
  readonly checkedAt: EpochMs;
  /** False when any check failed (warnings do not fail). */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

/**
 * Preflight for every group (or one): before an incident, checks that a failover would find what it needs. The roles
 * may make every call a failover makes (IAM simulation), each replica replicates from the current primary, the DNS
 * record exists and points at the primary, the notification topic has a subscriber, every observer reported within
 * two probe intervals, each replica's lag was measured within two intervals, and the fencing mode can work for the
 * live topology. Each check says pass, warn or fail, and for a failure the fix. A check that cannot read what it
 * needs fails with the error: an unknown is never a pass.
 *
 * @example
 * const report = await runDoctor(deps, { groupId: 'orders' });
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function runDoctor(deps: DoctorDeps, options: { groupId?: string } = {}): Promise<DoctorReport> {
  const groups = deps.config.groups.filter((group) => options.groupId === undefined || group.id === options.groupId);
  const checks = (await Promise.all(groups.map((group) => checkGroup(deps, group)))).flat();
  return { checkedAt: deps.clock.now(), ok: checks.every((check) => check.status !== 'fail'), checks };
}

async function checkGroup(deps: DoctorDeps, group: GroupConfig): Promise<DoctorCheck[]> {
  const now = deps.clock.now();
  const primary = restoreSnapshot(await deps.stateStore.load(group.id), group, now).context.primaryRegion;
  const replicas = Object.keys(group.regions).filter((region) => region !== primary);
  const states = new Map<RegionName, DatabaseState | Error>(
    await Promise.all(
      Object.keys(group.regions).map(async (region) => [region, await deps.database.describe(group, region).catch((error: unknown) => asError(error))] as const),
    ),
  );
  const at = (check: string, status: CheckStatus, detail: string, fix?: string): DoctorCheck => ({
    groupId: group.id,
    check,
    status,
    detail,
    ...(fix === undefined ? {} : { fix }),
  });
  const guarded = async (check: string, run: () => Promise<DoctorCheck[]>, fix: string): Promise<DoctorCheck[]> =>
    run().catch((error: unknown) => [at(check, 'fail', `could not check: ${asError(error).message}`, fix)]);
  return [
    ...(await permissionChecks(deps, group, at)),
    ...replicas.map((region) => replicationCheck(group, primary, region, states.get(region)!, at)),
    ...(await guarded('dns', async () => [await dnsCheck(deps, group, primary, at)], 'check the hosted zone and the record (dns.hostedZoneId, dns.recordName)')),
    ...(await guarded('notifications', async () => [await topicCheck(deps, group, at)], `check that ${group.notifications.topicArn} exists and may be read`)),
    ...(await guarded('observers', () => observerChecks(deps, group, now, at), 'check the state table and the probe functions')),
    ...replicas.map((region) => lagCheck(group, region, states.get(region)!, now, at)),
    fencingCheck(group, primary, states, at),
  ];
}

type At = (check: string, status: CheckStatus, detail: string, fix?: string) => DoctorCheck;

/**
 * Every call a failover of `group` makes, as the executor (orchestrator and operator API) makes it: read and promote
 * the databases, fence the old primary, read and change the group's own record, publish, read and write the state.
 *
 * @example
 * failoverCalls(group, tableArn).map((query) => query.action); // ['dynamodb:GetItem', ..., 'sns:Publish']
 */
export function failoverCalls(group: GroupConfig, tableArn: string): PermissionQuery[] {
  const calls: PermissionQuery[] = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].map((action) => ({ action, resource: tableArn }));
  for (const region of Object.values(group.regions)) {
    const database = region.database;
    if (database.kind === 'rds-instance') {
      const arn = database.instanceArn;
      const [, arnPartition, , arnRegion, arnAccount] = arn.split(':');
      calls.push(
        { action: 'rds:DescribeDBInstances', resource: arn },
        // The region's describes, coalesced, name no instance: IAM authorizes them against the region's db:*.
        { action: 'rds:DescribeDBInstances', resource: `arn:${arnPartition}:rds:${arnRegion}:${arnAccount}:db:*` },
        { action: 'rds:PromoteReadReplica', resource: arn },
      );
      if (group.policy.fencing === 'read-only-parameter-group' && database.readOnlyParameterGroup !== undefined) {
        const [, partition, , regionName, account] = arn.split(':');
        calls.push(
          { action: 'rds:ModifyDBInstance', resource: arn },
          { action: 'rds:ModifyDBInstance', resource: `arn:${partition}:rds:${regionName}:${account}:pg:${database.readOnlyParameterGroup}` },
        );
      }
      if (group.policy.fencing === 'stop-instance') calls.push({ action: 'rds:StopDBInstance', resource: arn });
    } else if (database.kind === 'aurora-global') {
      const [, partition, , , account] = database.clusterArn.split(':');
      const globalCluster = `arn:${partition}:rds::${account}:global-cluster:${database.globalClusterId}`;
      calls.push(
        { action: 'rds:DescribeGlobalClusters', resource: globalCluster },
        { action: 'rds:FailoverGlobalCluster', resource: globalCluster },
        { action: 'rds:FailoverGlobalCluster', resource: database.clusterArn },
        { action: 'rds:SwitchoverGlobalCluster', resource: globalCluster },
        { action: 'rds:SwitchoverGlobalCluster', resource: database.clusterArn },
      );
    }
  }
  calls.push({ action: 'cloudwatch:GetMetricData', resource: '*' });
  const partition = group.notifications.topicArn.split(':')[1] ?? 'aws';
  if (group.dns.switch === 'arc-routing-control') {
    for (const control of Object.values(group.dns.arc?.routingControls ?? {})) {
      calls.push(
        { action: 'route53-recovery-cluster:GetRoutingControlState', resource: control },
        { action: 'route53-recovery-cluster:UpdateRoutingControlStates', resource: control },
      );
    }
  } else {
    const zone = `arn:${partition}:route53:::hostedzone/${group.dns.hostedZoneId}`;
    calls.push(
      { action: 'route53:ListResourceRecordSets', resource: zone },
      {
        action: 'route53:ChangeResourceRecordSets',
        resource: zone,
        context: {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [group.dns.recordName.toLowerCase().replace(/\.$/, '')],
          'route53:ChangeResourceRecordSetsRecordTypes': [group.dns.type],
          'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
        },
      },
      { action: 'route53:GetChange', resource: `arn:${partition}:route53:::change/C0DOCTOR` },
    );
  }
  calls.push({ action: 'sns:Publish', resource: group.notifications.topicArn });
  return calls;
}

/** What a probe reads and writes for `group`: the databases' state and lag, its own reports in the table. */
export function probeCalls(group: GroupConfig, tableArn: string): PermissionQuery[] {
  return [
    ...['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'].map((action) => ({ action, resource: tableArn })),
    ...failoverCalls(group, tableArn).filter((call) => call.action === 'rds:DescribeDBInstances' || call.action === 'rds:DescribeGlobalClusters' || call.action === 'cloudwatch:GetMetricData'),
  ];
}

async function permissionChecks(deps: DoctorDeps, group: GroupConfig, at: At): Promise<DoctorCheck[]> {
  const controlPlaneTable = deps.tableArn(deps.config.fleet.controlPlaneRegion);
  const roles: { name: string; arn: string; calls: PermissionQuery[] }[] = [
    { name: 'orchestrator', arn: deps.roles.orchestrator, calls: failoverCalls(group, controlPlaneTable) },
    { name: 'operator API', arn: deps.roles.operator, calls: failoverCalls(group, controlPlaneTable) },
    ...deps.config.fleet.observerRegions.map((region) => ({ name: `observer ${region}`, arn: deps.roles.probe(region), calls: probeCalls(group, deps.tableArn(region)) })),
  ];
  return Promise.all(
    roles.map(async ({ name, arn, calls }) => {
      try {
        const denied = (await deps.permissions.simulate(arn, calls)).filter((decision) => !decision.allowed);
        if (denied.length === 0) return at(`permissions ${name}`, 'pass', `${arn} may make all ${calls.length} calls a failover makes`);
        const list = denied.map((decision) => `${decision.action} on ${decision.resource} (${decision.decision})`).join('; ');
        return at(`permissions ${name}`, 'fail', `${arn} may not: ${list}`, 'deploy the stacks again with this configuration (osls deploy), or grant these actions to the role');
      } catch (error) {
        return at(`permissions ${name}`, 'fail', `could not simulate ${arn}: ${asError(error).message}`, 'run fcp doctor with credentials allowed iam:SimulatePrincipalPolicy, and check the role exists');
      }
    }),
  );
}

function replicationCheck(group: GroupConfig, primary: RegionName, region: RegionName, state: DatabaseState | Error, at: At): DoctorCheck {
  const check = `replication ${region}`;
  if (state instanceof Error) return at(check, 'fail', `could not describe the database in ${region}: ${state.message}`, 'check the database exists and the credentials may describe it');
  if (state.role === 'replica' && state.sourceRegion === primary) return at(check, 'pass', `${region} replicates from the primary ${primary}`);
  const actual = state.role === 'replica' ? `replicates from ${state.sourceRegion ?? 'an unknown source'}` : `is ${state.role} (${state.status})`;
  return at(check, 'fail', `${region} ${actual}, not from the primary ${primary}: it is no failover candidate`, `fcp reprotect ${group.id} --region ${region} --reason "..."`);
}

async function dnsCheck(deps: DoctorDeps, group: GroupConfig, primary: RegionName, at: At): Promise<DoctorCheck> {
  const current = await deps.traffic.currentRegion(group);
  if (current === undefined) {
    return at('dns', 'fail', `${group.dns.recordName} does not exist or points at no region of the group`, `create the record pointing at ${primary} (its regions.${primary}.dnsTarget)`);
  }
  if (current !== primary) return at('dns', 'fail', `${group.dns.recordName} points at ${current}, but the primary is ${primary}`, `fcp status ${group.id}; point the record at ${primary} or run a switchover`);
  return at('dns', 'pass', `${group.dns.recordName} points at the primary ${primary}`);
}

async function topicCheck(deps: DoctorDeps, group: GroupConfig, at: At): Promise<DoctorCheck> {
  const { confirmed, pending } = await deps.topics.subscriptions(group.notifications.topicArn);
  if (confirmed >= 1) return at('notifications', 'pass', `${group.notifications.topicArn} has ${confirmed} confirmed subscription(s)`);
  const waiting = pending > 0 ? ` (${pending} pending confirmation)` : '';
  return at('notifications', 'fail', `${group.notifications.topicArn} has no confirmed subscription${waiting}: nobody hears of a failover`, `aws sns subscribe --topic-arn ${group.notifications.topicArn} --protocol email --notification-endpoint <on-call address>, then confirm it`);
}

async function observerChecks(deps: DoctorDeps, group: GroupConfig, now: EpochMs, at: At): Promise<DoctorCheck[]> {
  const reports = await groupReports(deps.observations, group);
  const maxAgeMs = STALE_AFTER_INTERVALS * group.policy.probeIntervalSeconds * 1_000;
  return deps.config.fleet.observerRegions.map((observer) => {
    const newest = Math.max(...reports.filter((report) => report.observerRegion === observer).map((report) => report.observedAt), -Infinity);
    const check = `observer ${observer}`;
    if (newest === -Infinity) return at(check, 'fail', `${observer} has never reported on ${group.id}`, `deploy its observer stack: osls deploy --param="observer=${observer}"`);
    const ageSeconds = Math.round((now - newest) / 1_000);
    if (now - newest > maxAgeMs) {
      return at(check, 'fail', `${observer} last reported ${ageSeconds} s ago, more than two probe intervals (${maxAgeMs / 1_000} s)`, `check the probe function in ${observer}: its schedule, its errors, its log`);
    }
    return at(check, 'pass', `${observer} reported ${ageSeconds} s ago`);
  });
}

function lagCheck(group: GroupConfig, region: RegionName, state: DatabaseState | Error, now: EpochMs, at: At): DoctorCheck {
  const check = `lag metric ${region}`;
  if (state instanceof Error) return at(check, 'fail', `could not read the replica lag in ${region}: ${state.message}`, 'check the database and CloudWatch permissions');
  const maxAgeMs = STALE_AFTER_INTERVALS * group.policy.probeIntervalSeconds * 1_000;
  if (state.replicaLagMeasuredAt === undefined || state.replicaLagSeconds === undefined) {
    return at(check, 'fail', `no recent replica lag datapoint for ${region}: automatic failover cannot judge the data loss`, 'check the ReplicaLag metric in CloudWatch, or add a database.connectionCheck that reports lag');
  }
  const ageSeconds = Math.round((now - state.replicaLagMeasuredAt) / 1_000);
  if (now - state.replicaLagMeasuredAt > maxAgeMs) {
    return at(
      check,
      'fail',
      `the newest lag datapoint for ${region} is ${ageSeconds} s old, more than two probe intervals (${maxAgeMs / 1_000} s): an automatic failover would stop and ask an operator`,
      'add a database.connectionCheck that reports lag, or raise policy.probeIntervalSeconds to at least 30 s (CloudWatch publishes every 60 s)',
    );
  }
  return at(check, 'pass', `${region} lag ${state.replicaLagSeconds} s, measured ${ageSeconds} s ago`);
}

function fencingCheck(group: GroupConfig, primary: RegionName, states: ReadonlyMap<RegionName, DatabaseState | Error>, at: At): DoctorCheck {
  const mode = group.policy.fencing;
  if (mode === 'none') {
    return at('fencing', 'warn', 'fencing is none: an old primary that comes back stays writable until someone stops it (split-brain-risk is raised)', 'set policy.fencing to read-only-parameter-group where the databases allow it');
  }
  const database = group.regions[primary]?.database;
  if (mode === 'read-only-parameter-group') {
    if (database?.kind !== 'rds-instance' || database.readOnlyParameterGroup === undefined) {
      return at('fencing', 'fail', `read-only-parameter-group cannot fence the primary ${primary}: it has no read-only parameter group`, `set regions.${primary}.database.readOnlyParameterGroup`);
    }
    return at('fencing', 'pass', `the primary ${primary} can be fenced with parameter group ${database.readOnlyParameterGroup}`);
  }
  // stop-instance: RDS refuses to stop an instance that has read replicas.
  const followers = [...states].filter(([region, state]) => region !== primary && !(state instanceof Error) && state.sourceRegion === primary).map(([region]) => region);
  if (database?.kind === 'rds-instance' && followers.length > 0) {
    return at('fencing', 'fail', `stop-instance cannot fence ${primary}: RDS refuses to stop an instance with read replicas (${followers.join(', ')})`, 'use read-only-parameter-group');
  }
  return at('fencing', 'pass', `stop-instance can fence the primary ${primary}`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

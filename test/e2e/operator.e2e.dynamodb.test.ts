import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { reconcileGroup, type ExecutorDeps } from '../../src/application/executor.js';
import type { FailoverHistoryEntry } from '../../src/application/status.js';
import { connect } from '../../src/cli/connection.js';
import { serveOperatorApiLocally, type LocalOperatorServer } from '../../src/cli/localServer.js';
import { runCli } from '../../src/cli/program.js';
import { drillConfig, PRIMARY, REPLICA, T0 } from '../application/harness.js';
import { TestClock } from '../doubles/TestClock.js';
import { ScriptedProber } from '../doubles/ScriptedProber.js';
import { localClient } from '../support/dynamodbLocal.js';
import { terminal } from '../cli/support.js';
import { awsEffects, instanceOf as instanceIn, mockLagAndRecord, observerRound, targetOf as targetIn } from './support.js';

// fcp (commander, in process) → HTTP on 127.0.0.1 → serveOperatorApiLocally → handleOperatorRequest → executor
// → DynamoDB Local for every store, and the AWS adapters for RDS, Route 53 and SNS on mocked SDK clients.

const DRILL_OPERATOR = 'arn:aws:iam::000000000000:user/drill-operator';
const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const sns = mockClient(SNSClient);

const config = drillConfig();
const group = config.groups[0]!;
const instanceOf = (region: string) => instanceIn(group, region);
const targetOf = (region: string) => targetIn(group, region);

let client: DynamoDBClient;
let server: LocalOperatorServer;
let workdir: string;
let deps: ExecutorDeps;
let promoted = false;
let recordValue = targetOf(PRIMARY);

/** RDS as the adapter sees it: a primary with replicas; the us-east-1 replica becomes standalone once promoted. */
function instance(region: string): DBInstance {
  const { instanceId, instanceArn } = instanceOf(region);
  if (region === PRIMARY) {
    return { DBInstanceIdentifier: instanceId, DBInstanceArn: instanceArn, DBInstanceStatus: 'available', ReadReplicaDBInstanceIdentifiers: [instanceOf(REPLICA).instanceArn] };
  }
  if (region === REPLICA && promoted) return { DBInstanceIdentifier: instanceId, DBInstanceArn: instanceArn, DBInstanceStatus: 'available' };
  return { DBInstanceIdentifier: instanceId, DBInstanceArn: instanceArn, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: instanceOf(PRIMARY).instanceArn };
}

beforeAll(async () => {
  client = localClient(inject('dynamodbEndpoint'));
  const tableName = `operator-e2e-${process.pid}`;
  await createTable(client, tableName);
  const stores = createDynamoDbStores({ client, tableName });
  const clock = new TestClock(T0);

  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    const region = Object.keys(group.regions).find((name) => instanceOf(name).instanceId === input.DBInstanceIdentifier)!;
    return { DBInstances: [instance(region)] };
  });
  rds.on(PromoteReadReplicaCommand).callsFake(() => {
    promoted = true;
    return { DBInstance: instance(REPLICA) };
  });
  mockLagAndRecord({ cloudWatch, route53 }, group, clock, () => recordValue);
  route53.on(ChangeResourceRecordSetsCommand).callsFake((input: { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: { ResourceRecords: { Value: string }[] } }[] } }) => {
    const created = input.ChangeBatch.Changes.find((change) => change.Action === 'CREATE');
    recordValue = created!.ResourceRecordSet.ResourceRecords[0]!.Value;
    return { ChangeInfo: { Id: '/change/C0E2E', Status: 'PENDING', SubmittedAt: new Date(clock.now()) } };
  });
  // Route 53 takes one poll to propagate the change: the executor waits (clock time) and the RTO shows it.
  route53
    .on(GetChangeCommand)
    .resolvesOnce({ ChangeInfo: { Id: '/change/C0E2E', Status: 'PENDING', SubmittedAt: new Date(T0) } })
    .resolves({ ChangeInfo: { Id: '/change/C0E2E', Status: 'INSYNC', SubmittedAt: new Date(T0) } });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

  deps = {
    config,
    clock,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
    ...awsEffects(clock),
    prober: new ScriptedProber(),
    polling: { initialMs: 1_000, maxMs: 5_000, factor: 1.5 },
    safetyMarginMs: 1_000,
  };
  await observerRound(deps, group, clock);
  workdir = await mkdtemp(join(tmpdir(), 'fcp-e2e-'));
  server = await serveOperatorApiLocally(deps, { port: 0, principalArn: DRILL_OPERATOR, cwd: workdir, inlineBudgetMs: 120_000 });
});

afterAll(async () => {
  await server?.close();
  client?.destroy();
  rds.restore();
  cloudWatch.restore();
  route53.restore();
  sns.restore();
  if (workdir !== undefined) await rm(workdir, { recursive: true, force: true });
});

describe('fcp failover end to end', () => {
  it('fails over through the local API, the executor, DynamoDB and the AWS adapters, and shows it in the history', async () => {
    // Prepare
    const local = JSON.parse(await readFile(join(workdir, '.fcp', 'local.json'), 'utf8')) as { url: string };
    const io = (answers: boolean[] = []) => terminal(undefined, { connect, cwd: workdir, env: {}, answers });
    const failover = io([true]);

    // Act
    const code = await runCli(['failover', group.id, '--to', REPLICA, '--reason', 'eu-west-1 storage degraded', '--local'], failover.io);

    // Assess
    expect(local.url).toBe(server.url);
    expect(code).toBe(0);
    expect(failover.prompts).toHaveLength(1);
    expect(failover.out()).toContain('expected data loss: up to 2 s of writes');
    expect(failover.out()).toContain('state: failedOver');
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
    expect(rds.commandCalls(PromoteReadReplicaCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: instanceOf(REPLICA).instanceId });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
    expect(recordValue).toBe(targetOf(REPLICA));
    const subjects = sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
    expect(subjects).toEqual([expect.stringContaining('failover started'), expect.stringContaining('failover completed')]);
    const requested = (await deps.eventLog.list(group.id)).find((event) => event.type === 'FAILOVER_REQUESTED');
    expect(requested).toMatchObject({ actor: DRILL_OPERATOR, message: expect.stringContaining('eu-west-1 storage degraded') });

    const history = io();
    expect(await runCli(['history', group.id, '--json', '--local'], history.io)).toBe(0);
    const { failovers } = history.json() as { failovers: FailoverHistoryEntry[] };
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatchObject({
      from: PRIMARY,
      to: REPLICA,
      outcome: 'completed',
      trigger: { kind: 'operator', principalArn: DRILL_OPERATOR },
      replicaLagAtPromotionSeconds: 2,
    });
    const dnsSync = failovers[0]!.stepTimings.find((timing) => timing.phase === 'DNS sync');
    expect(dnsSync?.durationMs).toBe(1_000);
    expect(failovers[0]!.rtoMs).toBe(failovers[0]!.stepTimings.reduce((sum, timing) => sum + timing.durationMs, 0));
    expect(failovers[0]!.stepTimings.map((timing) => timing.phase)).toEqual(
      expect.arrayContaining(['promotion', 'traffic switch', 'DNS sync', 'verification']),
    );
  });

  it('refuses a second failover to the new primary with exit 3, sending nothing', async () => {
    // Prepare
    const term = terminal(undefined, { connect, cwd: workdir, env: {}, answers: [true] });
    const promotions = rds.commandCalls(PromoteReadReplicaCommand).length;

    // Act
    const code = await runCli(['failover', group.id, '--to', REPLICA, '--reason', 'again', '--local'], term.io);

    // Assess
    expect(code).toBe(3);
    expect(term.err()).toContain(`${REPLICA} is already the primary of ${group.id}`);
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(promotions);
  });
});

describe('bad input end to end', () => {
  it('refuses a stored 150 KB-reason command instead of failing every pass on the DynamoDB item size, and lists nothing pending after', async () => {
    // Prepare: a pause stored before requests were bounded (its reason would push the state item past 400 KB)
    await deps.commands.enqueue({
      id: 'legacy-pause-0001',
      groupId: group.id,
      type: 'pause',
      principalArn: DRILL_OPERATOR,
      reason: 'x'.repeat(150_000),
      requestedAt: deps.clock.now(),
    });
    const listing = terminal(undefined, { connect, cwd: workdir, env: {} });
    expect(await runCli(['commands', group.id, '--local', '--json'], listing.io)).toBe(0);
    expect((listing.json() as { commands: { id: string; reason: string }[] }).commands).toEqual([
      expect.objectContaining({ id: 'legacy-pause-0001', reason: expect.stringMatching(/… \(150000 characters\)$/) }),
    ]);

    // Act
    const first = await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: deps.clock.now() + 60_000 });
    const second = await reconcileGroup(deps, group, { owner: 'orchestrator', deadline: deps.clock.now() + 60_000 });

    // Assess
    expect(first.state).toBe('failedOver');
    expect(second.result).not.toBe('stale');
    expect(await deps.commands.get(group.id, 'legacy-pause-0001')).toMatchObject({ status: 'refused', outcome: expect.stringMatching(/^malformed command, never applied: reason: must be at most 1024 bytes/) });
    expect(await deps.commands.pending(group.id)).toEqual([]);
  });

  it('answers 400 naming the body for a request over 8 KB, reading no more of it than the limit', async () => {
    // Prepare
    const term = terminal(undefined, { connect, cwd: workdir, env: {} });

    // Act
    const code = await runCli(['pause', group.id, '--reason', 'x'.repeat(150_000), '--local'], term.io);

    // Assess
    expect(code).toBe(2);
    expect(term.err()).toContain('body: is larger than the 8192-byte limit');
    expect(await deps.commands.pending(group.id)).toEqual([]);
  });
});

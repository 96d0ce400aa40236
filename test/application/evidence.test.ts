import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsDatabase } from '../../src/adapters/aws/database.js';
import { reconcileGroup } from '../../src/application/executor.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import type { ProbeDeps } from '../../src/application/probeRound.js';
import { RDS_INSTANCE_STATUSES, statusMeaning } from '../../src/domain/databaseStatus.js';
import type { Database } from '../../src/ports/Database.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { FAR_REPLICA, inMemoryWorld, PRIMARY, REPLICA } from './harness.js';

/**
 * A control-plane blip is not a dead primary: probe rounds from every observer and the executor, on in-memory doubles
 * and a manual clock, while the application's health endpoints keep passing and the RDS API says something odd.
 */

const MINUTE = 60_000;

/** The statuses that alone count as a database failure (issue #8 §1): terminal, nothing comes back without a person. */
const TERMINAL = [
  'failed',
  'inaccessible-encryption-credentials',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
];

/** Every DBInstanceStatus in AWS's "Viewing Amazon RDS DB instance status" table. */
const AWS_STATUSES = [
  'available',
  'backing-up',
  'backtracking',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'creating',
  'delete-precheck',
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
  'insufficient-capacity',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'restore-error',
  'starting',
  'stopped',
  'stopping',
  'storage-config-upgrade',
  'storage-full',
  'storage-optimization',
  'upgrading',
];

type World = ReturnType<typeof inMemoryWorld>;

function probeDepsOf(world: World, database: Database = world.deps.database): ProbeDeps {
  const { deps } = world;
  return { config: deps.config, prober: deps.prober, database, observations: deps.observations, faults: new InMemoryFaultStore(), clock: deps.clock };
}

/** Every observer probes every interval; the executor runs once a minute, as the deployed schedule does. */
async function runFor(world: World, minutes: number, database?: Database): Promise<string> {
  const { deps, group, clock } = world;
  const probeDeps = probeDepsOf(world, database);
  const intervalMs = group.policy.probeIntervalSeconds * 1_000;
  let state = 'monitoring';
  const end = clock.now() + minutes * MINUTE;
  let nextReconcileAt = clock.now();
  while (clock.now() < end) {
    for (const observerRegion of deps.config.fleet.observerRegions) await runProbeRound(probeDeps, { observerRegion });
    if (clock.now() >= nextReconcileAt) {
      state = (await reconcileGroup(deps, group, { owner: 'a', deadline: clock.now() + MINUTE })).state;
      nextReconcileAt = clock.now() + MINUTE;
    }
    clock.advance(intervalMs);
  }
  return state;
}

async function primaryHealth(world: World) {
  const record = await world.deps.stateStore.load(world.group.id);
  return record?.health[PRIMARY];
}

describe('a control-plane answer is never evidence a region is down', () => {
  it('has every status AWS documents in its table, and treats exactly the terminal ones as a database failure', () => {
    // Act
    const statuses = Object.keys(RDS_INSTANCE_STATUSES);
    const terminal = statuses.filter((status) => statusMeaning(status) === 'terminal');

    // Assess
    expect([...statuses].sort()).toEqual([...AWS_STATUSES].sort());
    expect(terminal.sort()).toEqual([...TERMINAL].sort());
    expect(statusMeaning('incompatible-something-new')).toBe('terminal');
    expect(statusMeaning('a-status-aws-adds-later')).toBe('unknown');
  });

  it.each(AWS_STATUSES.filter((status) => !TERMINAL.includes(status)))(
    'does not fail over a primary whose health endpoints pass while RDS reports it %s',
    async (status) => {
      // Prepare
      const world = inMemoryWorld();
      world.deps.database.region(PRIMARY).status = status;

      // Act
      const state = await runFor(world, 3);

      // Assess
      expect(state).toBe('monitoring');
      expect(world.deps.database.calls.promote).toBe(0);
      expect((await primaryHealth(world))?.verdict).not.toBe('unhealthy');
    },
  );

  it.each([...TERMINAL, 'not-found'])('fails over a primary whose database RDS reports %s although its health endpoints pass', async (status) => {
    // Prepare
    const world = inMemoryWorld();
    world.deps.database.region(PRIMARY).status = status;

    // Act
    await runFor(world, 3);

    // Assess
    expect(world.deps.database.calls.promoteEffective).toBe(1);
    expect((await world.deps.eventLog.listFailovers(world.group.id))[0]).toMatchObject({ from: PRIMARY, to: REPLICA });
  });

  it('keeps a healthy primary in storage-optimization for an hour: healthy, no failover', async () => {
    // Prepare
    const world = inMemoryWorld();
    world.deps.database.region(PRIMARY).status = 'storage-optimization';

    // Act
    const state = await runFor(world, 60);

    // Assess
    expect(state).toBe('monitoring');
    expect(world.deps.database.calls.promote).toBe(0);
    expect(world.deps.database.calls.fence).toBe(0);
    expect(world.deps.traffic.calls.changes).toBe(0);
    expect((await primaryHealth(world))?.verdict).toBe('healthy');
  });
});

describe('an RDS API brownout in the primary region', () => {
  const rds = mockClient(RDSClient);
  const cloudWatch = mockClient(CloudWatchClient);

  afterEach(() => {
    rds.reset();
    cloudWatch.reset();
  });

  /** The real AWS adapter over mocked RDS and CloudWatch: the primary's DescribeDBInstances fails with `error`. */
  function awsWorld(world: World, error: Error, lagAgeMs = 0): Database {
    const instanceOf = (region: string) => world.group.regions[region]!.database;
    const primaryArn = (instanceOf(PRIMARY) as { instanceArn: string }).instanceArn;
    rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
      if (input.DBInstanceIdentifier === (instanceOf(PRIMARY) as { instanceId: string }).instanceId) throw error;
      return {
        DBInstances: [
          { DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: primaryArn },
        ],
      };
    });
    cloudWatch
      .on(GetMetricDataCommand)
      .callsFake(() => ({ MetricDataResults: [{ Id: 'm0', Values: [1], Timestamps: [new Date(world.clock.now() - lagAgeMs)] }] }));
    return new AwsDatabase({
      rds: (region) => new RDSClient({ region }),
      cloudWatch: (region) => new CloudWatchClient({ region }),
      clock: world.clock,
    });
  }

  function serverError(): Error {
    return Object.assign(new Error('We encountered an internal error. Please try again.'), {
      name: 'InternalFailure',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
  }

  function throttled(): Error {
    return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  }

  it.each([
    ['answers 5xx', serverError, 'unreachable'],
    ['throttles every call', throttled, 'api-error'],
  ])('does not fail over while the RDS API %s for ten minutes: the primary is unknown, never unhealthy', async (_what, error, status) => {
    // Prepare
    const world = inMemoryWorld();
    const database = awsWorld(world, error());

    // Act
    const state = await runFor(world, 10, database);

    // Assess
    expect(state).toBe('monitoring');
    expect(world.deps.database.calls.promote).toBe(0);
    const health = await primaryHealth(world);
    expect(health?.verdict).toBe('unknown');
    expect(health?.reasons.join('\n')).toContain(`database unknown is ${status}`);
    const replicas = (await world.deps.stateStore.load(world.group.id))?.health;
    expect([replicas?.[REPLICA]?.verdict, replicas?.[FAR_REPLICA]?.verdict]).toEqual(['healthy', 'healthy']);
  });

  it('does not promote automatically on a replica lag whose newest CloudWatch datapoint is four minutes old', async () => {
    // Prepare: the primary region is really down (its health endpoint times out); the replicas' lag reads 1 s, measured 4 min ago.
    const world = inMemoryWorld();
    const database = awsWorld(world, serverError(), 4 * MINUTE);
    for (const endpoint of world.group.regions[PRIMARY]!.healthEndpoints) world.deps.prober.failing.add(endpoint.url);

    // Act
    const state = await runFor(world, 3, database);

    // Assess
    expect(state).toBe('blocked');
    expect(world.deps.database.calls.promote).toBe(0);
    const health = (await world.deps.stateStore.load(world.group.id))?.health[REPLICA];
    expect(health).toMatchObject({ replicaLagSeconds: 1, replicaLagMeasuredAt: expect.any(Number) });
    expect(world.clock.now() - health!.replicaLagMeasuredAt!).toBeGreaterThan(4 * MINUTE);
  });
});

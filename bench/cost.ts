/**
 * The cost model: real requests counted over simulated minutes of steady state at the default policy (10 s probes,
 * 3 observers, 3 regions per group), priced at bench/prices.ts. DynamoDB is DynamoDB Local behind the production
 * client settings, with a middleware that counts every request and the capacity units DynamoDB reports for it;
 * RDS and CloudWatch are aws-sdk-client-mock (no local equivalent), counted per call and per metric asked for.
 * Custom metrics are counted from the embedded-metric-format lines the real handlers print. Lambda is billed from
 * the deployed schedule (serverless.yml: memory, architecture; one invocation a minute that loops until ~50 s).
 *
 *   npm run bench -- --cost          (starts DynamoDB Local; a few minutes on a loaded machine)
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { clientConfig } from '../src/adapters/aws/clientConfig.js';
import { AwsDatabase } from '../src/adapters/aws/database.js';
import { createDynamoDbStores, createTable } from '../src/adapters/aws/dynamodb/index.js';
import type { ExecutorDeps } from '../src/application/executor.js';
import { orchestrate } from '../src/application/orchestrate.js';
import { newHeartbeatMemory, runProbeRound, type HeartbeatMemory, type ProbeDeps } from '../src/application/probeRound.js';
import { trackedDatabase } from '../src/application/trackedDatabase.js';
import type { ControlPlaneConfig, GroupConfig } from '../src/config/schema.js';
import { DEFAULT_SHARD, shardPassIntervalMs } from '../src/domain/shards.js';
import { LAG_STEADY_READ_EVERY_MINUTES } from '../src/domain/replicaLag.js';
import type { ObserverReport } from '../src/domain/types.js';
import { LOCAL_CREDENTIALS } from '../src/drill/dynamodbLocal.js';
import type { Clock } from '../src/ports/Clock.js';
import type { Prober } from '../src/ports/Prober.js';
import { drillConfig } from '../test/application/harness.js';
import { InMemoryTraffic } from '../test/doubles/InMemoryTraffic.js';
import { RecordingNotifier } from '../test/doubles/RecordingNotifier.js';
import { MINUTES_PER_MONTH, PRICES } from './prices.js';

const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);
const TICK_MS = 10_000;
const TICKS_PER_MINUTE = 60_000 / TICK_MS;
/**
 * Minutes played before counting: the first rounds find no earlier view of their groups, so they read every replica's
 * lag (`lagRead`); from the second minute on, every figure is the steady state's.
 */
const WARM_UP_MINUTES = 1;
/** Minutes counted: one whole cycle of the steady lag reads, so each replica's one read falls inside it. */
const MEASURED_MINUTES = LAG_STEADY_READ_EVERY_MINUTES;
/** A Lambda gets one vCPU at 1,769 MB, and CPU in proportion to its memory (AWS Lambda documentation). */
const MB_PER_VCPU = 1_769;

/** Goals of issue #11, monthly. */
export const COST_GOALS: Readonly<Record<number, number>> = { 1: 25, 100: 150, 1_000: 1_000 };

/** A clock the bench sets: every component of one tick sees the same time. */
class SteppedClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }
  set(at: number): void {
    this.current = at;
  }
}

/** Every request one DynamoDB client sends, by command, with the capacity units DynamoDB reports. */
export interface DynamoDbTally {
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  /** Conditional writes refused: billed, but DynamoDB reports no capacity for them (counted at 1 unit each). */
  refusedWrites: number;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'QueryCommand', 'BatchGetItemCommand',
  'BatchWriteItemCommand', 'TransactWriteItemsCommand', 'TransactGetItemsCommand', 'ScanCommand',
  'GetCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchGetCommand', 'BatchWriteCommand', 'TransactWriteCommand', 'TransactGetCommand',
]);

/** Adds the counting middleware to a client: every request goes through it, whatever store sends it. */
export function countDynamoDb(client: DynamoDBClient): DynamoDbTally {
  const tally: DynamoDbTally = { requests: {}, readUnits: 0, writeUnits: 0, refusedWrites: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const input = args.input as Record<string, unknown>;
      if (CAPACITY_COMMANDS.has(name)) input.ReturnConsumedCapacity = 'TOTAL';
      tally.requests[name] = (tally.requests[name] ?? 0) + 1;
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const entry of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
          const { ReadCapacityUnits, WriteCapacityUnits, CapacityUnits } = entry as Record<string, number | undefined>;
          if (ReadCapacityUnits !== undefined || WriteCapacityUnits !== undefined) {
            tally.readUnits += ReadCapacityUnits ?? 0;
            tally.writeUnits += WriteCapacityUnits ?? 0;
          } else if (/Get|Query|Scan/.test(name)) tally.readUnits += CapacityUnits ?? 0;
          else tally.writeUnits += CapacityUnits ?? 0;
        }
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') tally.refusedWrites += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'countRequestsForTheCostModel' },
  );
  return tally;
}

/** `count` groups like the drill's, at the default policy: 10 s probes, 3 observers, 3 regions. */
export function fleetConfig(count: number): ControlPlaneConfig {
  return drillConfig((draft) => {
    const template = draft.groups[0]!;
    template.policy.probeIntervalSeconds = 10;
    draft.groups = Array.from({ length: count }, (_, index) => {
      const id = `g${String(index).padStart(4, '0')}`;
      const group = structuredClone(template) as { -readonly [K in keyof GroupConfig]: GroupConfig[K] };
      group.id = id;
      group.dns = { ...group.dns, recordName: `${id}.drill.internal` };
      for (const [region, regionConfig] of Object.entries(group.regions)) {
        const database = regionConfig.database as { instanceId: string; instanceArn: string };
        database.instanceId = `${id}-${region}`;
        database.instanceArn = `arn:aws:rds:${region}:000000000000:db:${id}-${region}`;
      }
      return group as GroupConfig;
    });
  });
}

/** RDS and CloudWatch as aws-sdk-client-mock: each group's eu-west-1 is the primary, the others its replicas. */
export function mockAws(clock: Clock) {
  const rds = mockClient(RDSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const described = (id: string) => {
    const groupId = id.split('-')[0]!;
    const isPrimary = id.endsWith('eu-west-1');
    return {
      DBInstanceIdentifier: id,
      DBInstanceStatus: 'available',
      DBParameterGroups: [{ DBParameterGroupName: 'default', ParameterApplyStatus: 'in-sync' }],
      ...(isPrimary
        ? { ReadReplicaDBInstanceIdentifiers: [`arn:aws:rds:us-east-1:000000000000:db:${groupId}-us-east-1`] }
        : { ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:eu-west-1:000000000000:db:${groupId}-eu-west-1` }),
    };
  };
  // One instance by identifier, or the instances a `db-instance-id` filter names (a probe round's coalesced describe).
  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[] }) => ({
    DBInstances: (input.DBInstanceIdentifier === undefined ? (input.Filters?.[0]?.Values ?? []) : [input.DBInstanceIdentifier]).map(described),
  }));
  cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    // The newest datapoint of a 60 s metric: the minute before the current one began.
    const minute = Math.floor(clock.now() / 60_000) * 60_000 - 60_000;
    return { MetricDataResults: (input.MetricDataQueries ?? []).map((query) => ({ Id: query.Id, Values: [2], Timestamps: [new Date(minute)] })) };
  });
  return {
    rds,
    cloudWatch,
    counts() {
      const metricsAsked = cloudWatch
        .commandCalls(GetMetricDataCommand)
        .reduce((sum, call) => sum + (call.args[0].input.MetricDataQueries?.length ?? 0), 0);
      return { describeDbInstances: rds.commandCalls(DescribeDBInstancesCommand).length, getMetricData: cloudWatch.commandCalls(GetMetricDataCommand).length, metricsAsked };
    },
    reset() {
      rds.resetHistory();
      cloudWatch.resetHistory();
    },
    restore() {
      rds.restore();
      cloudWatch.restore();
    },
  };
}

/** Every endpoint answers 200 at once: HTTP to the application is not an AWS cost. */
const healthyProber: Prober = { probe: async (endpoints) => endpoints.map((endpoint) => ({ url: endpoint.url, ok: true, status: 200, latencyMs: 3 })) };

export interface Fleet {
  readonly config: ControlPlaneConfig;
  readonly clock: SteppedClock;
  readonly client: DynamoDBClient;
  readonly tally: DynamoDbTally;
  /** Per observer region. */
  readonly probeDeps: Readonly<Record<string, ProbeDeps>>;
  readonly executorDeps: ExecutorDeps;
  /** Per observer: the reports its current invocation saved (see `runProbeRound`'s `written`). */
  readonly written: Map<string, Map<string, ObserverReport>>;
  /** Per observer: the groups its current invocation vouches for (see `runProbeRound`'s `heartbeat`). */
  readonly heartbeats: Map<string, HeartbeatMemory>;
}

/** `count` groups on a fresh table of DynamoDB Local, through a client with the production settings (50 sockets). */
export async function buildFleet(endpoint: string, tableName: string, count: number, clock = new SteppedClock(T0)): Promise<Fleet> {
  const config = fleetConfig(count);
  const client = new DynamoDBClient({ ...clientConfig('us-east-1'), endpoint, credentials: LOCAL_CREDENTIALS });
  await createTable(client, tableName).catch((error: unknown) => {
    // A loaded machine: the first attempt timed out after DynamoDB Local created the table, and the retry found it.
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  });
  const tally = countDynamoDb(client);
  const stores = createDynamoDbStores({ client, tableName, region: 'us-east-1' });
  const awsDatabase = (options: { reuseLagUntilNewDatapoint?: boolean }) =>
    new AwsDatabase({
      rds: (region) => new RDSClient({ ...clientConfig(region), credentials: LOCAL_CREDENTIALS }),
      cloudWatch: (region) => new CloudWatchClient({ ...clientConfig(region), credentials: LOCAL_CREDENTIALS }),
      clock,
      ...options,
    });
  // As src/composition/lambda.ts builds them, one per observer (each its own Lambda): the probe reuses a lag reading until a
  // newer datapoint can exist.
  const aws = awsDatabase({});
  const probeDeps = Object.fromEntries(
    config.fleet.observerRegions.map((observerRegion): [string, ProbeDeps] => [
      observerRegion,
      {
        config,
        prober: healthyProber,
        database: trackedDatabase(awsDatabase({ reuseLagUntilNewDatapoint: true }), stores.stateStore, clock, { groups: config.groups }),
        observations: stores.observationStore,
        faults: stores.faultStore,
        clock,
      },
    ]),
  );
  const executorDeps: ExecutorDeps = {
    config,
    clock,
    stateStore: stores.stateStore,
    eventLog: stores.eventLog,
    observations: stores.observationStore,
    commands: stores.commandQueue,
    fleet: stores.fleetLedger,
    database: aws,
    traffic: new InMemoryTraffic(clock, 'eu-west-1', 0),
    notifier: new RecordingNotifier(),
    prober: healthyProber,
  };
  return { config, clock, client, tally, probeDeps, executorDeps, written: new Map(), heartbeats: new Map() };
}

export interface TickTimes {
  probeRoundMs: number[];
  probeRoundCpuMs: number[];
  passMs: number[];
  passCpuMs: number[];
  failedGroups: number;
}

/** One 10 s tick of the deployed schedule: a round from each observer, then one orchestrator pass. */
export async function tick(fleet: Fleet, index: number, times: TickTimes): Promise<void> {
  fleet.clock.set(T0 + index * TICK_MS);
  // A probe invocation runs the rounds of one minute and carries the reports it saved from round to round.
  if (index % TICKS_PER_MINUTE === 0) {
    fleet.written.clear();
    fleet.heartbeats.clear();
  }
  for (const observerRegion of fleet.config.fleet.observerRegions) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    let written = fleet.written.get(observerRegion);
    if (written === undefined) fleet.written.set(observerRegion, (written = new Map()));
    let heartbeat = fleet.heartbeats.get(observerRegion);
    if (heartbeat === undefined) fleet.heartbeats.set(observerRegion, (heartbeat = newHeartbeatMemory()));
    await runProbeRound(fleet.probeDeps[observerRegion]!, { observerRegion, written, heartbeat });
    const used = process.cpuUsage(cpu);
    times.probeRoundMs.push(performance.now() - started);
    times.probeRoundCpuMs.push((used.user + used.system) / 1_000);
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const minute = Math.floor(index / TICKS_PER_MINUTE);
  const outcomes = await orchestrate(fleet.executorDeps, { owner: `orchestrate-${minute}`, deadline: fleet.clock.now() + 50_000 });
  const used = process.cpuUsage(cpu);
  times.passMs.push(performance.now() - started);
  times.passCpuMs.push((used.user + used.system) / 1_000);
  times.failedGroups += outcomes.filter((outcome) => outcome.result === 'error').length;
}

function resetTally(tally: DynamoDbTally): void {
  tally.requests = {};
  tally.readUnits = 0;
  tally.writeUnits = 0;
  tally.refusedWrites = 0;
}

/** Requests per minute of steady state for `count` groups: warm-up minutes first, then `minutes` measured. */
async function measureSteadyState(endpoint: string, count: number, minutes: number) {
  const clock = new SteppedClock(T0);
  const aws = mockAws(clock);
  const fleet = await buildFleet(endpoint, `cost-${count}-${Date.now()}`, count, clock);
  const times: TickTimes = { probeRoundMs: [], probeRoundCpuMs: [], passMs: [], passCpuMs: [], failedGroups: 0 };
  const warmUpTicks = WARM_UP_MINUTES * TICKS_PER_MINUTE;
  for (let index = 0; index < warmUpTicks; index += 1) await tick(fleet, index, times);
  resetTally(fleet.tally);
  aws.reset();
  const measured: TickTimes = { probeRoundMs: [], probeRoundCpuMs: [], passMs: [], passCpuMs: [], failedGroups: 0 };
  for (let index = warmUpTicks; index < warmUpTicks + minutes * TICKS_PER_MINUTE; index += 1) await tick(fleet, index, measured);
  const perMinute = (value: number) => value / minutes;
  const counts = aws.counts();
  const requests = Object.values(fleet.tally.requests).reduce((sum, value) => sum + value, 0);
  aws.restore();
  fleet.client.destroy();
  return {
    groups: count,
    dynamoDbRequests: perMinute(requests),
    byCommand: Object.fromEntries(Object.entries(fleet.tally.requests).map(([name, value]) => [name, perMinute(value)])),
    readUnits: perMinute(fleet.tally.readUnits),
    writeUnits: perMinute(fleet.tally.writeUnits + fleet.tally.refusedWrites),
    refusedWrites: perMinute(fleet.tally.refusedWrites),
    describeDbInstances: perMinute(counts.describeDbInstances),
    metricsAsked: perMinute(counts.metricsAsked),
    probeRoundMs: median(measured.probeRoundMs),
    probeRoundCpuMs: median(measured.probeRoundCpuMs),
    passMs: median(measured.passMs),
    passCpuMs: median(measured.passCpuMs),
    failedGroups: measured.failedGroups,
  };
}

/** The custom metrics the real handlers emit for `count` groups: one invocation of each, its EMF lines counted. */
async function metricCensus(endpoint: string, count: number): Promise<{ metrics: number; emfBytesPerMinute: number }> {
  const { createProbeHandler } = await import('../handlers/probe.js');
  const { createOrchestrateHandler } = await import('../handlers/orchestrate.js');
  const { createTelemetry } = await import('../handlers/shared/telemetry.js');
  const { PROBE_SAFETY_MARGIN_MS, ORCHESTRATE_SAFETY_MARGIN_MS, MIN_PASS_MS } = await import('../src/domain/timing.js');
  const clock = new SteppedClock(T0);
  const aws = mockAws(clock);
  const fleet = await buildFleet(endpoint, `census-${count}-${Date.now()}`, count, clock);
  // The steady state's metrics: a custom metric is billed by the hour it receives data (prorated), so the verdict
  // changes of a fleet's first pass cost 1/720 of a month each, once; they are played before the census listens.
  const warmUp: TickTimes = { probeRoundMs: [], probeRoundCpuMs: [], passMs: [], passCpuMs: [], failedGroups: 0 };
  for (let index = 0; index < TICKS_PER_MINUTE; index += 1) await tick(fleet, index, warmUp);
  clock.set(T0 + TICKS_PER_MINUTE * TICK_MS);
  const keys = new Set<string>();
  let bytes = 0;
  const context = (remainingMs: number) =>
    ({ awsRequestId: 'census', functionName: 'census', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
  const capture = async (run: () => Promise<unknown>, weight: number) => {
    const write = process.stdout.write.bind(process.stdout);
    let captured = '';
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
    try {
      await run();
    } finally {
      process.stdout.write = write;
    }
    for (const line of captured.split('\n')) {
      if (!line.includes('"_aws"')) continue;
      bytes += (Buffer.byteLength(line) + 1) * weight;
      const emf = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
      for (const directive of emf._aws.CloudWatchMetrics) {
        for (const dimensions of directive.Dimensions) {
          for (const metric of directive.Metrics) {
            keys.add(`${directive.Namespace}|${metric.Name}|${dimensions.map((name) => `${name}=${String(emf[name])}`).join(',')}`);
          }
        }
      }
    }
  };
  for (const observerRegion of fleet.config.fleet.observerRegions) {
    const handler = createProbeHandler({ load: async () => ({ deps: fleet.probeDeps[observerRegion]!, observerRegion }), ...createTelemetry() });
    // One round per census invocation; a deployed invocation sums its rounds into the same lines, one set a minute.
    await capture(() => handler({}, context(PROBE_SAFETY_MARGIN_MS + 2_500)), 1);
  }
  const orchestrateHandler = createOrchestrateHandler({ load: async () => fleet.executorDeps, ...createTelemetry(), passIntervalMs: TICK_MS });
  // One pass per census invocation; a deployed invocation makes TICKS_PER_MINUTE passes, each with its own lines.
  await capture(() => orchestrateHandler({}, context(ORCHESTRATE_SAFETY_MARGIN_MS + MIN_PASS_MS + 1_000)), TICKS_PER_MINUTE);
  aws.restore();
  fleet.client.destroy();
  return { metrics: keys.size, emfBytesPerMinute: bytes };
}

/**
 * Memory of the two scheduled functions and the architecture, read from serverless.yml so the model follows the
 * deployment (a function's own `memorySize`, else the provider's).
 */
function deployedLambda(): { probeMb: number; orchestrateMb: number; architecture: string } {
  const text = readFileSync(new URL('../serverless.yml', import.meta.url), 'utf8');
  const providerMb = Number(/^\s{2}memorySize:\s*(\d+)/m.exec(text)?.[1] ?? 128);
  const functionMb = (name: string) => {
    const block = new RegExp(`^(\\s+)${name}:\\n((?:\\1\\s+.*\\n|\\s*\\n)+)`, 'm').exec(text)?.[2] ?? '';
    return Number(/^\s+memorySize:\s*(\d+)/m.exec(block)?.[1] ?? providerMb);
  };
  const architecture = /^\s{2}architecture:\s*(\S+)/m.exec(text)?.[1] ?? 'x86_64';
  return { probeMb: functionMb('probe'), orchestrateMb: functionMb('orchestrate'), architecture };
}

/**
 * The memory a scheduled function needs for `cpuMs` of work every 10 s interval to take at most half of it (CPU comes
 * with memory: `MB_PER_VCPU`), in 64 MB steps, and never less than deployed. CPU is this machine's, close to a
 * Graviton core's; the figure says when the deployed memory must be raised, and prices that.
 */
function memoryNeededMb(deployedMb: number, cpuMs: number): number {
  const neededMb = Math.ceil(((cpuMs / (TICK_MS / 2)) * MB_PER_VCPU) / 64) * 64;
  return Math.max(deployedMb, neededMb);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

type Measured = Awaited<ReturnType<typeof measureSteadyState>>;

/** A linear fit through the smallest and largest measured fleets: a fixed part and a part per group. */
function perGroupFit(points: readonly Measured[], pick: (point: Measured) => number): (groups: number) => number {
  const first = points[0]!;
  const last = points.at(-1)!;
  const slope = last.groups === first.groups ? pick(last) / last.groups : (pick(last) - pick(first)) / (last.groups - first.groups);
  const fixed = pick(first) - slope * first.groups;
  return (groups) => Math.max(0, fixed + slope * groups);
}

/**
 * Prints the monthly cost for 1, 100 and 1,000 groups next to the goals, and per-pass figures.
 *
 * @example
 * await printCostModel(local.endpoint, { fleets: [1, 10] });
 */
export async function printCostModel(endpoint: string, options: { minutes?: number; fleets?: readonly number[] } = {}): Promise<void> {
  const minutes = options.minutes ?? MEASURED_MINUTES;
  const fleets = options.fleets ?? [1, 10, 100];
  const points: Measured[] = [];
  for (const groups of fleets) {
    const point = await measureSteadyState(endpoint, groups, minutes);
    points.push(point);
    console.log(
      `cost model, ${groups} group(s), steady state per minute: DynamoDB ${point.dynamoDbRequests.toFixed(0)} requests ` +
        `(${Object.entries(point.byCommand).map(([name, value]) => `${name.replace(/Command$/, '')} ${value.toFixed(0)}`).join(', ')}), ` +
        `${point.writeUnits.toFixed(1)} WRU (${point.refusedWrites.toFixed(0)} refused conditional writes), ${point.readUnits.toFixed(1)} RRU; ` +
        `RDS DescribeDBInstances ${point.describeDbInstances.toFixed(0)}; CloudWatch metrics read ${point.metricsAsked.toFixed(1)}; ` +
        `orchestrate pass ${point.passMs.toFixed(0)} ms (${point.passCpuMs.toFixed(0)} ms CPU), probe round ${point.probeRoundMs.toFixed(0)} ms (${point.probeRoundCpuMs.toFixed(0)} ms CPU), ${point.failedGroups} group errors`,
    );
    const perGroupPass = point.dynamoDbRequests / TICKS_PER_MINUTE / groups;
    const writesPerPass = (point.byCommand.UpdateCommand ?? 0) + (point.byCommand.PutCommand ?? 0);
    console.log(`  per group: ${perGroupPass.toFixed(2)} DynamoDB requests per tick (probe rounds + pass); orchestrate-side state writes per pass ${(writesPerPass / TICKS_PER_MINUTE / groups).toFixed(2)} (incl. observation puts: see Put)`);
  }
  const census = [await metricCensus(endpoint, 1), await metricCensus(endpoint, 10)];
  const metricsFor = (groups: number) => census[0]!.metrics + ((census[1]!.metrics - census[0]!.metrics) / 9) * (groups - 1);
  const emfBytesFor = (groups: number) => census[0]!.emfBytesPerMinute + ((census[1]!.emfBytesPerMinute - census[0]!.emfBytesPerMinute) / 9) * (groups - 1);
  const { probeMb, orchestrateMb, architecture } = deployedLambda();
  const write = perGroupFit(points, (point) => point.writeUnits);
  const read = perGroupFit(points, (point) => point.readUnits);
  const metricsRead = perGroupFit(points, (point) => point.metricsAsked);
  const passMs = perGroupFit(points, (point) => point.passMs);
  const roundMs = perGroupFit(points, (point) => point.probeRoundMs);
  const passCpuMs = perGroupFit(points, (point) => point.passCpuMs);
  const roundCpuMs = perGroupFit(points, (point) => point.probeRoundCpuMs);
  console.log(
    `custom metrics in steady state: ${census[0]!.metrics} for 1 group, ${census[1]!.metrics} for 10 groups; ` +
      `Lambda as deployed (serverless.yml): probe ${probeMb} MB ×3, orchestrate ${orchestrateMb} MB ×1, ${architecture}, each invoked every minute`,
  );
  for (const groups of [1, 100, 1_000]) {
    const perMonth = (perMinute: number) => perMinute * MINUTES_PER_MONTH;
    const dynamodb = perMonth(write(groups)) * PRICES.dynamodb.writeRequestUnitUsd + perMonth(read(groups)) * PRICES.dynamodb.readRequestUnitUsd;
    const cloudwatchReads = perMonth(metricsRead(groups)) * PRICES.cloudwatch.getMetricDataPerMetricUsd;
    const customMetrics = metricsFor(groups) * PRICES.cloudwatch.customMetricMonthUsd + (perMonth(emfBytesFor(groups)) / 1e9) * PRICES.cloudwatch.logsIngestedPerGbUsd;
    // Each invocation loops until its last round or pass, started ~50 s in, is done; at the memory its CPU needs.
    const probeMemoryMb = memoryNeededMb(probeMb, roundCpuMs(groups));
    const orchestrateMemoryMb = memoryNeededMb(orchestrateMb, passCpuMs(groups));
    const gbSeconds = (3 * (50 + roundMs(groups) / 1_000) * probeMemoryMb + (50 + passMs(groups) / 1_000) * orchestrateMemoryMb) / 1_024;
    const lambda = perMonth(gbSeconds) * PRICES.lambda.arm64GbSecondUsd + perMonth(4) * PRICES.lambda.requestUsd;
    const total = dynamodb + cloudwatchReads + customMetrics + lambda;
    const goal = COST_GOALS[groups];
    console.log(
      `cost model: ${String(groups).padStart(5)} group(s) $${total.toFixed(0).padStart(6)} a month (goal ≤ $${goal}: ${total <= goal! ? 'met' : 'NOT met'}) = ` +
        `DynamoDB $${dynamodb.toFixed(2)} + CloudWatch GetMetricData $${cloudwatchReads.toFixed(2)} + custom metrics $${customMetrics.toFixed(2)} + ` +
        `Lambda $${lambda.toFixed(2)} (probe ${probeMemoryMb} MB, orchestrate ${orchestrateMemoryMb} MB)` +
        (groups > fleets.at(-1)! ? ` (extrapolated from ${fleets.join('/')} groups)` : ''),
    );
  }
}

/**
 * One orchestrate function over `count` groups against DynamoDB Local: the time of a steady pass and the groups that
 * failed in it. Goal (issue #11): 1,000 groups every 10 s with 0 failing.
 *
 * @example
 * await printScale(local.endpoint, [1, 10, 100, 1_000]);
 */
export async function printScale(endpoint: string, counts: readonly number[]): Promise<void> {
  for (const count of counts) {
    const clock = new SteppedClock(T0);
    const aws = mockAws(clock);
    const fleet = await buildFleet(endpoint, `scale-${count}-${Date.now()}`, count, clock);
    // One round from each observer makes every report fresh for two intervals; the passes are what is measured.
    for (const observerRegion of fleet.config.fleet.observerRegions) await runProbeRound(fleet.probeDeps[observerRegion]!, { observerRegion });
    const passes: { ms: number; cpuMs: number; failed: number }[] = [];
    for (const at of [0, 5_000, 10_000]) {
      fleet.clock.set(T0 + at);
      const started = performance.now();
      const cpu = process.cpuUsage();
      const outcomes = await orchestrate(fleet.executorDeps, { owner: 'scale', deadline: fleet.clock.now() + 50_000 });
      const used = process.cpuUsage(cpu);
      passes.push({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1_000, failed: outcomes.filter((outcome) => outcome.result === 'error').length });
    }
    aws.restore();
    fleet.client.destroy();
    const [first, ...steady] = passes as [(typeof passes)[0], ...typeof passes];
    console.log(
      `scale: ${String(count).padStart(5)} group(s), one orchestrate function: steady pass ${Math.max(...steady.map((pass) => pass.ms)).toFixed(0)} ms ` +
        `(${Math.max(...steady.map((pass) => pass.cpuMs)).toFixed(0)} ms CPU), ${steady.reduce((sum, pass) => sum + pass.failed, 0)} of ${steady.length * count} group passes failed; ` +
        `first pass (creates every record) ${first.ms.toFixed(0)} ms, ${first.failed} failed ` +
        `(goal: 1,000 groups within the orchestrator's pass interval, ${shardPassIntervalMs(fleet.config.groups, DEFAULT_SHARD)} ms at this policy, 0 failing; beyond: shards, docs/deployment.md)`,
    );
  }
}

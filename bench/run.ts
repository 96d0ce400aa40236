/**
 * Benchmarks: print figures, assert nothing (timed assertions flake on shared machines).
 *   npm run bench                 in-memory figures
 *   npm run bench -- --dynamodb   also the executor against DynamoDB Local (starts a JVM, ~5 s)
 *   npm run bench -- --drills     the control plane's share of every failing-over drill's RTO (bench/drillOverhead.ts)
 *   npm run bench -- --cost       the monthly cost model at 1/100/1,000 groups (bench/cost.ts; minutes)
 *   npm run bench -- --scale      one orchestrate pass over 1/10/100/1,000 groups against DynamoDB Local
 *   npm run bench -- --detection  the decision time under the deployed schedule for more policies (bench/detection.ts)
 *   npm run bench -- --probe-round  300 endpoints on 127.0.0.1, 10 % hanging past a 1 s timeout
 *   npm run bench -- --cli        only the fcp start-up figures (bench/cli.ts)
 * Quote ratios from one run: the machines are shared and noisy.
 */
import { performance } from 'node:perf_hooks';
import { bundleBench } from './bundles.js';
import { reconcileGroup, type ExecutorDeps } from '../src/application/executor.js';
import { parseConfig } from '../src/config/load.js';
import { evaluateGroup } from '../src/domain/verdicts.js';
import { largeConfigYaml } from '../test/config/largeConfig.js';
import { cliBench } from './cli.js';
import { confirmDown, inMemoryWorld, PRIMARY } from '../test/application/harness.js';
import { InMemoryDatabase } from '../test/doubles/InMemoryDatabase.js';
import { InMemoryTraffic } from '../test/doubles/InMemoryTraffic.js';

const HOUR = 3_600_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** A world whose AWS effects are instant, so what is measured is the control plane itself. */
async function instantWorld(storage?: Partial<ExecutorDeps>) {
  const world = inMemoryWorld();
  const { clock } = world;
  const deps = {
    ...world.deps,
    ...storage,
    database: new InMemoryDatabase(clock, {
      'eu-west-1': { role: 'primary' },
      'us-east-1': { role: 'replica', replicaLagSeconds: 2 },
      'ap-southeast-2': { role: 'replica', replicaLagSeconds: 5 },
    }, 0),
    traffic: new InMemoryTraffic(clock, 'eu-west-1', 0),
  };
  await confirmDown(deps as typeof world.deps, world.group, [PRIMARY]);
  return { ...world, deps };
}

async function failoverOverhead(label: string, runs: number, storage?: () => Promise<Partial<ExecutorDeps>>) {
  const durations: number[] = [];
  let saves = 0;
  for (let run = 0; run < runs; run += 1) {
    const { deps, group, clock } = await instantWorld(storage ? await storage() : undefined);
    const started = performance.now();
    const outcome = await reconcileGroup(deps, group, { owner: 'bench', deadline: clock.now() + HOUR });
    durations.push(performance.now() - started);
    if (outcome.state !== 'failedOver') throw new Error(`run ${run} ended in ${outcome.state}`);
    saves = (await deps.eventLog.list(group.id)).length;
  }
  console.log(
    `${label}: whole failover (detect → verified, effects instant) median ${median(durations).toFixed(1)} ms, ` +
      `p90 ${percentile(durations, 0.9).toFixed(1)} ms over ${runs} runs; ${saves} logged events, one CAS save per step`,
  );
}

function verdictThroughput() {
  const world = inMemoryWorld();
  const { group } = world;
  const regions = Object.keys(group.regions);
  const observers = world.deps.config.fleet.observerRegions;
  const now = world.clock.now();
  const reports = regions.flatMap((region) =>
    observers.map((observerRegion) => ({
      groupId: group.id,
      region,
      observerRegion,
      observedAt: now - 1_000,
      ok: region !== PRIMARY,
      consecutiveFailures: region === PRIMARY ? 5 : 0,
      consecutiveSuccesses: region === PRIMARY ? 0 : 5,
      failureReasons: [],
      last: { observedAt: now - 1_000, http: [], database: { ok: true, role: 'replica' as const, status: 'available', replicaLagSeconds: 1 } },
    })),
  );
  const iterations = 20_000;
  const started = performance.now();
  let previous = {};
  for (let index = 0; index < iterations; index += 1) {
    previous = evaluateGroup({ group, previous, reports, observerRegions: observers, now });
  }
  const elapsed = performance.now() - started;
  console.log(
    `verdicts: ${(iterations / (elapsed / 1000)).toFixed(0)} group evaluations/s ` +
      `(${regions.length} regions × ${observers.length} observers), ${((elapsed * 1000) / iterations).toFixed(1)} µs each`,
  );
}

async function recordSize() {
  const { deps, group, clock } = await instantWorld();
  await reconcileGroup(deps, group, { owner: 'bench', deadline: clock.now() + HOUR });
  const record = await deps.stateStore.load(group.id);
  const bytes = Buffer.byteLength(JSON.stringify(record));
  console.log(`state item: ${bytes} bytes of JSON after a failover (DynamoDB item limit 400 KB: ${((bytes / 409_600) * 100).toFixed(1)} %)`);
  const heapBefore = process.memoryUsage().heapUsed;
  for (let index = 0; index < 200; index += 1) {
    const world = await instantWorld();
    await reconcileGroup(world.deps, world.group, { owner: 'bench', deadline: world.clock.now() + HOUR });
  }
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`memory: heap ${(heapAfter / 1e6).toFixed(1)} MB after 200 more failovers (${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB growth${globalThis.gc ? '' : ', without --expose-gc'})`);
}

/** fcp validate on a 5 MB file with 110 000 keys: linear now (yaml's pairwise duplicate-key check took minutes). */
function configValidation() {
  for (const keys of [55_000, 110_000]) {
    const text = largeConfigYaml(keys);
    const started = performance.now();
    const cpu = process.cpuUsage();
    let issues = 0;
    try {
      parseConfig(text, 'yaml');
    } catch (error) {
      issues = (error as { issues?: readonly string[] }).issues?.length ?? 0;
    }
    const used = process.cpuUsage(cpu);
    console.log(
      `config validation: ${(text.length / 1e6).toFixed(1)} MB of YAML with ${keys} keys checked in ${(performance.now() - started).toFixed(0)} ms ` +
        `(${((used.user + used.system) / 1e3).toFixed(0)} ms CPU; ${issues} issues reported)`,
    );
  }
}

async function main() {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  if (process.argv.includes('--cli')) return cliBench();
  await failoverOverhead('in-memory ports', 200);
  verdictThroughput();
  await recordSize();
  configValidation();
  await bundleBench();
  await (await import('./detection.js')).printDetection({ all: process.argv.includes('--detection') });
  if (process.argv.includes('--drills')) await (await import('./drillOverhead.js')).drillOverhead();
  if (process.argv.includes('--probe-round')) {
    const { printProbeRound } = await import('./probeRound.js');
    await printProbeRound();
  }
  if (process.argv.includes('--cost') || process.argv.includes('--scale')) {
    const { startDynamoDbLocal } = await import('../test/support/dynamodbLocal.js');
    const { printCostModel, printScale } = await import('./cost.js');
    const local = await startDynamoDbLocal();
    try {
      if (process.argv.includes('--cost')) await printCostModel(local.endpoint);
      if (process.argv.includes('--scale')) await printScale(local.endpoint, [1, 10, 100, 1_000]);
    } finally {
      await local.stop();
    }
  }
  await cliBench();
  if (process.argv.includes('--dynamodb')) {
    const { startDynamoDbLocal, localClient } = await import('../test/support/dynamodbLocal.js');
    const { createDynamoDbStores, createTable } = await import('../src/adapters/aws/dynamodb/index.js');
    const local = await startDynamoDbLocal();
    try {
      const client = localClient(local.endpoint);
      let table = 0;
      await failoverOverhead('DynamoDB Local', 10, async () => {
        table += 1;
        await createTable(client, `bench-${table}`);
        const stores = createDynamoDbStores({ client, tableName: `bench-${table}` });
        return {
          stateStore: stores.stateStore,
          eventLog: stores.eventLog,
          observations: stores.observationStore,
          commands: stores.commandQueue,
          fleet: stores.fleetLedger,
        };
      });
      client.destroy();
    } finally {
      await local.stop();
    }
  }
}

await main();

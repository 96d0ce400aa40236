/**
 * One probe round over 300 endpoints on real HTTP servers on 127.0.0.1, 10 % of them hanging past a 1 s timeout
 * (issue #11: ≤ 1.3 s, and no healthy endpoint timed out), idle and with every core kept busy by other threads.
 *
 *   npm run bench -- --probe-round
 */
import { Worker } from 'node:worker_threads';
import { HttpProber } from '../src/adapters/http/HttpProber.js';
import { systemClock } from '../src/adapters/clock/systemClock.js';
import { runProbeRound, type ProbeDeps } from '../src/application/probeRound.js';
import type { GroupConfig } from '../src/config/schema.js';
import type { Database } from '../src/ports/Database.js';
import { InMemoryFaultStore } from '../test/doubles/InMemoryFaultStore.js';
import { InMemoryObservationStore } from '../test/doubles/InMemoryObservationStore.js';
import { fleetConfig } from './cost.js';

const ENDPOINTS = 300;
const HANGING_EVERY = 10;
const TIMEOUT_MS = 1_000;
const GOAL_MS = 1_300;

/** A database that answers at once: the round's time is the HTTP probes' and the stores'. */
const instantDatabase: Database = {
  describe: async (_group, region) => ({ region, role: region === 'eu-west-1' ? 'primary' : 'replica', status: 'available', writable: region === 'eu-west-1' }),
  fence: async () => {
    throw new Error('a probe never fences');
  },
  promote: async () => {
    throw new Error('a probe never promotes');
  },
};

/** The servers run in their own thread, as remote ones would: the prober's event loop only probes. */
async function listen(): Promise<{ worker: Worker; base: string }> {
  const worker = new Worker(
    `const { createServer } = require('node:http');
     const { parentPort } = require('node:worker_threads');
     const server = createServer((request, response) => {
       if (request.url.startsWith('/hang/')) return; // never answers: the prober's timeout ends it
       response.end('ok');
     });
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
    { eval: true },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  return { worker, base: `http://127.0.0.1:${port}` };
}

/** Threads that spin, one per core, so the round runs on a loaded machine. */
function burnCores(count: number): Worker[] {
  return Array.from({ length: count }, () => new Worker('const end = Date.now() + 600_000; while (Date.now() < end) {}', { eval: true }));
}

async function rounds(deps: ProbeDeps, count: number): Promise<{ maxMs: number; falseTimeouts: number; hangingTimedOut: number; reasons: Set<string> }> {
  let maxMs = 0;
  let falseTimeouts = 0;
  const reasons = new Set<string>();
  let hangingTimedOut = 0;
  for (let round = 0; round < count; round += 1) {
    const started = performance.now();
    const result = await runProbeRound(deps, { observerRegion: 'us-east-1' });
    maxMs = Math.max(maxMs, performance.now() - started);
    for (const region of result.regions) {
      const hanging = deps.config.groups.find((group) => group.id === region.groupId)!.regions[region.region]!.healthEndpoints[0]!.url.includes('/hang/');
      if (hanging && !region.ok) hangingTimedOut += 1;
      if (!hanging && !region.ok) {
        falseTimeouts += 1;
        for (const reason of region.failureReasons) reasons.add(reason.replace(/\d+/g, 'N'));
      }
    }
  }
  return { maxMs, falseTimeouts, hangingTimedOut: hangingTimedOut / count, reasons };
}

/**
 * Prints the round time and the healthy endpoints that failed, idle and under load.
 *
 * @example
 * await printProbeRound();
 */
export async function printProbeRound(): Promise<void> {
  const { worker: servers, base } = await listen();
  const config = fleetConfig(ENDPOINTS / 3);
  let index = 0;
  for (const group of config.groups as GroupConfig[]) {
    for (const region of Object.values(group.regions)) {
      const path = index % HANGING_EVERY === HANGING_EVERY - 1 ? 'hang' : 'ok';
      (region as { healthEndpoints: unknown }).healthEndpoints = [{ url: `${base}/${path}/${index}`, timeoutMs: TIMEOUT_MS, expectedStatus: 200 }];
      index += 1;
    }
  }
  const deps: ProbeDeps = {
    config,
    // PROBE_CONCURRENCY=300 npm run bench -- --probe-round: what every probe at once does to the healthy ones.
    prober: new HttpProber(process.env.PROBE_CONCURRENCY ? { concurrency: Number(process.env.PROBE_CONCURRENCY) } : {}),
    database: instantDatabase,
    observations: new InMemoryObservationStore(),
    faults: new InMemoryFaultStore(),
    clock: systemClock,
  };
  try {
    await rounds(deps, 1); // connections and JIT warm
    const idle = await rounds(deps, 5);
    const workers = burnCores(2);
    let loaded;
    try {
      loaded = await rounds(deps, 5);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
    for (const [label, figures] of [['idle', idle], ['2 busy threads', loaded]] as const) {
      console.log(
        `probe round: ${ENDPOINTS} endpoints on 127.0.0.1, ${ENDPOINTS / HANGING_EVERY} hanging past a ${TIMEOUT_MS} ms timeout, ${label}: ` +
          `slowest of 5 rounds ${figures.maxMs.toFixed(0)} ms (goal ≤ ${GOAL_MS} ms: ${figures.maxMs <= GOAL_MS ? 'met' : 'NOT met'}), ` +
          `${figures.falseTimeouts} healthy endpoint results failed (goal 0${figures.reasons.size > 0 ? `; ${[...figures.reasons].slice(0, 3).join('; ')}` : ''}), ` +
          `${figures.hangingTimedOut} hanging ones timed out per round`,
      );
    }
  } finally {
    await servers.terminate();
  }
}

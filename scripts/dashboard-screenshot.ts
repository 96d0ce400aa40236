/**
 * Takes docs/dashboard.png: the dashboard in Chromium during a local drill (primary-region-outage, in-memory stores),
 * while the failover is promoting the replica. Run: node --import tsx scripts/dashboard-screenshot.ts [out.png]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LocalOperatorClient } from '../src/cli/localClient.js';
import { serveOperatorApiLocally } from '../src/cli/localServer.js';
import { loadConfig } from '../src/config/load.js';
import { DRILL_CONFIG_PATH, DRILL_PRINCIPAL, startDrill } from '../src/drill/runDrill.js';
import { primaryRegionOutage } from '../src/drill/scenarios/library.js';
import { serveDashboard } from '../src/ui/server.js';
import { InMemoryCommandQueue } from '../test/doubles/InMemoryCommandQueue.js';
import { InMemoryEventLog } from '../test/doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../test/doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../test/doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../test/doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../test/doubles/InMemoryStateStore.js';

const out = process.argv[2] ?? 'docs/dashboard.png';
const cwd = await mkdtemp(join(tmpdir(), 'fcp-screenshot-'));
const session = await startDrill({
  scenario: primaryRegionOutage,
  factor: 10,
  stores: {
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    faults: new InMemoryFaultStore(),
  },
});
const api = await serveOperatorApiLocally(session.deps, { port: 0, principalArn: DRILL_PRINCIPAL, cwd });
const dashboard = await serveDashboard({ transport: new LocalOperatorClient(api.url), port: 0, pollMs: 200, config: await loadConfig(DRILL_CONFIG_PATH) });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(dashboard.url);
  const run = session.run();
  await page.locator('[data-testid="state"]', { hasText: 'failingOver.awaitingPromotion' }).waitFor({ timeout: 120_000 });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
  await run;
} finally {
  await browser.close();
  await dashboard.close();
  await api.close();
  await session.close();
  await rm(cwd, { recursive: true, force: true });
}

import { chromium, type Browser, type Page } from 'playwright-core';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileGroup } from '../../src/application/executor.js';
import { LocalOperatorClient } from '../../src/cli/localClient.js';
import { connect } from '../../src/cli/connection.js';
import { serveDrillLive, serveOperatorApiLocally } from '../../src/cli/localServer.js';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config/load.js';
import { DRILL_CONFIG_PATH, startDrill, type DrillStores } from '../../src/drill/runDrill.js';
import { approvalMode, primaryRegionOutage } from '../../src/drill/scenarios/library.js';
import type { Scenario } from '../../src/drill/scenarios/types.js';
import { serveDashboard } from '../../src/ui/server.js';
import { inMemoryWorld, probeRound } from '../application/harness.js';
import { terminal } from '../cli/support.js';
import { InMemoryCommandQueue } from '../doubles/InMemoryCommandQueue.js';
import { InMemoryEventLog } from '../doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';

// The dashboard in real Chromium, over real HTTP: page → dashboard server → local operator API → control plane.
let browser: Browser;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The operator API over `deps` on 127.0.0.1 and the dashboard in front of it; answers the dashboard's address. */
async function dashboardOver(deps: Parameters<typeof serveOperatorApiLocally>[0], config?: Awaited<ReturnType<typeof loadConfig>>): Promise<string> {
  const cwd = await mkdtemp(join(tmpdir(), 'fcp-ui-'));
  const api = await serveOperatorApiLocally(deps, { port: 0, principalArn: 'arn:aws:iam::000000000000:user/dashboard-operator', cwd });
  const dashboard = await serveDashboard({ transport: new LocalOperatorClient(api.url), port: 0, pollMs: 150, ...(config ? { config } : {}) });
  cleanups.push(async () => {
    await dashboard.close();
    await api.close();
    await rm(cwd, { recursive: true, force: true });
  });
  return dashboard.url;
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  cleanups.push(() => page.close());
  await page.goto(url);
  return page;
}

function memoryStores(): DrillStores {
  return {
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    faults: new InMemoryFaultStore(),
  };
}

/** Counts the pixels of a PNG that are not the background, decoded by the browser itself. */
async function inkedPixels(page: Page, png: Buffer): Promise<{ inked: number; total: number }> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let inked = 0;
    for (let index = 0; index < data.length; index += 4) if (data[index]! < 235 || data[index + 1]! < 235 || data[index + 2]! < 235) inked += 1;
    return { inked, total: image.width * image.height };
  }, png.toString('base64'));
}

describe('fcp ui in Chromium', () => {
  it('loads every group with its state, primary, regions, observers and their ages', { timeout: 30_000 }, async () => {
    // Prepare
    const world = inMemoryWorld();
    await probeRound(world.deps, world.group);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
    const url = await dashboardOver(world.deps);

    // Act
    const page = await openPage(url);
    const group = page.locator('section.group[data-group="orders"]');
    await group.getByTestId('state').waitFor();

    // Assess
    expect(await group.getByTestId('state').textContent()).toBe('monitoring');
    expect(await group.getByTestId('primary').textContent()).toBe('eu-west-1');
    expect(await group.locator('tr[data-region]').count()).toBe(3);
    expect(await group.locator('tr[data-region="us-east-1"] .observers li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^passing from ap-southeast-2, \d+ s ago$/)]),
    );
    expect(await group.locator('tr[data-region="us-east-1"]').textContent()).toMatch(/\d+ s \(measured \d+ s ago\)/);
    expect(await group.getByRole('button', { name: 'Approve' }).isVisible()).toBe(true);
    expect(await page.locator('#connection').textContent()).toMatch(/^live; control plane time /);
  });

  it('refuses a command without the typed group name, and shows the reason a refused command gives', { timeout: 30_000 }, async () => {
    // Prepare
    const world = inMemoryWorld();
    await probeRound(world.deps, world.group);
    await reconcileGroup(world.deps, world.group, { owner: 'orchestrator', deadline: world.clock.now() + 60_000 });
    const page = await openPage(await dashboardOver(world.deps));
    const group = page.locator('section.group[data-group="orders"]');
    await group.getByTestId('state').waitFor();

    // Act
    await group.getByRole('button', { name: 'Approve' }).click();
    await page.getByLabel('Reason (recorded with your identity)').fill('nothing to approve');
    await page.getByRole('button', { name: 'Show the dry run' }).click();
    const refusal = await page.getByTestId('plan-message').textContent();
    const direct = await page.evaluate(async () => {
      const response = await fetch('/api/groups/orders/commands', {
        method: 'POST',
        headers: { 'x-fcp-dashboard': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'pause', reason: 'no confirmation', confirm: 'payments' }),
      });
      return { status: response.status, body: (await response.json()) as { error: { issues: string[] } } };
    });

    // Assess
    expect(refusal).toBe('nothing awaits approval: the group is monitoring');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    expect(direct.status).toBe(400);
    expect(direct.body.error.issues).toEqual(['confirm: type the group name (orders) to confirm; nothing was sent']);
    expect(await world.deps.commands.pending('orders')).toEqual([]);
  });

  it('follows a local drill live: the proposal, an approval from the page, each step, then the timeline of the failover', { timeout: 150_000 }, async () => {
    // Prepare: approval mode without the scripted approval; the page approves. Simulated time runs only 5 times
    // faster than real time (a probe interval is 1 s), so a loaded machine does not see its own probes go stale; a
    // quick promotion and DNS sync keep the failover short, and the time box leaves a person time to approve.
    const scenario: Scenario = {
      ...approvalMode,
      name: 'dashboard-approval',
      script: approvalMode.script.filter((entry) => entry.action.kind !== 'command'),
      timings: { promotionSeconds: 20, dnsSyncSeconds: 10 },
      timeBoxSeconds: 3_600,
    };
    const config = await loadConfig(DRILL_CONFIG_PATH);
    const session = await startDrill({ scenario, stores: memoryStores(), factor: 5 });
    cleanups.push(() => session.close());
    const page = await openPage(await dashboardOver(session.deps, config));
    const group = page.locator('section.group[data-group="orders"]');
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      void group.getByTestId('state').textContent({ timeout: 100 }).then((state) => state && seen.add(state), () => {});
    }, 50);
    cleanups.push(async () => clearInterval(watcher));
    const run = session.run();

    // Act
    await page.locator('[data-testid="state"]', { hasText: 'awaitingApproval' }).waitFor({ timeout: 60_000 }).catch(async (error: unknown) => {
      throw new Error(`the page never showed awaitingApproval; it showed ${[...seen].join(', ')}: ${await group.locator('.alert').allTextContents()}`, { cause: error });
    });
    await group.getByRole('button', { name: 'Approve' }).click();
    await page.getByLabel('Reason (recorded with your identity)').fill('eu-west-1 is down: approved from the dashboard');
    await page.getByRole('button', { name: 'Show the dry run' }).click();
    const dataLoss = await page.getByTestId('data-loss').textContent();
    await page.getByLabel(/Type the group name/).fill('orders');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#action-result', { hasText: 'approve accepted' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await group.getByTestId('live-steps').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="state"]', { hasText: 'failedOver' }).waitFor({ timeout: 60_000 });
    const result = await run;
    // From the list of past failovers: it stays put while the live panel above is redrawn.
    await group.getByRole('button', { name: 'Past failovers' }).click();
    await group.locator('.history').getByRole('button', { name: 'Open its timeline' }).click();
    const timeline = group.locator('.report svg.timeline');
    await timeline.waitFor();
    const pixels = await inkedPixels(page, await timeline.screenshot());

    // Assess
    expect(dataLoss).toMatch(/s of writes|none/);
    expect([...seen]).toEqual(expect.arrayContaining(['awaitingApproval', 'failedOver']));
    expect([...seen].some((state) => state.startsWith('failingOver.'))).toBe(true);
    expect(result.endState.state).toBe('failedOver');
    expect(result.events.find((event) => event.type === 'APPROVE')?.actor).toBe('arn:aws:iam::000000000000:user/dashboard-operator');
    expect(await group.locator('table.events').textContent()).toContain('approved from the dashboard');
    expect(pixels.inked / pixels.total).toBeGreaterThan(0.02);
    expect(await group.locator('.report figcaption').textContent()).toMatch(/PASS|FAIL/);
  });

  it('fcp ui --local, started in another terminal, follows a plain npm start run live through .fcp/local.json', { timeout: 150_000 }, async () => {
    // Prepare: the drill serves its operator API from its start (as npm start does, without --keep-running); `fcp ui
    // --local` finds it through .fcp/local.json in the same directory, as a second terminal would.
    const scenario: Scenario = { ...primaryRegionOutage, name: 'dashboard-live', timings: { promotionSeconds: 20, dnsSyncSeconds: 10 } };
    const session = await startDrill({ scenario, stores: memoryStores(), factor: 5 });
    cleanups.push(() => session.close());
    const cwd = await mkdtemp(join(tmpdir(), 'fcp-ui-live-'));
    const live = await serveDrillLive(session.deps, { principalArn: 'arn:aws:iam::000000000000:user/drill', cwd });
    cleanups.push(async () => {
      await live.close();
      await rm(cwd, { recursive: true, force: true });
    });
    const stop = new AbortController();
    const ui = terminal(undefined, { cwd, connect, signal: stop.signal });
    const exited = runCli(['ui', '--local', '--port', '0'], ui.io);
    cleanups.push(async () => {
      stop.abort();
      await exited;
    });
    const url = await (async () => {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const found = /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(ui.out())?.[1];
        if (found !== undefined) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`fcp ui --local never said where it serves: ${ui.err()}`);
    })();
    const page = await openPage(url);
    const group = page.locator('section.group[data-group="orders"]');
    await group.getByTestId('state').waitFor();
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      void group.getByTestId('state').textContent({ timeout: 100 }).then((state) => state && seen.add(state), () => {});
    }, 50);
    cleanups.push(async () => clearInterval(watcher));

    // Act
    const result = await session.run();
    await page.locator('[data-testid="state"]', { hasText: 'failedOver' }).waitFor({ timeout: 30_000 });
    await live.close();

    // Assess
    expect(result.endState.state).toBe('failedOver');
    expect([...seen]).toContain('monitoring');
    expect([...seen].some((state) => state.startsWith('failingOver.'))).toBe(true);
    expect(await group.getByTestId('primary').textContent()).toBe('us-east-1');
    await expect(access(live.endpointFile)).rejects.toThrow();
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { GroupSchema } from '../../src/config/schema.js';
import { formatDuration, formatUtc } from '../../src/drill/format.js';
import { renderHtml } from '../../src/drill/render/html.js';
import { renderJson } from '../../src/drill/render/json.js';
import { renderMarkdown } from '../../src/drill/render/markdown.js';
import { renderTimelineText } from '../../src/drill/render/text.js';
import { buildDrillReport, targetsOf } from '../../src/drill/report.js';
import type { DrillReportInput, ReportTargets } from '../../src/drill/report.js';
import type { FailoverRecord, FailoverTimestamps, LoggedEvent } from '../../src/domain/types.js';
import { threeRegionGroup } from '../adapters/sim/group.js';

const T0 = 1_700_000_000_000;
const at = (seconds: number) => T0 + seconds * 1000;

const targets: ReportTargets = {
  rtoSeconds: 300,
  detectionSeconds: 60,
  maxReplicaLagSeconds: 30,
  stepTimeouts: { fencingSeconds: 60, promotionSeconds: 900, dnsSyncSeconds: 180, verificationSeconds: 120 },
};

const fullTimestamps: FailoverTimestamps = {
  detectedAt: at(32),
  decidedAt: at(32.4),
  fencedAt: at(33.1),
  promotionStartedAt: at(33.5),
  promotedAt: at(124),
  trafficSwitchedAt: at(124.6),
  dnsInSyncAt: at(165),
  verifiedAt: at(186),
  completedAt: at(186.2),
};

function record(overrides: Partial<FailoverRecord> = {}): FailoverRecord {
  return {
    id: 'f-1',
    groupId: 'shop',
    trigger: { kind: 'drill', principalArn: 'arn:aws:iam::123456789012:user/ops', scenario: 'region-outage' },
    reason: 'eu-west-1 unhealthy from 3 observers',
    from: 'eu-west-1',
    to: 'eu-central-1',
    planned: false,
    allowDataLoss: true,
    outcome: 'completed',
    timestamps: fullTimestamps,
    replicaLagAtPromotionSeconds: 1.2,
    ...overrides,
  };
}

const events: LoggedEvent[] = [
  { groupId: 'shop', seq: 2, at: at(33.1), type: 'Fenced', state: 'failingOver.promoting', failoverId: 'f-1', message: 'eu-west-1 unreachable' },
  { groupId: 'shop', seq: 1, at: at(32), type: 'RegionUnhealthy', state: 'failingOver.reserving', failoverId: 'f-1', message: 'quorum <lost> & "down"' },
];

function input(overrides: Partial<DrillReportInput> = {}): DrillReportInput {
  return { record: record(), events, targets, faultInjectedAt: T0, scenario: 'region-outage', sim: { lostWrites: 24, writesPerSecond: 20 }, ...overrides };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

describe('buildDrillReport', () => {
  it('measures offsets from the origin it is given, keeps detection from the fault, and says who approved', () => {
    // Prepare
    const approval: LoggedEvent = { groupId: 'shop', seq: 3, at: at(40), type: 'APPROVE', state: 'failingOver.fencing', failoverId: 'f-1', actor: 'arn:aws:iam::123456789012:user/lead', message: 'approved' };

    // Act
    const report = buildDrillReport(input({ originAt: at(-10), events: [...events, approval] }));

    // Assess
    expect(report.originAt).toBe(at(-10));
    expect(report.faultOffsetMs).toBe(10_000);
    expect(report.detectionMs).toBe(32_000);
    expect(report.steps[0]?.startOffsetMs).toBe(42_000);
    expect(report.approvedBy).toBe('arn:aws:iam::123456789012:user/lead');
    expect(report.requestedBy).toBe('arn:aws:iam::123456789012:user/ops');
    expect(renderHtml(report)).toContain('Approved by arn:aws:iam::123456789012:user/lead');
  });

  it('draws the step a failover was in when the drill ended as an in-progress bar up to the end', () => {
    // Prepare
    const inPromotion = record({
      outcome: 'in-progress',
      timestamps: { detectedAt: at(32), decidedAt: at(32.4), fencedAt: at(33.1), promotionStartedAt: at(33.5) },
    });
    const waiting: LoggedEvent = { groupId: 'shop', seq: 3, at: at(33.5), type: 'PROMOTION_STARTED', state: 'failingOver.awaitingPromotion', failoverId: 'f-1', message: 'promotion started' };

    // Act
    const report = buildDrillReport(input({ record: inPromotion, events: [...events, waiting], endedAt: at(93.5) }));
    const document = new JSDOM(renderHtml(report)).window.document;

    // Assess
    expect(report.inProgress).toMatchObject({ name: 'promotion', startedAt: at(33.5), durationMs: 60_000 });
    expect(document.querySelector('rect.in-progress')?.getAttribute('data-duration-ms')).toBe('60000');
    expect(renderTimelineText(report)).toMatch(/promotion +\|[ #]*=+/);
  });

  it('fails a detection faster than the probe schedule allows and says so', () => {
    // Act
    const report = buildDrillReport(input({ targets: { ...targets, minDetectionMs: 40_000 } }));

    // Assess
    expect(report.checks.find((check) => check.name === 'detection')).toMatchObject({
      pass: false,
      actual: '32.0 s: faster than the probe schedule allows (failure threshold − 1 probe intervals)',
      target: '40.0 s – 1 min',
    });
  });

  it('cuts the recovery window into steps whose durations sum to the RTO', () => {
    // Act
    const report = buildDrillReport(input());

    // Assess
    expect(report.steps.map((step) => step.name)).toEqual([
      'decision',
      'fencing',
      'promotion request',
      'promotion',
      'traffic switch',
      'DNS sync',
      'verification',
      'completion',
    ]);
    expect(report.rtoMs).toBe(at(186.2) - at(32));
    expect(sum(report.steps.map((step) => step.durationMs))).toBe(report.rtoMs);
    for (const [index, step] of report.steps.entries()) {
      expect(step.startedAt).toBe(index === 0 ? at(32) : report.steps[index - 1]?.endedAt);
      expect(step.startOffsetMs).toBe(step.startedAt - T0);
    }
    expect(report.detectionMs).toBe(32_000);
    expect(report.outageMs).toBe(186_200);
  });

  it("counts as overhead the time the control plane took to notice the provider had finished, not the provider's own time", () => {
    // Prepare: the world promoted from 33.5 s to 123.5 s and synced DNS from 124.6 s to 164.6 s; the control plane
    // noticed each 0.5 s and 0.4 s later
    const outside = {
      waits: [
        { kind: 'promotion', startedAt: at(33.5), endedAt: at(123.5) },
        { kind: 'dns-sync', startedAt: at(124.6), endedAt: at(164.6) },
      ] as const,
      operatorCommandsAt: [],
    };

    // Act
    const measured = buildDrillReport(input({ outside }));
    const estimated = buildDrillReport(input());

    // Assess
    expect(measured.overhead?.basis).toBe('measured');
    expect(measured.overhead?.waitedMs).toEqual({ promotion: 90_000, 'dns-sync': 40_000 });
    expect(measured.controlPlaneOverheadMs).toBe((measured.rtoMs ?? 0) - 130_000);
    expect(measured.overhead?.steps.find((step) => step.name === 'promotion')?.overheadMs).toBe(500);
    expect(measured.overhead?.steps.find((step) => step.name === 'DNS sync')?.overheadMs).toBe(400);
    expect(sum(measured.overhead?.steps.map((step) => step.overheadMs) ?? [])).toBe(measured.controlPlaneOverheadMs);
    expect(estimated.overhead?.basis).toBe('phases');
    expect(estimated.controlPlaneOverheadMs).toBe((measured.controlPlaneOverheadMs ?? 0) - 900);
  });

  it('passes when every figure is within its target', () => {
    // Act
    const report = buildDrillReport(input());

    // Assess
    expect(report.pass).toBe(true);
    expect(report.checks.map((check) => [check.name, check.pass])).toEqual([
      ['outcome', true],
      ['detection', true],
      ['rto', true],
      ['data-loss window', true],
      ['lost writes', true],
    ]);
    expect(report.dataLoss).toEqual({ replicaLagAtPromotionSeconds: 1.2, lostWrites: 24, writesPerSecond: 20, lostWritesBudget: 600 });
    expect(report.headline).toBe('PASS  shop: eu-west-1 → eu-central-1 recovered in 2 min 34 s (RTO target 5 min)');
  });

  it('fails the RTO, detection and data-loss checks that miss their targets, and says which', () => {
    // Prepare
    const slow = input({
      targets: { ...targets, rtoSeconds: 120, detectionSeconds: 30, maxReplicaLagSeconds: 1 },
      sim: { lostWrites: 50, writesPerSecond: 20 },
    });

    // Act
    const report = buildDrillReport(slow);

    // Assess
    expect(report.pass).toBe(false);
    expect(report.checks.filter((check) => !check.pass).map((check) => check.name)).toEqual([
      'detection',
      'rto',
      'data-loss window',
      'lost writes',
    ]);
    expect(report.headline).toMatch(/^FAIL/);
    expect(report.headline).toContain('rto 2 min 34 s (target ≤ 2 min)');
  });

  it('leaves out the steps a failover did not go through and starts an operator failover at its decision', () => {
    // Prepare
    const operator = record({
      trigger: { kind: 'operator', principalArn: 'arn:aws:iam::123456789012:user/ops' },
      planned: true,
      timestamps: { decidedAt: at(0), approvedAt: at(20), fencedAt: at(21), drainedAt: at(30), promotedAt: at(100), completedAt: at(140) },
    });

    // Act
    const report = buildDrillReport({ record: operator, events: [], targets });

    // Assess
    expect(report.steps.map((step) => step.name)).toEqual(['approval', 'fencing', 'draining', 'promotion', 'completion']);
    expect(report.rtoMs).toBe(140_000);
    expect(sum(report.steps.map((step) => step.durationMs))).toBe(140_000);
    expect(report.checks.map((check) => check.name)).not.toContain('detection');
    expect(report.originAt).toBe(at(0));
  });

  it('keeps the steps a partition even when a timestamp is out of order', () => {
    // Prepare
    const skewed = record({ timestamps: { ...fullTimestamps, fencedAt: at(31) } });

    // Act
    const report = buildDrillReport(input({ record: skewed }));

    // Assess
    expect(report.steps.find((step) => step.name === 'fencing')?.durationMs).toBe(0);
    expect(sum(report.steps.map((step) => step.durationMs))).toBe(report.rtoMs);
  });

  it('flags a step that ran past its own timeout', () => {
    // Prepare
    const stuck = record({ timestamps: { ...fullTimestamps, dnsInSyncAt: at(400), verifiedAt: at(410), completedAt: at(411) } });

    // Act
    const report = buildDrillReport(input({ record: stuck }));

    // Assess
    const dns = report.steps.find((step) => step.name === 'DNS sync');
    expect(dns).toMatchObject({ timeoutSeconds: 180, withinTimeout: false });
    expect(report.steps.find((step) => step.name === 'promotion')?.withinTimeout).toBe(true);
    expect(renderTimelineText(report)).toContain('over 180 s timeout');
  });

  it('fails an aborted failover, with no RTO, ending its timeline at the abort', () => {
    // Prepare
    const aborted = record({
      outcome: 'aborted',
      timestamps: { detectedAt: at(30), decidedAt: at(31), fencedAt: at(32), abortedAt: at(50) },
    });

    // Act
    const report = buildDrillReport(input({ record: aborted }));

    // Assess
    expect(report.pass).toBe(false);
    expect(report.rtoMs).toBeUndefined();
    expect(report.steps.at(-1)).toMatchObject({ name: 'abort', endedAt: at(50) });
    expect(report.checks.find((check) => check.name === 'rto')).toMatchObject({ pass: false, actual: 'did not complete' });
  });

  it('orders events by sequence with offsets from the fault', () => {
    // Act
    const report = buildDrillReport(input());

    // Assess
    expect(report.events.map((event) => [event.seq, event.offsetMs])).toEqual([
      [1, 32_000],
      [2, 33_100],
    ]);
  });

  it('reads its targets from the group policy', () => {
    // Prepare
    const group = GroupSchema.parse({ ...threeRegionGroup(), policy: { maxReplicaLagSeconds: 12, targets: { rtoSeconds: 240 } } });

    // Act
    const fromGroup = targetsOf(group);

    // Assess
    expect(fromGroup).toMatchObject({ rtoSeconds: 240, detectionSeconds: 60, maxReplicaLagSeconds: 12 });
    expect(fromGroup.stepTimeouts?.promotionSeconds).toBe(900);
  });
});

describe('formatDuration', () => {
  it('reads milliseconds, seconds and minutes the way people say them', () => {
    // Act / Assess
    expect([formatDuration(850), formatDuration(32_000), formatDuration(124_000), formatDuration(300_000)]).toEqual([
      '850 ms',
      '32.0 s',
      '2 min 04 s',
      '5 min',
    ]);
  });
});

describe('renderers', () => {
  it('renders JSON that parses back to the report', () => {
    // Prepare
    const report = buildDrillReport(input());

    // Act
    const json = renderJson(report);

    // Assess
    expect(JSON.parse(json)).toEqual(report);
  });

  it('renders Markdown with the headline, the timeline, the checks and the events', () => {
    // Prepare
    const report = buildDrillReport(input());

    // Act
    const markdown = renderMarkdown(report);

    // Assess
    expect(markdown).toContain(`**${report.headline}**`);
    expect(markdown).toContain('| rto | 2 min 34 s | ≤ 5 min | pass |');
    expect(markdown).toContain('| **total (RTO)** | | | **2 min 34 s** | |');
    expect(markdown).toContain(`| T+32.0s | ${formatUtc(at(32))} | RegionUnhealthy |`);
    expect(markdown).toContain('```text\nPASS');
  });

  it('renders a text timeline with one row per step and bars that grow with duration', () => {
    // Prepare
    const report = buildDrillReport(input());

    // Act
    const lines = renderTimelineText(report).split('\n');

    // Assess
    const bar = (name: string) => {
      const line = lines.find((candidate) => candidate.split('|')[0]?.trim() === name) ?? '';
      return (line.split('|')[1] ?? '').replaceAll(/[^#]/g, '').length;
    };
    for (const step of report.steps) expect(lines.some((line) => line.startsWith(`${step.name} `))).toBe(true);
    expect(bar('promotion')).toBeGreaterThan(bar('DNS sync'));
    expect(bar('DNS sync')).toBeGreaterThan(bar('verification'));
    expect(lines[0]).toBe(report.headline);
  });

  it('renders self-contained HTML whose SVG has one rect per step, its width proportional to the duration', () => {
    // Prepare
    const report = buildDrillReport(input());

    // Act
    const html = renderHtml(report);
    const document = new JSDOM(html).window.document;

    // Assess
    const rects = [...document.querySelectorAll('svg rect')];
    expect(rects).toHaveLength(report.steps.length);
    const pixelsPerMs = rects.map((rect, index) => Number(rect.getAttribute('width')) / (report.steps[index]?.durationMs ?? 1));
    for (const ratio of pixelsPerMs) expect(ratio).toBeCloseTo(pixelsPerMs[0] ?? 0, 5);
    expect(rects.map((rect) => rect.getAttribute('data-step'))).toEqual(report.steps.map((step) => step.name));
    const lefts = rects.map((rect) => Number(rect.getAttribute('x')));
    const rights = rects.map((rect) => Number(rect.getAttribute('x')) + Number(rect.getAttribute('width')));
    for (let index = 1; index < rects.length; index += 1) expect(lefts[index]).toBeCloseTo(rights[index - 1] ?? 0, 1);
    expect(document.querySelector('header')?.className).toBe('pass');
    expect(document.querySelectorAll('script, link, img, iframe')).toHaveLength(0);
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });

  it('escapes event text in the HTML', () => {
    // Prepare
    const report = buildDrillReport(input());

    // Act
    const document = new JSDOM(renderHtml(report)).window.document;

    // Assess
    const cells = [...document.querySelectorAll('td')].map((cell) => cell.textContent);
    expect(cells).toContain('quorum <lost> & "down"');
  });

  it('renders the timeline in a real browser with a visible SVG', async () => {
    // Prepare
    const executablePath = '/usr/bin/chromium';
    if (!existsSync(executablePath)) {
      expect.fail('chromium is not installed at /usr/bin/chromium: run `apt-get install -y chromium` (CI installs it)');
    }
    const directory = await mkdtemp(join(tmpdir(), 'drill-report-'));
    const htmlPath = join(directory, 'report.html');
    const screenshotPath = join(directory, 'report.png');
    await writeFile(htmlPath, renderHtml(buildDrillReport(input())));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });

    try {
      // Act
      const page = await browser.newPage();
      await page.goto(`file://${htmlPath}`);
      const box = await page.locator('svg.timeline').boundingBox();
      await page.screenshot({ path: screenshotPath, fullPage: true });

      // Assess
      expect(box?.width).toBeGreaterThan(400);
      expect(box?.height).toBeGreaterThan(100);
      expect((await stat(screenshotPath)).size).toBeGreaterThan(10_000);
      expect((await readFile(screenshotPath)).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await browser.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

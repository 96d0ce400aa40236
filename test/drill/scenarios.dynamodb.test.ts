import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_CLOCK_FACTOR, runDrill, type DrillResult } from '../../src/drill/runDrill.js';
import { SCENARIOS, approvalMode, primaryRegionOutage } from '../../src/drill/scenarios/library.js';
import { localDrillStores } from '../../src/drill/stores.js';
import type { Scenario } from '../../src/drill/scenarios/types.js';
import type { StateStore } from '../../src/ports/StateStore.js';

// Every scenario, one after another (each is a few seconds of real time), on the shared DynamoDB Local; each gets
// its own table so no state leaks from one drill into the next.
const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

async function play(scenario: Scenario): Promise<DrillResult> {
  const { stores, close } = await localDrillStores(inject('dynamodbEndpoint'), `drill-${scenario.name}`);
  closers.push(close);
  return runDrill({ scenario, stores });
}

function describeFailures(result: DrillResult): string {
  // Physics checks too (a region seen failing before any fault, a detection faster than the probes allow).
  const failed = [...result.expectationResults, ...result.physics].filter((expectation) => !expectation.pass);
  const trail = result.events.map((event) => `${event.state} ${event.type}: ${event.message}`).join('\n');
  return `${JSON.stringify(failed, null, 2)}\n${trail}`;
}

describe('the scenario library', () => {
  it('has the seventeen scenarios, each with a distinct name, the default first', () => {
    // Prepare
    const names = SCENARIOS.map((scenario) => scenario.name);

    // Act
    const distinct = new Set(names);

    // Assess
    expect(names).toHaveLength(17);
    expect(names[0]).toBe('primary-region-outage');
    expect(distinct.size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'primary-region-outage',
        'primary-database-crash',
        'flapping-primary',
        'observer-partitioned',
        'replica-lag-over-budget',
        'promotion-stuck',
        'dns-throttled',
        'control-plane-crash',
        'planned-switchover',
        'approval-mode',
        'rds-status-blip',
        'rds-api-brownout',
        'second-failover-returned-primary',
        'zombie-primary',
        'control-plane-region-outage',
        'route53-control-plane-outage',
        'route53-control-plane-outage-data-plane-switch',
      ]),
    );
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name} ends as its expectation says`, { timeout: 120_000 }, async () => {
      // Act
      const result = await play(scenario);

      // Assess
      expect(result.pass, describeFailures(result)).toBe(true);
      expect(result.endState.timedOut).toBe(false);
      expect(result.endState.state).toBe(scenario.expect.endState);
      expect(result.endState.primaryRegion).toBe(scenario.expect.primaryRegion);
      if (scenario.expect.failover) {
        expect(result.report?.outcome).toBe('completed');
        expect(result.notifications.map((notification) => notification.type)).toContain('failover-completed');
      } else {
        expect(result.report).toBeUndefined();
        expect(result.facts.promoteCalls).toBe(0);
      }
    });
  }
});

describe('the default drill', () => {
  it("reports an RTO equal to the sum of its steps, and to the event log's detection-to-completion time", { timeout: 120_000 }, async () => {
    // Act
    const { report, events } = await play({ ...primaryRegionOutage, name: 'primary-region-outage-rto' });

    // Assess
    expect(report?.rtoMs).toBeDefined();
    const sum = (report?.steps ?? []).reduce((total, step) => total + step.durationMs, 0);
    expect(sum).toBe(report?.rtoMs);
    // One real millisecond of the drill clock is DEFAULT_CLOCK_FACTOR simulated milliseconds: its resolution.
    const detected = events.find((event) => event.state.startsWith('failingOver'));
    const completed = events.find((event) => event.state === 'failedOver');
    expect(Math.abs(sum - ((completed?.at ?? 0) - (detected?.at ?? 0)))).toBeLessThanOrEqual(DEFAULT_CLOCK_FACTOR);
    const promotion = report?.steps.find((step) => step.name === 'promotion');
    const dnsSync = report?.steps.find((step) => step.name === 'DNS sync');
    // The simulated world's timings (promotion 90 s, DNS sync 40 s) show through: storage calls take no simulated time.
    expect(promotion?.durationMs).toBeGreaterThanOrEqual(90_000);
    expect(promotion?.durationMs).toBeLessThan(100_000);
    expect(dnsSync?.durationMs).toBeGreaterThanOrEqual(40_000);
    expect(dnsSync?.durationMs).toBeLessThan(50_000);
    expect(report?.detectionMs).toBeLessThanOrEqual(20_000);
    expect(report?.pass).toBe(true);
  });
});

describe('an operator command in a drill', () => {
  it('is taken at once by an executor run of its own, as the operator API does, not by the pass after the next probe round', { timeout: 120_000 }, async () => {
    // Prepare: every save's lease owner, with the commands whose outcome it carries
    const { stores, close } = await localDrillStores(inject('dynamodbEndpoint'), 'drill-approval-taken-at-once');
    closers.push(close);
    const saves: { owner: string; commandIds: string[] }[] = [];
    const stateStore = new Proxy(stores.stateStore, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'save' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<StateStore['save']>) => {
          const [next, , lease] = args;
          saves.push({ owner: lease.owner, commandIds: (next.outbox.commandOutcomes ?? []).map((outcome) => outcome.commandId) });
          return target.save(...args);
        };
      },
    });

    // Act
    const result = await runDrill({ scenario: approvalMode, stores: { ...stores, stateStore } });

    // Assess: the approval's outcome was saved under the operator's run
    const taking = saves.filter((save) => save.commandIds.length > 0);
    expect(result.pass, describeFailures(result)).toBe(true);
    expect(taking).toHaveLength(1);
    expect(taking[0]!.owner).toMatch(/^drill-operator-/);
  });
});

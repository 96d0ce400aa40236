import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { primaryTakesNoWrites, stalledOutage, type StalledOutage } from '../../src/domain/stall.js';
import type { RegionHealth } from '../../src/domain/types.js';

function health(overrides: Partial<RegionHealth> = {}): RegionHealth {
  return { region: 'eu-west-1', verdict: 'healthy', since: 0, failingObservers: [], recoveredObservers: [], staleObservers: [], reasons: [], databaseRole: 'primary', ...overrides };
}

describe('a stalled failover whose primary stops taking writes', () => {
  it('says the primary takes no writes when a quorum of observers sees it fail now, or its database reports itself a replica', () => {
    // Act
    const failing = primaryTakesNoWrites(health({ verdict: 'unhealthy', failingObservers: ['us-east-1', 'ap-southeast-2'], reasons: ['connection refused'] }), 2);
    const belowQuorum = primaryTakesNoWrites(health({ verdict: 'unhealthy', failingObservers: ['us-east-1'] }), 2);
    const demoted = primaryTakesNoWrites(health({ databaseRole: 'replica' }), 2);
    const writing = primaryTakesNoWrites(health(), 2);
    const unknown = primaryTakesNoWrites(undefined, 2);

    // Assess
    expect(failing).toBe('a quorum of observers sees it failing now (us-east-1, ap-southeast-2): connection refused');
    expect(belowQuorum).toBeUndefined();
    expect(demoted).toBe('its database reports role replica (demoted)');
    expect(writing).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it('tells an outage that begins during a stall once, not one already there when the stall was told', () => {
    // Act
    const atStall = stalledOutage({ stalledAt: 1_000, previous: undefined, outage: 'down', now: 2_000 });
    const beganLater = stalledOutage({ stalledAt: 1_000, previous: { stalledAt: 1_000 }, outage: 'down', now: 9_000 });
    const still = stalledOutage({ stalledAt: 1_000, previous: beganLater.next, outage: 'down', now: 12_000 });
    const notStalled = stalledOutage({ stalledAt: undefined, previous: beganLater.next, outage: 'down', now: 13_000 });

    // Assess
    expect(atStall).toEqual({ next: { stalledAt: 1_000, since: 2_000 }, tell: false });
    expect(beganLater).toEqual({ next: { stalledAt: 1_000, since: 9_000 }, tell: true });
    expect(still).toEqual({ next: { stalledAt: 1_000, since: 9_000 }, tell: false });
    expect(notStalled).toEqual({ next: undefined, tell: false });
  });

  it('tells once per outage of one stall, over any sequence of passes', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), (outages) => {
        // Prepare: one stall, the primary taking writes when it began.
        let state: StalledOutage | undefined = stalledOutage({ stalledAt: 0, previous: undefined, outage: undefined, now: 0 }).next;
        let told = 0;
        let began = 0;
        let previous = false;

        // Act
        outages.forEach((down, index) => {
          const result = stalledOutage({ stalledAt: 0, previous: state, outage: down ? 'down' : undefined, now: index + 1 });
          state = result.next;
          if (result.tell) told += 1;
          if (down && !previous) began += 1;
          previous = down;
        });

        // Assess: every outage that began is told exactly once.
        expect(told).toBe(began);
      }),
    );
  });
});

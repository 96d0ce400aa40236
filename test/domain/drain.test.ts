import { describe, expect, it } from 'vitest';
import { drainDecidesPromotion, drainedBy, fenceTookEffect } from '../../src/domain/drain.js';
import type { FailoverRecord } from '../../src/domain/types.js';

const FENCED_AT = 1_000_000;
const RDS = { kind: 'rds-instance' } as const;

/** A planned switchover whose fence took effect at FENCED_AT and whose drain passed a second later. */
function switchover(overrides: Partial<Pick<FailoverRecord, 'planned' | 'fenceOutcome' | 'timestamps'>> = {}) {
  return { planned: true, fenceOutcome: 'fenced', timestamps: { fencedAt: FENCED_AT, drainedAt: FENCED_AT + 1_000 }, ...overrides };
}

describe('drainedBy', () => {
  it('takes a lag of 0 measured at or after the fence as drained', () => {
    // Prepare / Act / Assess
    expect(drainedBy({ seconds: 0, measuredAt: FENCED_AT }, FENCED_AT)).toBe(true);
    expect(drainedBy({ seconds: 0, measuredAt: FENCED_AT + 60_000 }, FENCED_AT)).toBe(true);
  });

  it('never takes a reading from before the fence, a lag above 0, no reading or no fence time as drained', () => {
    // Prepare / Act / Assess
    expect(drainedBy({ seconds: 0, measuredAt: FENCED_AT - 1 }, FENCED_AT)).toBe(false);
    expect(drainedBy({ seconds: 1, measuredAt: FENCED_AT + 1_000 }, FENCED_AT)).toBe(false);
    expect(drainedBy(undefined, FENCED_AT)).toBe(false);
    expect(drainedBy({ seconds: 0, measuredAt: FENCED_AT }, undefined)).toBe(false);
  });
});

describe('drainDecidesPromotion', () => {
  it("lets a planned switchover promote on the drain's reading when the fence took effect and the drain passed after it", () => {
    // Prepare / Act / Assess
    expect(drainDecidesPromotion(switchover(), RDS)).toBe(true);
    expect(drainDecidesPromotion(switchover({ fenceOutcome: 'already-fenced' }), RDS)).toBe(true);
    expect(drainDecidesPromotion(switchover(), { kind: 'postgres' })).toBe(true);
  });

  it('reads again when the old primary may still have taken writes: a fence skipped, unreachable, failed or timed out', () => {
    // Prepare
    const outcomes = ['skipped', 'unreachable', 'not fenced: throttled', 'not fenced: timed out', undefined];

    // Act
    const decided = outcomes.map((fenceOutcome) => drainDecidesPromotion(switchover({ fenceOutcome }), RDS));

    // Assess
    expect(decided).toEqual(outcomes.map(() => false));
  });

  it('reads again when no drain is recorded after the fence, for an unplanned failover, and for an Aurora switchover that records no reading', () => {
    // Prepare / Act / Assess
    expect(drainDecidesPromotion(switchover({ timestamps: { fencedAt: FENCED_AT } }), RDS)).toBe(false);
    expect(drainDecidesPromotion(switchover({ timestamps: { fencedAt: FENCED_AT, drainedAt: FENCED_AT - 1 } }), RDS)).toBe(false);
    expect(drainDecidesPromotion(switchover({ timestamps: { drainedAt: FENCED_AT } }), RDS)).toBe(false);
    expect(drainDecidesPromotion(switchover({ planned: false }), RDS)).toBe(false);
    expect(drainDecidesPromotion(switchover(), { kind: 'aurora-global' })).toBe(false);
    expect(drainDecidesPromotion(switchover(), undefined)).toBe(false);
  });
});

describe('fenceTookEffect', () => {
  it('counts a fence made now or found already made, and nothing else', () => {
    // Act
    const outcomes = ['fenced', 'already-fenced', 'unreachable', 'skipped', 'not fenced: timed out', undefined].map((outcome) => [outcome, fenceTookEffect(outcome)]);

    // Assess
    expect(outcomes).toEqual([
      ['fenced', true],
      ['already-fenced', true],
      ['unreachable', false],
      ['skipped', false],
      ['not fenced: timed out', false],
      [undefined, false],
    ]);
  });
});

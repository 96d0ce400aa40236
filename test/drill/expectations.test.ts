import { describe, expect, it } from 'vitest';
import { checkExpectations, type DrillFacts } from '../../src/drill/expectations.js';

const failedOver: DrillFacts = {
  state: 'failedOver',
  primaryRegion: 'us-east-1',
  rtoMs: 140_000,
  lostWrites: 20,
  promotions: 1,
  promoteCalls: 2,
  trafficChanges: 1,
  visited: ['monitoring', 'failingOver.reserving', 'stalled', 'failedOver'],
  eventCounts: { STEP_FAILED: 1 },
};

describe('checkExpectations', () => {
  it('passes every bound a completed failover meets', () => {
    // Act
    const results = checkExpectations(
      { endState: 'failedOver', primaryRegion: 'us-east-1', failover: true, maxRtoSeconds: 150, maxLostWrites: 40, promotions: 1, visits: ['stalled'] },
      { ...failedOver, failover: { outcome: 'completed' } as DrillFacts['failover'] },
    );

    // Assess
    expect(results.map((result) => [result.name, result.pass])).toEqual([
      ['end state', true],
      ['primary', true],
      ['failover', true],
      ['rto', true],
      ['lost writes', true],
      ['promotions', true],
      ['visits stalled', true],
    ]);
  });

  it('fails each bound that does not hold, saying what was seen', () => {
    // Act
    const results = checkExpectations(
      { endState: 'monitoring', primaryRegion: 'eu-west-1', failover: false, minLostWrites: 100, visits: ['awaitingApproval'], events: { STEP_FAILED: 2 } },
      failedOver,
    );

    // Assess
    expect(results.filter((result) => !result.pass).map((result) => `${result.name}: ${result.actual}`)).toEqual([
      'end state: failedOver',
      'primary: us-east-1',
      'no failover: 2 promote call(s), 1 DNS change(s)',
      'data loss reported: 20 lost writes',
      'visits awaitingApproval: never',
      'STEP_FAILED events: 1',
    ]);
  });
});

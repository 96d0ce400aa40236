import { describe, expect, it } from 'vitest';
import { groupInDoubt, LAG_STEADY_READ_EVERY_MINUTES, lagRead } from '../../src/domain/replicaLag.js';

const OBSERVERS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const START = Date.UTC(2026, 10, 30, 12, 0, 0);

/** Who reads one replica's lag in each 10 s round of `minutes` minutes of steady state, as `observer@minute`. */
function steadyReads(groupId: string, region: string, minutes: number): string[] {
  const reads: string[] = [];
  for (let round = 0; round < minutes * 6; round += 1) {
    const now = START + round * 10_000;
    for (const observerRegion of OBSERVERS) {
      if (lagRead({ groupId, region, observerRegion, observerRegions: OBSERVERS, now, inDoubt: false }) === 'read') {
        reads.push(`${observerRegion}@${Math.floor((now - START) / 60_000)}`);
      }
    }
  }
  return reads;
}

describe('lagRead', () => {
  it('lets one observer at a time read a replica in steady state, in one minute of every cycle, each observer in turn', () => {
    // Act
    const reads = steadyReads('orders', 'us-east-1', LAG_STEADY_READ_EVERY_MINUTES * OBSERVERS.length);

    // Assess: six rounds in each chosen minute ask; the adapter asks CloudWatch once of them (`nextLagReadAt`).
    const minutes = [...new Set(reads.map((read) => read.split('@')[1]))];
    expect(minutes).toHaveLength(OBSERVERS.length);
    expect(new Set(reads.map((read) => read.split('@')[0]))).toEqual(new Set(OBSERVERS));
    for (const minute of minutes) expect(new Set(reads.filter((read) => read.endsWith(`@${minute}`)).map((read) => read.split('@')[0])).size).toBe(1);
  });

  it('spreads the steady reads of many replicas over the minutes of the cycle', () => {
    // Act
    const perMinute = new Map<string, number>();
    for (let group = 0; group < 200; group += 1) {
      for (const read of new Set(steadyReads(`g${group}`, 'us-east-1', LAG_STEADY_READ_EVERY_MINUTES).map((entry) => entry.split('@')[1]!))) {
        perMinute.set(read, (perMinute.get(read) ?? 0) + 1);
      }
    }

    // Assess: every replica read once in the cycle, no minute taking more than twice its share.
    expect([...perMinute.values()].reduce((sum, value) => sum + value, 0)).toBe(200);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual((2 * 200) / LAG_STEADY_READ_EVERY_MINUTES);
  });

  it('lets every observer read when the group is in doubt', () => {
    // Act
    const answers = OBSERVERS.map((observerRegion) => lagRead({ groupId: 'orders', region: 'us-east-1', observerRegion, observerRegions: OBSERVERS, now: START, inDoubt: true }));

    // Assess
    expect(answers).toEqual(['read', 'read', 'read']);
  });
});

describe('groupInDoubt', () => {
  it('is in doubt when a region failed or was unknown, or when nothing was seen yet, and not when every region passed', () => {
    // Assess
    expect(groupInDoubt([{ ok: true }, { ok: true }])).toBe(false);
    expect(groupInDoubt([{ ok: true }, { ok: false }])).toBe(true);
    expect(groupInDoubt([{ ok: true, unknownReasons: ['database unknown is throttled'] }])).toBe(true);
    expect(groupInDoubt([])).toBe(true);
  });
});

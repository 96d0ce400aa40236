import { describe, expect, it } from 'vitest';
import {
  isLook,
  LOOK_INTERVAL_MS,
  LOOK_SHARE,
  PROVIDER_RATE_LIMITS,
  lookScopes,
  lookSpacingMs,
  nextLookSlot,
  type LookScope,
} from '../../src/domain/lookCadence.js';
import type { FailoverStep } from '../../src/domain/types.js';
import { drillConfig } from '../application/harness.js';
import { seededRandom } from '../support/seededRandom.js';

const RDS_EAST: LookScope = { key: 'rds:us-east-1', perSecond: PROVIDER_RATE_LIMITS.rds * LOOK_SHARE };
const RDS_WEST: LookScope = { key: 'rds:eu-west-1', perSecond: PROVIDER_RATE_LIMITS.rds * LOOK_SHARE };
const ROUTE53: LookScope = { key: 'route53', perSecond: PROVIDER_RATE_LIMITS.route53 * LOOK_SHARE };

/** The most of `times` that fall in any half-open window of `windowMs`. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    let end = start;
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

describe('the look budget', () => {
  it('leaves every provider API at least half of its limit for everything else', () => {
    // Prepare / Act
    const shares = [RDS_EAST, ROUTE53].map((scope) => ({ scope, perSecond: 1_000 / lookSpacingMs(scope) }));

    // Assess
    expect(shares[0]!.perSecond).toBeLessThanOrEqual(PROVIDER_RATE_LIMITS.rds / 2);
    expect(shares[1]!.perSecond).toBeLessThanOrEqual(PROVIDER_RATE_LIMITS.route53 / 2);
  });

  it('lets one group alone look at a promotion every LOOK_INTERVAL_MS', () => {
    // Prepare
    let nextFreeAt = new Map<string, number>();
    const starts: number[] = [];

    // Act: each look asks for its slot one interval after the previous one started
    for (let look = 0; look < 10; look += 1) {
      const slot = nextLookSlot(look * LOOK_INTERVAL_MS, [RDS_EAST], nextFreeAt);
      nextFreeAt = new Map([...nextFreeAt, ...slot.nextFreeAt]);
      starts.push(slot.at);
    }

    // Assess
    expect(starts).toEqual(Array.from({ length: 10 }, (_, look) => look * LOOK_INTERVAL_MS));
  });

  it('never grants two looks in one scope closer than its spacing, never before they were asked for, and never makes a look wait for a free scope', () => {
    // Prepare: 2,000 seeded random runs of requests from many groups, each naming one or two scopes
    const random = seededRandom(20261130);
    const scopes = [RDS_EAST, RDS_WEST, ROUTE53];
    for (let run = 0; run < 2_000; run += 1) {
      let nextFreeAt = new Map<string, number>();
      const granted = new Map<string, number[]>();
      let now = 0;
      for (let request = 0; request < 40; request += 1) {
        now += Math.floor(random() * 400);
        const earliestAt = now + Math.floor(random() * 1_000);
        const asked = scopes.filter(() => random() < 0.5);
        const free = asked.every((scope) => (nextFreeAt.get(scope.key) ?? 0) <= earliestAt);

        // Act
        const slot = nextLookSlot(earliestAt, asked, nextFreeAt);
        nextFreeAt = new Map([...nextFreeAt, ...slot.nextFreeAt]);

        // Assess
        expect(slot.at).toBeGreaterThanOrEqual(earliestAt);
        if (free) expect(slot.at).toBe(earliestAt);
        for (const scope of asked) granted.set(scope.key, [...(granted.get(scope.key) ?? []), slot.at]);
      }
      for (const scope of scopes) {
        const times = granted.get(scope.key) ?? [];
        for (let index = 1; index < times.length; index += 1) {
          expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(lookSpacingMs(scope));
        }
        expect(busiestWindow(times, 1_000)).toBeLessThanOrEqual(Math.ceil(scope.perSecond));
      }
    }
  });

  it('names the API each look calls: RDS in the target region for a database, Route 53 for a record flip, none for a step that does not look', () => {
    // Prepare
    const group = drillConfig().groups[0]!;
    const arc = { ...group, dns: { ...group.dns, switch: 'arc-routing-control' as const } };
    const postgres = {
      ...group,
      regions: Object.fromEntries(
        Object.entries(group.regions).map(([name, region]) => [name, { ...region, database: { kind: 'postgres' as const, connectTimeoutMs: 1_000, promoteWaitSeconds: 60 } }]),
      ),
    };
    const keys = (target: Parameters<typeof lookScopes>[0], step: FailoverStep) => lookScopes(target, step, 'us-east-1').map((scope) => scope.key);

    // Act / Assess
    expect(keys(group, 'awaitingPromotion')).toEqual(['rds:us-east-1']);
    expect(keys(group, 'draining')).toEqual(['rds:us-east-1']);
    expect(keys(group, 'awaitingDnsSync')).toEqual(['route53']);
    expect(keys(group, 'verifying')).toEqual(['rds:us-east-1', 'route53']);
    expect(keys(group, 'promoting')).toEqual([]);
    expect(keys(arc, 'awaitingDnsSync')).toEqual([]);
    expect(keys(postgres, 'awaitingPromotion')).toEqual([]);
  });

  it('takes every attempt at a step that waits for the provider as a look, and the verification only when it repeats', () => {
    // Prepare
    const steps: FailoverStep[] = ['reserving', 'fencing', 'draining', 'promoting', 'awaitingPromotion', 'switchingTraffic', 'awaitingDnsSync', 'verifying'];

    // Act
    const first = steps.filter((step) => isLook(step, false));
    const repeated = steps.filter((step) => isLook(step, true));

    // Assess
    expect(first).toEqual(['draining', 'awaitingPromotion', 'awaitingDnsSync']);
    expect(repeated).toEqual(['draining', 'awaitingPromotion', 'awaitingDnsSync', 'verifying']);
  });
});

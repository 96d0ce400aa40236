import { describe, expect, it } from 'vitest';
import { GroupSchema } from '../../src/config/schema.js';
import { assessGroup } from '../../src/domain/assessment.js';
import type { RegionHealth } from '../../src/domain/types.js';

const NOW = 1_000_000;
const PRIMARY = 'eu-west-1';
const NEAR = 'us-east-1';
const FAR = 'ap-southeast-2';

const group = GroupSchema.parse({
  id: 'orders',
  environment: 'staging',
  mode: 'automatic',
  regions: Object.fromEntries(
    [
      [PRIMARY, 100],
      [NEAR, 90],
      [FAR, 80],
    ].map(([name, priority]) => [
      name,
      {
        failoverPriority: priority,
        ...(name === PRIMARY ? { initialPrimary: true } : {}),
        database: { kind: 'rds-instance', instanceId: `orders-${name}`, instanceArn: `arn:aws:rds:${name}:123456789012:db:orders-${name}` },
        healthEndpoints: [{ url: `https://${name}.orders.example.com/health` }],
        dnsTarget: { type: 'CNAME', value: `${name}.orders.example.com` },
      },
    ]),
  ),
  dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME' },
  notifications: { topicArn: 'arn:aws:sns:us-west-2:123456789012:orders' },
  policy: { probeIntervalSeconds: 10, maxReplicaLagSeconds: 30 },
});

function replica(region: string, overrides: Partial<RegionHealth> = {}): RegionHealth {
  return {
    region,
    verdict: 'healthy',
    since: 0,
    failingObservers: [],
    recoveredObservers: [],
    staleObservers: [],
    databaseRole: 'replica',
    replicaLagSeconds: 2,
    replicaLagMeasuredAt: NOW - 5_000,
    replicationSource: PRIMARY,
    reasons: [],
    ...overrides,
  };
}

const primaryDown: RegionHealth = { ...replica(PRIMARY), verdict: 'unhealthy', databaseRole: 'unknown' };

describe('assessGroup', () => {
  it('says the primary is failing now only while a quorum of fresh observers sees it fail, whatever its verdict', () => {
    // Prepare: the same unhealthy verdict, with two observers failing it now, one, and none (the data plane passes
    // again and only its database cannot be confirmed).
    const withFailing = (failingObservers: string[]) => ({ [PRIMARY]: { ...primaryDown, failingObservers }, [NEAR]: replica(NEAR), [FAR]: replica(FAR) });

    // Act
    const failingNow = [['a', 'b'], ['a'], []].map(
      (observers) => assessGroup({ group, health: withFailing(observers), primaryRegion: PRIMARY, now: NOW, proposedFailoverId: 'fo-1' }).primaryFailingNow,
    );

    // Assess
    expect(group.policy.observerQuorum).toBe(2);
    expect(failingNow).toEqual([true, false, false]);
  });

  it('never chooses a replica that replicates from another region than the primary, and says it is orphaned', () => {
    // Prepare: NEAR (the higher priority) still follows the old primary us-west-2 left behind by an earlier failover.
    const health = { [PRIMARY]: primaryDown, [NEAR]: replica(NEAR, { replicationSource: 'us-west-2' }), [FAR]: replica(FAR) };

    // Act
    const assessment = assessGroup({ group, health, primaryRegion: PRIMARY, now: NOW, proposedFailoverId: 'fo-1' });

    // Assess
    expect(assessment.candidate).toEqual({ region: FAR, replicaLagSeconds: 2 });
    expect(assessment.ineligible).toContainEqual({ region: NEAR, reason: 'orphaned: replicates from us-west-2, not from the primary eu-west-1' });
  });

  it('has no candidate when the only healthy replica is orphaned', () => {
    // Prepare
    const health = {
      [PRIMARY]: primaryDown,
      [NEAR]: replica(NEAR, { replicationSource: FAR }),
      [FAR]: replica(FAR, { verdict: 'unhealthy' }),
    };

    // Act
    const assessment = assessGroup({ group, health, primaryRegion: PRIMARY, now: NOW, proposedFailoverId: 'fo-1' });

    // Assess
    expect(assessment.candidate).toBeUndefined();
    expect(assessment.noCandidateReason).toBe('no-eligible-replica');
  });

  it('counts a lag measured more than two probe intervals ago as unknown, which blocks the candidate', () => {
    // Prepare: the lag reads 2 s, but it was measured 21 s ago with a 10 s probe interval.
    const health = {
      [PRIMARY]: primaryDown,
      [NEAR]: replica(NEAR, { replicaLagMeasuredAt: NOW - 21_000 }),
      [FAR]: replica(FAR, { verdict: 'unknown' }),
    };

    // Act
    const assessment = assessGroup({ group, health, primaryRegion: PRIMARY, now: NOW, proposedFailoverId: 'fo-1' });

    // Assess
    expect(assessment.candidate).toBeUndefined();
    expect(assessment.noCandidateReason).toBe('lag-over-budget');
    expect(assessment.ineligible).toContainEqual({
      region: NEAR,
      reason: 'replica lag was measured 21 s ago, too old to bound the data-loss window',
    });
  });

  it('takes a lag measured within two probe intervals', () => {
    // Prepare
    const health = { [PRIMARY]: primaryDown, [NEAR]: replica(NEAR, { replicaLagMeasuredAt: NOW - 20_000 }), [FAR]: replica(FAR) };

    // Act
    const assessment = assessGroup({ group, health, primaryRegion: PRIMARY, now: NOW, proposedFailoverId: 'fo-1' });

    // Assess
    expect(assessment.candidate).toEqual({ region: NEAR, replicaLagSeconds: 2 });
  });
});

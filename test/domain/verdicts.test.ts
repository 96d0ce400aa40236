import { describe, expect, it } from 'vitest';
import { GroupSchema, PolicySchema } from '../../src/config/schema.js';
import type { GroupPolicy } from '../../src/config/schema.js';
import { nextObserverReport } from '../../src/domain/observations.js';
import type { DatabaseObservation, ObserverReport, RegionHealth, RoundResult, Verdict } from '../../src/domain/types.js';
import { evaluateGroup, evaluateRegion } from '../../src/domain/verdicts.js';
import { seededRandom } from '../support/seededRandom.js';

const OBSERVERS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const REGION = 'eu-west-1';
const INTERVAL_MS = 5_000;
const policy = PolicySchema.parse({
  probeIntervalSeconds: 5,
  failureThreshold: 3,
  recoveryThreshold: 3,
  observerQuorum: 2,
});

/** One observer's outcome in a round: pass, fail, or silent (cut off: no report reaches the store). */
type Outcome = 'pass' | 'fail' | 'silent';

function roundAt(observedAt: number, ok: boolean, database?: DatabaseObservation): RoundResult {
  return {
    observedAt,
    http: [{ url: 'https://orders.example.com/health', ok, latencyMs: 10, ...(ok ? { status: 200 } : { error: 'timeout' }) }],
    ...(database === undefined ? {} : { database }),
  };
}

/**
 * Plays rounds through the whole pure pipeline (observer reports, then the verdict) as the probes and the orchestrator
 * do, one round every interval. Returns the health after each round.
 */
function play(
  rounds: readonly Readonly<Record<string, Outcome>>[],
  options: { policy?: GroupPolicy; reports?: Map<string, ObserverReport>; previous?: RegionHealth; startAt?: number } = {},
): { history: RegionHealth[]; reports: Map<string, ObserverReport> } {
  const activePolicy = options.policy ?? policy;
  const reports = options.reports ?? new Map<string, ObserverReport>();
  const history: RegionHealth[] = [];
  let previous = options.previous;
  rounds.forEach((outcomes, index) => {
    const now = (options.startAt ?? INTERVAL_MS) + index * INTERVAL_MS;
    for (const observer of OBSERVERS) {
      const outcome = outcomes[observer] ?? 'silent';
      if (outcome === 'silent') continue;
      const round = roundAt(now, outcome === 'pass');
      reports.set(observer, nextObserverReport(reports.get(observer), { groupId: 'orders', region: REGION, observerRegion: observer, round }));
    }
    previous = evaluateRegion({
      region: REGION,
      ...(previous === undefined ? {} : { previous }),
      reports: [...reports.values()],
      observerRegions: OBSERVERS,
      now,
      policy: activePolicy,
    });
    history.push(previous);
  });
  return { history, reports };
}

function all(outcome: Outcome): Record<string, Outcome> {
  return Object.fromEntries(OBSERVERS.map((observer) => [observer, outcome]));
}

function verdicts(history: readonly RegionHealth[]): Verdict[] {
  return history.map((health) => health.verdict);
}

describe('evaluateRegion', () => {
  it('never declares a flapping endpoint unhealthy', () => {
    // Prepare
    const rounds = Array.from({ length: 60 }, (_, index) => all(index % 2 === 0 ? 'fail' : 'pass'));

    // Act
    const { history } = play(rounds);

    // Assess
    expect(verdicts(history)).not.toContain('unhealthy');
    expect(new Set(verdicts(history))).toEqual(new Set(['healthy']));
  });

  it('never declares unhealthy an endpoint failing twice then passing once, below a threshold of three', () => {
    // Prepare
    const pattern: Outcome[] = ['fail', 'fail', 'pass'];
    const rounds = Array.from({ length: 45 }, (_, index) => all(pattern[index % 3] ?? 'pass'));

    // Act
    const { history } = play(rounds);

    // Assess
    expect(verdicts(history)).not.toContain('unhealthy');
  });

  it('declares a region unhealthy when a quorum of observers saw the failure threshold of consecutive failures', () => {
    // Prepare
    const outage = { 'eu-west-1': 'fail', 'us-east-1': 'fail', 'ap-southeast-2': 'pass' } as const;

    // Act
    const { history } = play([all('pass'), outage, outage, outage]);

    // Assess
    expect(verdicts(history)).toEqual(['healthy', 'healthy', 'healthy', 'unhealthy']);
    const last = history.at(-1);
    expect(last?.since).toBe(4 * INTERVAL_MS);
    expect(last?.failingObservers).toEqual(['eu-west-1', 'us-east-1']);
    expect(last?.reasons[0]).toBe('2 of 3 observers see eu-west-1 failing, quorum is 2');
    expect(last?.reasons).toContain('observer us-east-1: 3 failed rounds in a row (https://orders.example.com/health: timeout)');
  });

  it('keeps a region suspect, not unhealthy, when one observer of three is cut off from it and quorum is two', () => {
    // Prepare
    const partition = { 'eu-west-1': 'pass', 'us-east-1': 'fail', 'ap-southeast-2': 'pass' } as const;

    // Act
    const { history } = play(Array.from({ length: 20 }, () => partition));

    // Assess
    expect(verdicts(history)).not.toContain('unhealthy');
    expect(history.at(-1)?.verdict).toBe('suspect');
    expect(history.at(-1)?.failingObservers).toEqual(['us-east-1']);
  });

  it('stays healthy when one observer of three falls silent and the other two still see the region pass', () => {
    // Prepare
    const silentObserver = { 'eu-west-1': 'pass', 'us-east-1': 'silent', 'ap-southeast-2': 'pass' } as const;

    // Act
    const { history } = play([all('pass'), ...Array.from({ length: 5 }, () => silentObserver)]);

    // Assess
    expect(history.at(-1)?.verdict).toBe('healthy');
    expect(history.at(-1)?.staleObservers).toEqual(['us-east-1']);
  });

  it('counts stale observers as unknown, never as healthy', () => {
    // Prepare
    const { reports } = play([all('pass'), all('pass'), all('pass')]);
    const lastRoundAt = 3 * INTERVAL_MS;

    // Act
    const health = evaluateRegion({
      region: REGION,
      reports: [...reports.values()],
      observerRegions: OBSERVERS,
      now: lastRoundAt + 2 * INTERVAL_MS + 1,
      policy,
    });

    // Assess
    expect(health.verdict).toBe('unknown');
    expect(health.staleObservers).toEqual(OBSERVERS);
    expect(health.reasons[0]).toBe('only 0 of 3 observers have fresh reports, quorum is 2');
    expect(health.reasons).toContain('observer us-east-1 last reported 10 s ago (stale after 10 s)');
  });

  it('does not count failing observers whose reports went stale toward the quorum', () => {
    // Prepare
    const { reports } = play([all('fail'), all('fail'), all('fail')]);
    const failingButOld = [...reports.values()].map((report) =>
      report.observerRegion === 'eu-west-1' ? report : { ...report, observedAt: report.observedAt - 3 * INTERVAL_MS },
    );

    // Act
    const health = evaluateRegion({
      region: REGION,
      reports: failingButOld,
      observerRegions: OBSERVERS,
      now: 3 * INTERVAL_MS,
      policy,
    });

    // Assess
    expect(health.verdict).toBe('suspect');
    expect(health.failingObservers).toEqual(['eu-west-1']);
    expect(health.staleObservers).toEqual(['us-east-1', 'ap-southeast-2']);
  });

  it('reports unknown when no observer has ever reported', () => {
    // Prepare
    const noReports: ObserverReport[] = [];

    // Act
    const health = evaluateRegion({ region: REGION, reports: noReports, observerRegions: OBSERVERS, now: 0, policy });

    // Assess
    expect(health.verdict).toBe('unknown');
    expect(health.reasons).toContain('no report from observer ap-southeast-2');
  });

  it('keeps an unhealthy region unhealthy until a quorum of observers saw the recovery threshold of passing rounds', () => {
    // Prepare
    const down = play([all('fail'), all('fail'), all('fail')]);
    const downSince = down.history.at(-1)?.since;

    // Act
    const { history } = play([all('pass'), all('pass'), all('pass'), all('pass')], {
      reports: down.reports,
      previous: down.history.at(-1),
      startAt: 4 * INTERVAL_MS,
    });

    // Assess
    expect(down.history.at(-1)?.verdict).toBe('unhealthy');
    expect(verdicts(history)).toEqual(['unhealthy', 'unhealthy', 'healthy', 'healthy']);
    expect(history[1]?.since).toBe(downSince);
    expect(history[1]?.reasons[0]).toBe('still unhealthy: 0 of the 2 observers needed have seen 3 passing rounds in a row');
    expect(history[2]?.since).toBe(6 * INTERVAL_MS);
    expect(history[2]?.reasons[0]).toBe('recovered: 3 observers have seen 3 passing rounds in a row');
  });

  it('keeps an unhealthy region unhealthy, not unknown, when its observers fall silent', () => {
    // Prepare
    const down = play([all('fail'), all('fail'), all('fail')]);

    // Act
    const { history } = play([all('silent'), all('silent'), all('silent'), all('silent')], {
      reports: down.reports,
      previous: down.history.at(-1),
      startAt: 4 * INTERVAL_MS,
    });

    // Assess
    expect(verdicts(history)).toEqual(['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']);
    expect(history.at(-1)?.staleObservers).toEqual(OBSERVERS);
  });

  it('counts a database in a terminal status while HTTP passes as a failure of the region', () => {
    // Prepare
    const stopped: DatabaseObservation = { ok: false, evidence: 'failed', role: 'primary', status: 'failed', error: 'status failed (terminal)' };
    const reports: ObserverReport[] = OBSERVERS.map((observer) => {
      let report: ObserverReport | undefined;
      for (let round = 1; round <= 3; round += 1) {
        report = nextObserverReport(report, {
          groupId: 'orders',
          region: REGION,
          observerRegion: observer,
          round: roundAt(round * INTERVAL_MS, true, stopped),
        });
      }
      if (report === undefined) throw new Error('no rounds were played');
      return report;
    });

    // Act
    const health = evaluateRegion({ region: REGION, reports, observerRegions: OBSERVERS, now: 3 * INTERVAL_MS, policy });

    // Assess
    expect(health.verdict).toBe('unhealthy');
    expect(health.reasons).toContain(
      'observer eu-west-1: 3 failed rounds in a row (database primary is failed: status failed (terminal))',
    );
  });

  it('never declares unhealthy, nor healthy, a region whose HTTP passes while the RDS API throttles every observer', () => {
    // Prepare
    const throttled: DatabaseObservation = { ok: false, evidence: 'unknown', role: 'unknown', status: 'api-error', error: 'Rate exceeded' };
    const reports = new Map<string, ObserverReport>();
    let health: RegionHealth | undefined;

    // Act
    for (let round = 1; round <= 12; round += 1) {
      for (const observer of OBSERVERS) {
        const result = roundAt(round * INTERVAL_MS, true, throttled);
        reports.set(observer, nextObserverReport(reports.get(observer), { groupId: 'orders', region: REGION, observerRegion: observer, round: result }));
      }
      health = evaluateRegion({
        region: REGION,
        ...(health === undefined ? {} : { previous: health }),
        reports: [...reports.values()],
        observerRegions: OBSERVERS,
        now: round * INTERVAL_MS,
        policy,
      });
    }

    // Assess
    expect(health?.verdict).toBe('unknown');
    expect(health?.failingObservers).toEqual([]);
    expect(health?.reasons[0]).toBe(
      "only 0 of 3 observers could confirm eu-west-1, quorum is 2; the control plane's answers are no evidence either way",
    );
    expect(health?.reasons).toContain('observer us-east-1 cannot confirm the database: database unknown is api-error: Rate exceeded');
  });

  it('ignores an observer whose reports are stamped further in the future than one probe interval, and says why', () => {
    // Prepare
    const now = 100_000;
    const ahead = (observer: string, observedAt: number): ObserverReport =>
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: observer, round: roundAt(observedAt, true) });
    const reports = [ahead('eu-west-1', now), ahead('us-east-1', now - 1_000), ahead('ap-southeast-2', now + INTERVAL_MS + 1)];

    // Act
    const health = evaluateRegion({ region: REGION, reports, observerRegions: OBSERVERS, now, policy });

    // Assess
    expect(health.verdict).toBe('healthy');
    expect(health.staleObservers).toEqual(['ap-southeast-2']);
    expect(health.reasons).toContain(
      'observer ap-southeast-2 stamped its report 5 s in the future, beyond the allowed clock skew of 5 s: its clock is ahead, so its reports are ignored',
    );
  });

  it('keeps a report stamped within the allowed skew in the future fresh at most one probe interval longer', () => {
    // Prepare: the observer's clock is 4 s ahead; its last report then goes silent.
    const stampedAt = 100_000;
    const report = nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'eu-west-1', round: roundAt(stampedAt + 4_000, true) });
    const others = ['us-east-1', 'ap-southeast-2'].map((observer) =>
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: observer, round: roundAt(stampedAt, true) }),
    );

    // Act: before its stamp (clamped to now), then two intervals after its stamp plus the largest skew allowed.
    const early = evaluateRegion({ region: REGION, reports: [report, ...others], observerRegions: OBSERVERS, now: stampedAt, policy });
    const late = evaluateRegion({ region: REGION, reports: [report, ...others], observerRegions: OBSERVERS, now: stampedAt + 3 * INTERVAL_MS + 1, policy });

    // Assess
    expect(early.staleObservers).toEqual([]);
    expect(late.staleObservers).toEqual(OBSERVERS);
  });

  it('takes the role from fresh reports only: a stale report of the old primary never decides it', () => {
    // Prepare: the observer that died with eu-west-1 last saw it as primary; the fresh ones see a replica.
    const now = 100_000;
    const stalePrimary = nextObserverReport(undefined, {
      groupId: 'orders',
      region: REGION,
      observerRegion: 'eu-west-1',
      round: roundAt(now - 3 * INTERVAL_MS, true, { ok: true, evidence: 'ok', role: 'primary', status: 'available' }),
    });
    const freshStandalone = ['us-east-1', 'ap-southeast-2'].map((observer) =>
      nextObserverReport(undefined, {
        groupId: 'orders',
        region: REGION,
        observerRegion: observer,
        round: roundAt(now - 1_000, true, { ok: true, evidence: 'ok', role: 'standalone', status: 'available' }),
      }),
    );
    const futureStamped = { ...stalePrimary, observedAt: now + 60_000, last: { ...stalePrimary.last, observedAt: now + 60_000 } };

    // Act
    const health = evaluateRegion({ region: REGION, reports: [futureStamped, ...freshStandalone], observerRegions: OBSERVERS, now, policy });

    // Assess
    expect(health.databaseRole).toBe('standalone');
  });

  it('reports no role when only a stale report saw the database: the observer that died with its region never decides it', () => {
    // Prepare: the observer in eu-west-1 died with the region, its last report saying primary; the others cannot see it.
    const now = 100_000;
    const stalePrimary = nextObserverReport(undefined, {
      groupId: 'orders',
      region: REGION,
      observerRegion: 'eu-west-1',
      round: roundAt(now - 3 * INTERVAL_MS, true, { ok: true, role: 'primary', status: 'available' }),
    });
    const blind = ['us-east-1', 'ap-southeast-2'].map((observer) =>
      nextObserverReport(undefined, {
        groupId: 'orders',
        region: REGION,
        observerRegion: observer,
        round: roundAt(now - 1_000, false, { ok: false, role: 'unknown', status: 'unreachable' }),
      }),
    );

    // Act
    const health = evaluateRegion({ region: REGION, reports: [stalePrimary, ...blind], observerRegions: OBSERVERS, now, policy });

    // Assess
    expect(health.databaseRole).toBeUndefined();
  });

  it('carries the replication source and the time the lag was measured from the freshest report', () => {
    // Prepare
    const reports = OBSERVERS.map((observer) =>
      nextObserverReport(undefined, {
        groupId: 'orders',
        region: REGION,
        observerRegion: observer,
        round: roundAt(10_000, true, {
          ok: true,
          evidence: 'ok',
          role: 'replica',
          status: 'available',
          replicaLagSeconds: 3,
          replicaLagMeasuredAt: 4_000,
          sourceRegion: 'us-east-1',
        }),
      }),
    );

    // Act
    const health = evaluateRegion({ region: REGION, reports, observerRegions: OBSERVERS, now: 10_000, policy });

    // Assess
    expect(health).toMatchObject({ replicaLagSeconds: 3, replicaLagMeasuredAt: 4_000, replicationSource: 'us-east-1' });
  });

  it('takes the replica lag measured last by any fresh observer, even when the freshest report carries none', () => {
    // Prepare: one observer read the metric (its turn); the others, including the freshest, remember an older reading or none.
    const replica = (observedAt: number, lag?: { seconds: number; measuredAt: number }): RoundResult =>
      roundAt(observedAt, true, {
        ok: true,
        evidence: 'ok',
        role: 'replica',
        status: 'available',
        sourceRegion: 'us-east-1',
        ...(lag === undefined ? {} : { replicaLagSeconds: lag.seconds, replicaLagMeasuredAt: lag.measuredAt }),
      });
    const reports: ObserverReport[] = [
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'eu-west-1', round: replica(8_000, { seconds: 9, measuredAt: 1_000 }) }),
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'us-east-1', round: replica(9_000, { seconds: 2, measuredAt: 6_000 }) }),
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'ap-southeast-2', round: replica(10_000) }),
    ];

    // Act
    const health = evaluateRegion({ region: REGION, reports, observerRegions: OBSERVERS, now: 10_000, policy });

    // Assess
    expect(health).toMatchObject({ databaseRole: 'replica', replicaLagSeconds: 2, replicaLagMeasuredAt: 6_000, replicationSource: 'us-east-1' });
  });

  it('never takes a lag reported while the region was a replica of another source, nor one for a promoted primary', () => {
    // Prepare
    const database = (sourceRegion: string): DatabaseObservation => ({
      ok: true,
      evidence: 'ok',
      role: 'replica',
      status: 'available',
      sourceRegion,
      replicaLagSeconds: 1,
      replicaLagMeasuredAt: 9_000,
    });
    const repointed = [
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'eu-west-1', round: roundAt(9_000, true, database('ap-southeast-2')) }),
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'us-east-1', round: roundAt(10_000, true, { ok: true, evidence: 'ok', role: 'replica', status: 'available', sourceRegion: 'us-east-1' }) }),
    ];
    const promoted = [
      repointed[0]!,
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'us-east-1', round: roundAt(10_000, true, { ok: true, evidence: 'ok', role: 'primary', status: 'available' }) }),
    ];

    // Act
    const afterRepoint = evaluateRegion({ region: REGION, reports: repointed, observerRegions: OBSERVERS, now: 10_000, policy });
    const afterPromotion = evaluateRegion({ region: REGION, reports: promoted, observerRegions: OBSERVERS, now: 10_000, policy });

    // Assess
    expect(afterRepoint.replicationSource).toBe('us-east-1');
    expect(afterRepoint.replicaLagSeconds).toBeUndefined();
    expect(afterPromotion.databaseRole).toBe('primary');
    expect(afterPromotion.replicaLagSeconds).toBeUndefined();
  });

  it('keeps `since` while the verdict does not change', () => {
    // Prepare
    const rounds = Array.from({ length: 5 }, () => all('pass'));

    // Act
    const { history } = play(rounds);

    // Assess
    expect(history.map((health) => health.since)).toEqual(Array.from({ length: 5 }, () => INTERVAL_MS));
  });

  it('carries the replica lag and role of the freshest report that could see the database', () => {
    // Prepare
    const replica = (observedAt: number, lag: number): RoundResult =>
      roundAt(observedAt, true, { ok: true, role: 'replica', status: 'available', replicaLagSeconds: lag });
    const reports: ObserverReport[] = [
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'eu-west-1', round: replica(1_000, 4) }),
      nextObserverReport(undefined, { groupId: 'orders', region: REGION, observerRegion: 'us-east-1', round: replica(3_000, 7) }),
      nextObserverReport(undefined, {
        groupId: 'orders',
        region: REGION,
        observerRegion: 'ap-southeast-2',
        round: roundAt(4_000, true, { ok: false, role: 'unknown', status: 'unreachable', error: 'throttled' }),
      }),
    ];

    // Act
    const health = evaluateRegion({ region: REGION, reports, observerRegions: OBSERVERS, now: 4_000, policy });

    // Assess
    expect(health.replicaLagSeconds).toBe(7);
    expect(health.databaseRole).toBe('replica');
  });

  it('never declares unhealthy random sequences whose failure runs stay below the threshold (seeded property)', () => {
    // Prepare
    const random = seededRandom(20_260_521);
    const cases = 300;
    let roundsPlayed = 0;
    let roundsWithFailures = 0;

    for (let index = 0; index < cases; index += 1) {
      const failureThreshold = 2 + Math.floor(random() * 4);
      const observerQuorum = 1 + Math.floor(random() * OBSERVERS.length);
      const casePolicy = PolicySchema.parse({ probeIntervalSeconds: 5, failureThreshold, recoveryThreshold: 2, observerQuorum });
      const runs = new Map(OBSERVERS.map((observer) => [observer, 0]));
      const rounds = Array.from({ length: 40 }, () =>
        Object.fromEntries(
          OBSERVERS.map((observer) => {
            const run = runs.get(observer) ?? 0;
            // Fail at random, but pass before a run of failures reaches the threshold: the endpoint flaps.
            const outcome: Outcome = run + 1 < failureThreshold && random() < 0.6 ? 'fail' : 'pass';
            runs.set(observer, outcome === 'fail' ? run + 1 : 0);
            return [observer, outcome];
          }),
        ),
      );
      roundsWithFailures += rounds.filter((round) => Object.values(round).includes('fail')).length;

      // Act
      const { history } = play(rounds, { policy: casePolicy });
      roundsPlayed += history.length;

      // Assess
      expect(verdicts(history), `case ${index}: threshold ${failureThreshold}, quorum ${observerQuorum}`).not.toContain(
        'unhealthy',
      );
    }
    expect(roundsPlayed).toBe(cases * 40);
    expect(roundsWithFailures).toBeGreaterThan(cases * 10);
  });

  it('always declares unhealthy random sequences where a quorum fails the threshold in a row (seeded property)', () => {
    // Prepare
    const random = seededRandom(7);

    for (let index = 0; index < 200; index += 1) {
      const failureThreshold = 1 + Math.floor(random() * 5);
      const observerQuorum = 1 + Math.floor(random() * OBSERVERS.length);
      const casePolicy = PolicySchema.parse({ probeIntervalSeconds: 5, failureThreshold, recoveryThreshold: 2, observerQuorum });
      const noise = Array.from({ length: Math.floor(random() * 10) }, () =>
        Object.fromEntries(OBSERVERS.map((observer) => [observer, random() < 0.5 ? 'fail' : 'pass'])) as Record<string, Outcome>,
      );
      const failing = new Set([...OBSERVERS].sort(() => random() - 0.5).slice(0, observerQuorum));
      const outage = Object.fromEntries(OBSERVERS.map((observer) => [observer, failing.has(observer) ? 'fail' : 'pass'])) as Record<
        string,
        Outcome
      >;

      // Act
      const { history } = play([...noise, ...Array.from({ length: failureThreshold }, () => outage)], { policy: casePolicy });

      // Assess
      expect(history.at(-1)?.verdict, `case ${index}: threshold ${failureThreshold}, quorum ${observerQuorum}`).toBe('unhealthy');
    }
  });
});

describe('evaluateGroup', () => {
  it('evaluates every region of the group from its own reports and ignores other groups', () => {
    // Prepare
    const group = GroupSchema.parse({
      id: 'orders',
      environment: 'staging',
      mode: 'automatic',
      regions: {
        'eu-west-1': {
          initialPrimary: true,
          failoverPriority: 100,
          database: { kind: 'rds-instance', instanceId: 'orders-eu', instanceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-eu' },
          healthEndpoints: [{ url: 'https://eu.example.com/health' }],
          dnsTarget: { type: 'CNAME', value: 'eu.example.com' },
        },
        'us-east-1': {
          failoverPriority: 90,
          database: { kind: 'rds-instance', instanceId: 'orders-us', instanceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-us' },
          healthEndpoints: [{ url: 'https://us.example.com/health' }],
          dnsTarget: { type: 'CNAME', value: 'us.example.com' },
        },
      },
      dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME' },
      notifications: { topicArn: 'arn:aws:sns:us-west-2:123456789012:orders' },
      policy: { probeIntervalSeconds: 5, observerQuorum: 2, failureThreshold: 1 },
    });
    const report = (groupId: string, region: string, observerRegion: string, ok: boolean): ObserverReport =>
      nextObserverReport(undefined, { groupId, region, observerRegion, round: roundAt(10_000, ok) });
    const reports = [
      ...OBSERVERS.map((observer) => report('orders', 'eu-west-1', observer, false)),
      ...OBSERVERS.map((observer) => report('orders', 'us-east-1', observer, true)),
      ...OBSERVERS.map((observer) => report('billing', 'us-east-1', observer, false)),
    ];
    const previous: Record<string, RegionHealth> = {
      'us-east-1': {
        region: 'us-east-1',
        verdict: 'healthy',
        since: 1_000,
        failingObservers: [],
        recoveredObservers: [],
        staleObservers: [],
        reasons: [],
      },
    };

    // Act
    const health = evaluateGroup({ group, previous, reports, observerRegions: OBSERVERS, now: 10_000 });

    // Assess
    expect(Object.keys(health)).toEqual(['eu-west-1', 'us-east-1']);
    expect(health['eu-west-1']?.verdict).toBe('unhealthy');
    expect(health['eu-west-1']?.since).toBe(10_000);
    expect(health['us-east-1']?.verdict).toBe('healthy');
    expect(health['us-east-1']?.since).toBe(1_000);
  });
});

import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../src/config/schema.js';
import { vouchedReport, vouchFor, withHeartbeats, type ObserverHeartbeat, type ReportVouch } from '../../src/domain/heartbeats.js';
import { REPORT_REWRITE_MS, nextObserverReport, repeatedReport, reportsUnchanged } from '../../src/domain/observations.js';
import type { DatabaseObservation, ObserverReport, RegionHealth, RoundResult } from '../../src/domain/types.js';
import { evaluateRegion } from '../../src/domain/verdicts.js';
import { seededRandom } from '../support/seededRandom.js';

const OBSERVERS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const REGION = 'eu-west-1';
const replica: DatabaseObservation = {
  ok: true,
  evidence: 'ok',
  role: 'replica',
  status: 'available',
  replicaLagSeconds: 2,
  replicaLagMeasuredAt: 1_000,
  sourceRegion: 'us-east-1',
};

function roundAt(observedAt: number, parts: { ok?: boolean; latencyMs?: number; database?: DatabaseObservation } = {}): RoundResult {
  const ok = parts.ok ?? true;
  return {
    observedAt,
    http: [{ url: 'https://orders.example.com/health', ok, latencyMs: parts.latencyMs ?? 10, ...(ok ? { status: 200 } : { error: 'timeout' }) }],
    database: parts.database ?? replica,
  };
}

function reportAt(previous: ObserverReport | undefined, observedAt: number, parts: Parameters<typeof roundAt>[1] = {}, region = REGION): ObserverReport {
  return nextObserverReport(previous, { groupId: 'orders', region, observerRegion: 'us-east-1', round: roundAt(observedAt, parts) });
}

/** A report that has passed `rounds` rounds in a row, the last at `observedAt`. */
function steady(observedAt: number, rounds = 5, parts: Parameters<typeof roundAt>[1] = {}): ObserverReport {
  let report: ObserverReport | undefined;
  for (let index = rounds - 1; index >= 0; index -= 1) report = reportAt(report, observedAt - index * 10_000, parts);
  return report!;
}

describe('repeatedReport', () => {
  it('is nextObserverReport folded over rounds of the same evidence, the observation time aside', () => {
    // Prepare
    const passing = steady(1_000_000, 4);
    const failing = reportAt(reportAt(passing, 1_010_000, { ok: false }), 1_020_000, { ok: false });
    const inconclusive = reportAt(passing, 1_010_000, { database: { ok: false, evidence: 'unknown', role: 'unknown', status: 'api-error' } });
    const fold = (report: ObserverReport, rounds: number) => {
      let folded = report;
      for (let index = 1; index <= rounds; index += 1) folded = nextObserverReport(folded, { groupId: 'orders', region: REGION, observerRegion: 'us-east-1', round: { ...folded.last, observedAt: report.observedAt } });
      return folded;
    };

    // Act
    const repeated = [passing, failing, inconclusive].map((report) => repeatedReport(report, 3));

    // Assess
    expect(repeated).toEqual([fold(passing, 3), fold(failing, 3), fold(inconclusive, 3)]);
    expect(repeated.map((report) => [report.consecutiveSuccesses, report.consecutiveFailures])).toEqual([[7, 0], [0, 5], [4, 0]]);
    expect(repeatedReport(passing, 0)).toBe(passing);
  });

  it('gives the same verdicts to an observer that skips unchanged reports and vouches for them as to one that writes every round', () => {
    // Prepare: long random histories of passing, failing and silent rounds, three observers, thresholds of 1 to 100.
    const random = seededRandom(20261130);
    const histories = Array.from({ length: 12 }, () => {
      const threshold = [1, 2, 3, 50, 100][Math.floor(random() * 5)]!;
      const policy = PolicySchema.parse({ probeIntervalSeconds: 10, failureThreshold: threshold, recoveryThreshold: threshold, observerQuorum: 2 });
      const rounds = Array.from({ length: 300 }, () => OBSERVERS.map(() => (random() < 0.03 ? 'fail' : random() < 0.02 ? 'silent' : 'pass')));
      return { policy, rounds };
    });

    // Act
    const compared = histories.map(({ policy, rounds }) => {
      const everyRound = new Map<string, ObserverReport>();
      const stored = new Map<string, ObserverReport>();
      const vouches = new Map<string, ReportVouch>();
      let writes = 0;
      let everyRoundHealth: RegionHealth | undefined;
      let skippingHealth: RegionHealth | undefined;
      const verdicts: [string, string][] = [];
      rounds.forEach((outcomes, index) => {
        const now = 10_000 * (index + 1);
        outcomes.forEach((outcome, observerIndex) => {
          if (outcome === 'silent') return;
          const observer = OBSERVERS[observerIndex]!;
          const round = roundAt(now, { ok: outcome === 'pass', latencyMs: 5 + index });
          const where = { groupId: 'orders', region: REGION, observerRegion: observer, round };
          everyRound.set(observer, nextObserverReport(everyRound.get(observer), where));
          const before = stored.get(observer);
          const vouch = vouches.get(observer);
          const next = nextObserverReport(before === undefined || vouch === undefined ? before : vouchedReport(before, vouch), where);
          const rounds = (vouch?.rounds ?? 0) + 1;
          if (before !== undefined && reportsUnchanged([before], [next], rounds)) vouches.set(observer, vouchFor([before], [next], rounds));
          else {
            stored.set(observer, next);
            vouches.delete(observer);
            writes += 1;
          }
        });
        const heartbeats = [...vouches].map(([observerRegion, vouch]): ObserverHeartbeat => ({ observerRegion, shard: 'default', writtenAt: now, vouches: { orders: vouch } }));
        const evaluate = (reports: readonly ObserverReport[], previous: RegionHealth | undefined) =>
          evaluateRegion({ region: REGION, ...(previous === undefined ? {} : { previous }), reports, observerRegions: OBSERVERS, now, policy });
        everyRoundHealth = evaluate([...everyRound.values()], everyRoundHealth);
        skippingHealth = evaluate(withHeartbeats([...stored.values()], heartbeats), skippingHealth);
        verdicts.push([everyRoundHealth.verdict, skippingHealth.verdict]);
      });
      return { verdicts, writes, observations: rounds.flat().filter((outcome) => outcome !== 'silent').length };
    });

    // Assess
    for (const { verdicts } of compared) expect(verdicts.map(([, skipping]) => skipping)).toEqual(verdicts.map(([everyRound]) => everyRound));
    expect(compared.flatMap((history) => history.verdicts.map(([everyRound]) => everyRound))).toEqual(expect.arrayContaining(['healthy', 'unhealthy']));
    const writes = compared.reduce((sum, history) => sum + history.writes, 0);
    const observations = compared.reduce((sum, history) => sum + history.observations, 0);
    expect(writes).toBeLessThan(observations / 4);
  });
});

describe('the configuration', () => {
  it('bounds the thresholds a streak is compared with', () => {
    // Act
    const refused = PolicySchema.safeParse({ failureThreshold: 101, recoveryThreshold: 101 });

    // Assess
    expect(refused.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['failureThreshold', 'recoveryThreshold']);
  });
});

describe('reportsUnchanged', () => {
  it('holds for the same evidence measured again, its streak grown by the rounds, latencies and observation time aside', () => {
    // Prepare
    const stored = steady(1_000_000);
    const once = reportAt(stored, 1_010_000, { latencyMs: 250 });

    // Act
    const twice = reportAt(once, 1_020_000, { latencyMs: 3 });

    // Assess
    expect(reportsUnchanged([stored], [once], 1)).toBe(true);
    expect(reportsUnchanged([stored], [twice], 2)).toBe(true);
    expect(reportsUnchanged([stored], [twice], 1)).toBe(false);
  });

  it('does not hold when a region fails, its lag is measured again, or its database changes', () => {
    // Prepare
    const stored = steady(1_000_000);
    const failingBefore = reportAt(stored, 1_000_000, { ok: false });

    // Act
    const failing = reportAt(stored, 1_010_000, { ok: false });
    const stillFailing = reportAt(failingBefore, 1_010_000, { ok: false });
    const lagMeasuredAgain = reportAt(stored, 1_010_000, { database: { ...replica, replicaLagMeasuredAt: 1_005_000 } });
    const promoted = reportAt(stored, 1_010_000, { database: { ok: true, evidence: 'ok', role: 'primary', status: 'available' } });

    // Assess
    expect(reportsUnchanged([stored], [failing], 1)).toBe(false);
    expect(reportsUnchanged([failingBefore], [stillFailing], 1)).toBe(false);
    expect(reportsUnchanged([stored], [lagMeasuredAgain], 1)).toBe(false);
    expect(reportsUnchanged([stored], [promoted], 1)).toBe(false);
  });

  it('does not hold for another set of regions, a stored report from the future, or one older than REPORT_REWRITE_MS', () => {
    // Prepare
    const stored = steady(1_000_000);

    // Act
    const otherRegions = [reportAt(stored, 1_010_000), reportAt(undefined, 1_010_000, {}, 'us-east-1')];
    const beforeStored = [reportAt(stored, 990_000)];
    const tooLate = [reportAt(stored, 1_000_000 + REPORT_REWRITE_MS)];

    // Assess
    expect(reportsUnchanged([stored], otherRegions, 1)).toBe(false);
    expect(reportsUnchanged([stored], beforeStored, 1)).toBe(false);
    expect(reportsUnchanged([stored], tooLate, 1)).toBe(false);
    expect(reportsUnchanged([], [], 1)).toBe(false);
  });
});

describe('withHeartbeats', () => {
  const stored = steady(1_000_000);
  const heartbeat = (vouchAt: number, observedAt = stored.observedAt, observerRegion = 'us-east-1'): ObserverHeartbeat => ({
    observerRegion,
    shard: 'default',
    writtenAt: vouchAt,
    vouches: { orders: { at: vouchAt, rounds: 1, reports: { [REGION]: observedAt } } },
  });

  it('reads a vouched report as writing it every round would have stored it, latencies aside', () => {
    // Prepare
    const next = reportAt(reportAt(stored, 1_010_000), 1_020_000);
    const vouch = vouchFor([stored], [next], 2);

    // Act
    const [report] = withHeartbeats([stored], [{ observerRegion: 'us-east-1', shard: 'default', writtenAt: 1_020_500, vouches: { orders: vouch } }]);

    // Assess
    expect(vouch).toEqual({ at: 1_020_000, rounds: 2, reports: { [REGION]: 1_000_000 } });
    expect(report).toEqual({ ...next, last: stored.last });
  });

  it('leaves a report at its own time when it was rewritten since the vouch, or the vouch is another observer\'s', () => {
    // Prepare
    const rewritten = reportAt(stored, 1_005_000, { ok: false });

    // Act
    const [notTheVouched] = withHeartbeats([rewritten], [heartbeat(1_010_000)]);
    const [otherObserver] = withHeartbeats([stored], [heartbeat(1_010_000, stored.observedAt, 'ap-southeast-2')]);
    const [olderVouch] = withHeartbeats([stored], [heartbeat(990_000)]);

    // Assess
    expect(notTheVouched).toBe(rewritten);
    expect(otherObserver).toBe(stored);
    expect(olderVouch).toBe(stored);
  });

  it('makes an observer stale once its heartbeat stops coming, whatever it vouched before', () => {
    // Prepare
    const policy = PolicySchema.parse({ probeIntervalSeconds: 10 });
    const reports = withHeartbeats([stored], [heartbeat(1_010_000)]);

    // Act
    const soon = evaluateRegion({ region: REGION, reports, observerRegions: ['us-east-1'], now: 1_025_000, policy: { ...policy, observerQuorum: 1 } });
    const later = evaluateRegion({ region: REGION, reports, observerRegions: ['us-east-1'], now: 1_031_000, policy: { ...policy, observerQuorum: 1 } });

    // Assess
    expect(soon.verdict).toBe('healthy');
    expect(later.verdict).toBe('unknown');
    expect(later.staleObservers).toEqual(['us-east-1']);
  });

  it('treats a heartbeat stamped in the future like a report stamped in the future: stale beyond the allowed skew', () => {
    // Prepare
    const policy = { ...PolicySchema.parse({ probeIntervalSeconds: 10 }), observerQuorum: 1 };
    const now = 1_005_000;

    // Act
    const withinSkew = evaluateRegion({ region: REGION, reports: withHeartbeats([stored], [heartbeat(now + 5_000)]), observerRegions: ['us-east-1'], now, policy });
    const beyondSkew = evaluateRegion({ region: REGION, reports: withHeartbeats([stored], [heartbeat(now + 60_000)]), observerRegions: ['us-east-1'], now, policy });

    // Assess
    expect(withinSkew.verdict).toBe('healthy');
    expect(beyondSkew.verdict).toBe('unknown');
    expect(beyondSkew.reasons.join(' ')).toContain('its clock is ahead');
  });
});

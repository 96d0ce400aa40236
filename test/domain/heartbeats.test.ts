import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../src/config/schema.js';
import { vouchFor, withHeartbeats, type ObserverHeartbeat } from '../../src/domain/heartbeats.js';
import { REPORT_REWRITE_MS, REPORT_STREAK_CAP, nextObserverReport, reportsUnchanged } from '../../src/domain/observations.js';
import type { DatabaseObservation, ObserverReport, RegionHealth, RoundResult } from '../../src/domain/types.js';
import { evaluateRegion } from '../../src/domain/verdicts.js';

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
function steady(observedAt: number, rounds = REPORT_STREAK_CAP, parts: Parameters<typeof roundAt>[1] = {}): ObserverReport {
  let report: ObserverReport | undefined;
  for (let index = rounds - 1; index >= 0; index -= 1) report = reportAt(report, observedAt - index * 10_000, parts);
  return report!;
}

/** mulberry32: a small seeded PRNG so the property test is reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('the success streak cap', () => {
  it('stops a passing streak at REPORT_STREAK_CAP, so a steady report stops changing', () => {
    // Prepare
    const atCap = steady(2_000_000);

    // Act
    const next = reportAt(atCap, 2_010_000);

    // Assess
    expect(atCap.consecutiveSuccesses).toBe(REPORT_STREAK_CAP);
    expect(next.consecutiveSuccesses).toBe(REPORT_STREAK_CAP);
  });

  it('is no smaller than the largest failure and recovery thresholds the configuration accepts', () => {
    // Prepare
    const atCap = { failureThreshold: REPORT_STREAK_CAP, recoveryThreshold: REPORT_STREAK_CAP };
    const beyond = { failureThreshold: REPORT_STREAK_CAP + 1, recoveryThreshold: REPORT_STREAK_CAP + 1 };

    // Act
    const accepted = PolicySchema.safeParse(atCap);
    const refused = PolicySchema.safeParse(beyond);

    // Assess
    expect(accepted.success).toBe(true);
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['failureThreshold', 'recoveryThreshold']);
  });

  it('never changes a verdict: capped and uncapped streaks give the same verdicts over long random histories', () => {
    // Prepare
    const random = seededRandom(20261130);
    const histories = Array.from({ length: 12 }, () => {
      const threshold = [1, 3, 50, 99, REPORT_STREAK_CAP][Math.floor(random() * 5)]!;
      const policy = PolicySchema.parse({ probeIntervalSeconds: 10, failureThreshold: threshold, recoveryThreshold: threshold, observerQuorum: 2 });
      // Long passing runs (past the cap) broken by short bursts of failures and silences.
      const rounds = Array.from({ length: 400 }, () => OBSERVERS.map(() => (random() < 0.02 ? 'fail' : random() < 0.01 ? 'silent' : 'pass')));
      return { policy, rounds };
    });

    // Act
    const compared = histories.map(({ policy, rounds }) => {
      const capped = new Map<string, ObserverReport>();
      const uncapped = new Map<string, ObserverReport>();
      let cappedHealth: RegionHealth | undefined;
      let uncappedHealth: RegionHealth | undefined;
      const verdicts: [string, string][] = [];
      let longestStreak = 0;
      rounds.forEach((outcomes, index) => {
        const now = 10_000 * (index + 1);
        outcomes.forEach((outcome, observerIndex) => {
          if (outcome === 'silent') return;
          const observer = OBSERVERS[observerIndex]!;
          const round = roundAt(now, { ok: outcome === 'pass' });
          const report = nextObserverReport(capped.get(observer), { groupId: 'orders', region: REGION, observerRegion: observer, round });
          capped.set(observer, report);
          const before = uncapped.get(observer)?.consecutiveSuccesses ?? 0;
          const successes = report.ok ? before + 1 : 0;
          longestStreak = Math.max(longestStreak, successes);
          uncapped.set(observer, { ...report, consecutiveSuccesses: successes });
        });
        const evaluate = (reports: Map<string, ObserverReport>, previous: RegionHealth | undefined) =>
          evaluateRegion({ region: REGION, ...(previous === undefined ? {} : { previous }), reports: [...reports.values()], observerRegions: OBSERVERS, now, policy });
        cappedHealth = evaluate(capped, cappedHealth);
        uncappedHealth = evaluate(uncapped, uncappedHealth);
        verdicts.push([cappedHealth.verdict, uncappedHealth.verdict]);
      });
      return { verdicts, longestStreak };
    });

    // Assess
    expect(Math.max(...compared.map((history) => history.longestStreak))).toBeGreaterThan(REPORT_STREAK_CAP);
    expect(compared.flatMap((history) => history.verdicts.map(([capped]) => capped))).toContain('unhealthy');
    for (const { verdicts } of compared) expect(verdicts.map(([capped]) => capped)).toEqual(verdicts.map(([, uncapped]) => uncapped));
  });
});

describe('reportsUnchanged', () => {
  it('holds for the same evidence measured again, latencies and observation time aside', () => {
    // Prepare
    const stored = [steady(1_000_000)];

    // Act
    const next = [reportAt(stored[0], 1_010_000, { latencyMs: 250 })];

    // Assess
    expect(reportsUnchanged(stored, next)).toBe(true);
  });

  it('does not hold when a region fails, its streak moves, its lag is measured again, or its database changes', () => {
    // Prepare
    const stored = steady(1_000_000);
    const young = steady(1_000_000, 3);

    // Act
    const failing = reportAt(stored, 1_010_000, { ok: false });
    const streakMoved = reportAt(young, 1_010_000);
    const lagMeasuredAgain = reportAt(stored, 1_010_000, { database: { ...replica, replicaLagMeasuredAt: 1_005_000 } });
    const promoted = reportAt(stored, 1_010_000, { database: { ok: true, evidence: 'ok', role: 'primary', status: 'available' } });

    // Assess
    expect(reportsUnchanged([stored], [failing])).toBe(false);
    expect(reportsUnchanged([young], [streakMoved])).toBe(false);
    expect(reportsUnchanged([stored], [lagMeasuredAgain])).toBe(false);
    expect(reportsUnchanged([stored], [promoted])).toBe(false);
  });

  it('does not hold for another set of regions, a stored report from the future, or one older than REPORT_REWRITE_MS', () => {
    // Prepare
    const stored = steady(1_000_000);

    // Act
    const otherRegions = [reportAt(stored, 1_010_000), reportAt(undefined, 1_010_000, {}, 'us-east-1')];
    const beforeStored = [reportAt(stored, 990_000)];
    const tooLate = [reportAt(stored, 1_000_000 + REPORT_REWRITE_MS)];

    // Assess
    expect(reportsUnchanged([stored], otherRegions)).toBe(false);
    expect(reportsUnchanged([stored], beforeStored)).toBe(false);
    expect(reportsUnchanged([stored], tooLate)).toBe(false);
    expect(reportsUnchanged([], [])).toBe(false);
  });
});

describe('withHeartbeats', () => {
  const stored = steady(1_000_000);
  const heartbeat = (vouchAt: number, observedAt = stored.observedAt, observerRegion = 'us-east-1'): ObserverHeartbeat => ({
    observerRegion,
    shard: 'default',
    writtenAt: vouchAt,
    vouches: { orders: { at: vouchAt, reports: { [REGION]: observedAt } } },
  });

  it('counts a vouched report as observed when its observer measured it again', () => {
    // Prepare
    const vouch = vouchFor([stored], [reportAt(stored, 1_010_000)]);

    // Act
    const [report] = withHeartbeats([stored], [{ observerRegion: 'us-east-1', shard: 'default', writtenAt: 1_010_500, vouches: { orders: vouch } }]);

    // Assess
    expect(vouch).toEqual({ at: 1_010_000, reports: { [REGION]: 1_000_000 } });
    expect(report).toEqual({ ...stored, observedAt: 1_010_000 });
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

import { describe, expect, it } from 'vitest';
import { nextObserverReport } from '../../src/domain/observations.js';
import type { HttpProbeResult, RoundResult } from '../../src/domain/types.js';

const passing: HttpProbeResult = { url: 'http://127.0.0.1:18101/health', ok: true, status: 200, latencyMs: 12 };
const timingOut: HttpProbeResult = { url: 'http://127.0.0.1:18101/health', ok: false, latencyMs: 1000, error: 'timeout' };
const where = { groupId: 'orders', region: 'eu-west-1', observerRegion: 'us-east-1' };

function round(observedAt: number, parts: Partial<RoundResult> = {}): RoundResult {
  return { observedAt, http: [passing], ...parts };
}

describe('nextObserverReport', () => {
  it('starts a success streak from a first passing round', () => {
    // Prepare
    const first = round(1_000, { database: { ok: true, role: 'primary', status: 'available' } });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: first });

    // Assess
    expect(report).toEqual({
      ...where,
      observedAt: 1_000,
      ok: true,
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      failureReasons: [],
      last: first,
    });
  });

  it('extends the failure streak and resets the success streak on a failing round', () => {
    // Prepare
    let report = nextObserverReport(undefined, { ...where, round: round(1_000) });
    report = nextObserverReport(report, { ...where, round: round(2_000, { http: [timingOut] }) });

    // Act
    report = nextObserverReport(report, { ...where, round: round(3_000, { http: [passing, timingOut] }) });

    // Assess
    expect(report.ok).toBe(false);
    expect(report.consecutiveFailures).toBe(2);
    expect(report.consecutiveSuccesses).toBe(0);
    expect(report.failureReasons).toEqual(['http://127.0.0.1:18101/health: timeout']);
  });

  it('resets the failure streak on a passing round', () => {
    // Prepare
    let report = nextObserverReport(undefined, { ...where, round: round(1_000, { http: [timingOut] }) });
    report = nextObserverReport(report, { ...where, round: round(2_000, { http: [timingOut] }) });

    // Act
    report = nextObserverReport(report, { ...where, round: round(3_000) });

    // Assess
    expect(report.consecutiveFailures).toBe(0);
    expect(report.consecutiveSuccesses).toBe(1);
  });

  it('fails the round when the database reports a terminal status although every HTTP probe passes', () => {
    // Prepare
    const databaseFailed = round(1_000, {
      database: { ok: false, evidence: 'failed', role: 'primary', status: 'failed', error: 'status failed (terminal)' },
    });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: databaseFailed });

    // Assess
    expect(report.ok).toBe(false);
    expect(report.consecutiveFailures).toBe(1);
    expect(report.failureReasons).toEqual(['database primary is failed: status failed (terminal)']);
  });

  it('neither fails nor passes a round whose only bad news is the control plane (API error, status in between)', () => {
    // Prepare
    const previous = nextObserverReport(undefined, { ...where, round: round(1_000) });
    const throttled = round(2_000, {
      database: { ok: false, evidence: 'unknown', role: 'unknown', status: 'api-error', error: 'describe failed: Rate exceeded' },
    });

    // Act
    const report = nextObserverReport(previous, { ...where, round: throttled });

    // Assess
    expect(report.ok).toBe(true);
    expect(report.failureReasons).toEqual([]);
    expect(report.consecutiveFailures).toBe(0);
    expect(report.consecutiveSuccesses).toBe(1);
    expect(report.unknownReasons).toEqual(['database unknown is api-error: describe failed: Rate exceeded']);
  });

  it('reads a stored observation without evidence through the status table: an old unreachable is unknown, not failed', () => {
    // Prepare
    const legacy = round(1_000, { database: { ok: false, role: 'unknown', status: 'unreachable', error: 'describe failed: Rate exceeded' } });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: legacy });

    // Assess
    expect(report.consecutiveFailures).toBe(0);
    expect(report.unknownReasons).toHaveLength(1);
  });

  it('fails the round when the database connection check fails although the HTTP probes pass', () => {
    // Prepare
    const refused = round(1_000, { connectionCheck: { ok: false, latencyMs: 3_000, checkedAt: 1_000, error: 'timeout after 3000 ms' } });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: refused });

    // Assess
    expect(report.ok).toBe(false);
    expect(report.failureReasons).toEqual(['database connection check failed: timeout after 3000 ms']);
  });

  it('fails the round when a drill injected a fault, whatever the probes say', () => {
    // Prepare
    const injected = round(1_000, { injectedFault: 'region-outage' });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: injected });

    // Assess
    expect(report.ok).toBe(false);
    expect(report.failureReasons).toEqual(['drill fault injected: region-outage']);
  });

  it('names a failed probe by its status when the prober gave no error text', () => {
    // Prepare
    const unavailable = round(1_000, { http: [{ url: 'https://a.example.com/health', ok: false, status: 503, latencyMs: 4 }] });

    // Act
    const report = nextObserverReport(undefined, { ...where, round: unavailable });

    // Assess
    expect(report.failureReasons).toEqual(['https://a.example.com/health: status 503']);
  });
});

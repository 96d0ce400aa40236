import { describe, expect, it } from 'vitest';
import { phaseDurations } from '../../handlers/shared/failoverDurations.js';
import { stepTimings } from '../../src/application/status.js';
import { FAILOVER_PHASES, failoverPhases, pastPointOfNoReturn } from '../../src/domain/phases.js';
import { FAILOVER_STEPS, type FailoverRecord } from '../../src/domain/types.js';
import { buildDrillReport } from '../../src/drill/report.js';

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
const SECOND = 1_000;

/** An approval-mode failover: proposed 10 s after detection, approved 70 s after the proposal. */
const approved: FailoverRecord = {
  id: 'fo-approval',
  groupId: 'orders',
  trigger: { kind: 'automatic' },
  reason: 'primary eu-west-1 confirmed unhealthy',
  from: 'eu-west-1',
  to: 'us-east-1',
  planned: false,
  allowDataLoss: false,
  outcome: 'completed',
  timestamps: {
    detectedAt: T0,
    decidedAt: T0 + 10 * SECOND,
    approvedAt: T0 + 80 * SECOND,
    fencedAt: T0 + 81 * SECOND,
    promotionStartedAt: T0 + 82 * SECOND,
    promotedAt: T0 + 142 * SECOND,
    trafficSwitchedAt: T0 + 143 * SECOND,
    dnsInSyncAt: T0 + 173 * SECOND,
    verifiedAt: T0 + 175 * SECOND,
    completedAt: T0 + 175 * SECOND,
  },
  rtoMs: 175 * SECOND,
};

describe('the failover phase table', () => {
  // Regression test (#8 §6): on main `fcp history` printed `approval 80 s, decision -70 s` for this failover.
  it('times the decision before the approval in an approval-mode failover, with no negative phase', () => {
    // Act
    const timings = stepTimings(approved);

    // Assess
    expect(timings.slice(0, 2).map((timing) => [timing.phase, timing.durationMs])).toEqual([
      ['decision', 10 * SECOND],
      ['approval', 70 * SECOND],
    ]);
    expect(timings.every((timing) => timing.durationMs >= 0)).toBe(true);
    expect(timings.reduce((sum, timing) => sum + timing.durationMs, 0)).toBe(approved.rtoMs);
  });

  it('gives fcp history, the phase metrics and the drill report the same phases with the same durations', () => {
    // Prepare
    const expected = failoverPhases(approved.timestamps).map((phase) => [phase.definition.name, phase.durationMs]);

    // Act
    const history = stepTimings(approved).map((timing) => [timing.phase, timing.durationMs]);
    const metrics = phaseDurations(approved).map(({ phase, ms }) => [FAILOVER_PHASES.find((p) => p.metric === phase)?.name, ms]);
    const report = buildDrillReport({ record: approved, events: [], targets: { rtoSeconds: 300, detectionSeconds: 60, maxReplicaLagSeconds: 30 } })
      .steps.filter((step) => step.name !== 'completion' && step.name !== 'abort')
      .map((step) => [step.name, step.durationMs]);

    // Assess
    expect(expected.map(([name]) => name)).toEqual([
      'decision', 'approval', 'fencing', 'promotion request', 'promotion', 'traffic switch', 'DNS sync', 'verification',
    ]);
    expect(history).toEqual(expected);
    expect(metrics).toEqual(expected);
    expect(report).toEqual(expected);
  });

  it('gives an out-of-order timestamp a zero-length phase rather than a negative one', () => {
    // Prepare
    const timestamps = { detectedAt: T0, decidedAt: T0 + 5 * SECOND, fencedAt: T0 + 2 * SECOND, promotionStartedAt: T0 + 9 * SECOND };

    // Act
    const phases = failoverPhases(timestamps);

    // Assess
    expect(phases.map((phase) => [phase.definition.name, phase.durationMs])).toEqual([
      ['decision', 5 * SECOND],
      ['fencing', 0],
      ['promotion request', 4 * SECOND],
    ]);
  });

  it('puts the point of no return at the promotion: every step from promoting on is past it', () => {
    // Act
    const past = FAILOVER_STEPS.filter((step) => pastPointOfNoReturn(step));

    // Assess
    expect(past).toEqual(['promoting', 'awaitingPromotion', 'switchingTraffic', 'awaitingDnsSync', 'verifying']);
  });
});

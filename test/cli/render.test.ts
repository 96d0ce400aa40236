import { describe, expect, it } from 'vitest';
import type { CommandPreview } from '../../src/application/plan.js';
import { stepTimings, type FailoverHistoryEntry, type GroupStatus } from '../../src/application/status.js';
import {
  duration,
  exitCodeFor,
  renderApiError,
  renderGroupStatus,
  renderHistory,
  renderPreview,
  renderStatusSummary,
  table,
  time,
} from '../../src/cli/render.js';
import type { FailoverRecord } from '../../src/domain/types.js';

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);

const record: FailoverRecord = {
  id: 'fo-7',
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
    decidedAt: T0 + 5_000,
    fencedAt: T0 + 6_000,
    promotionStartedAt: T0 + 6_500,
    promotedAt: T0 + 186_500,
    trafficSwitchedAt: T0 + 187_000,
    dnsInSyncAt: T0 + 217_000,
    verifiedAt: T0 + 218_000,
    completedAt: T0 + 218_000,
  },
  replicaLagAtPromotionSeconds: 3,
  rtoMs: 218_000,
};

describe('render', () => {
  it('aligns columns two spaces apart without trailing blanks', () => {
    // Prepare
    const rows = [
      ['REGION', 'VERDICT', 'NOTES'],
      ['eu-west-1', 'unhealthy', ''],
    ];

    // Act
    const text = table(rows);

    // Assess
    expect(text).toBe('REGION     VERDICT    NOTES\neu-west-1  unhealthy');
  });

  it('formats durations and UTC times for an incident call', () => {
    // Prepare
    const values = [850, 12_340, 245_000];

    // Act
    const durations = values.map(duration);

    // Assess
    expect(durations).toEqual(['850 ms', '12.3 s', '4 min 05 s']);
    expect(time(T0 + 5_000)).toBe('2026-11-21 03:00:05Z');
    expect(time(undefined)).toBe('-');
  });

  it('maps API statuses to the documented exit codes', () => {
    // Prepare
    const statuses = [200, 202, 400, 404, 422, 409, 403, 500];

    // Act
    const codes = statuses.map(exitCodeFor);

    // Assess
    expect(codes).toEqual([0, 0, 2, 2, 3, 4, 1, 1]);
  });

  it('measures each phase of a failover from one recorded timestamp to the next, summing to the RTO', () => {
    // Prepare
    const expected = ['decision', 'fencing', 'promotion request', 'promotion', 'traffic switch', 'DNS sync', 'verification'];

    // Act
    const timings = stepTimings(record);

    // Assess
    expect(timings.map((timing) => timing.phase)).toEqual(expected);
    expect(timings.find((timing) => timing.phase === 'promotion')?.durationMs).toBe(180_000);
    expect(timings.reduce((sum, timing) => sum + timing.durationMs, 0)).toBe(record.rtoMs);
  });

  it('prints a history line per failover and its phase timings', () => {
    // Prepare
    const entries: FailoverHistoryEntry[] = [{ ...record, stepTimings: stepTimings(record) }];

    // Act
    const text = renderHistory(entries);

    // Assess
    expect(text.split('\n').slice(0, 2)).toEqual([
      'STARTED               GROUP   FAILOVER  ROUTE                  KIND      TRIGGER    OUTCOME    RTO         DATA-LOSS WINDOW',
      '2026-11-21 03:00:00Z  orders  fo-7      eu-west-1 → us-east-1  failover  automatic  completed  3 min 38 s  3 s',
    ]);
    expect(text).toContain('\n  promotion          3 min 00 s\n');
    expect(renderHistory([])).toBe('no failovers recorded');
  });

  it('summarises a group with a failover in progress', () => {
    // Prepare
    const status = {
      groupId: 'orders',
      state: 'failingOver.awaitingPromotion',
      primaryRegion: 'eu-west-1',
      mode: 'automatic',
      currentFailover: { id: 'fo-7', from: 'eu-west-1', to: 'us-east-1', step: 'awaitingPromotion' },
    } as unknown as Parameters<typeof renderStatusSummary>[0][number];

    // Act
    const text = renderStatusSummary([status]);

    // Assess
    expect(text.split('\n')[1]).toBe('orders  failingOver.awaitingPromotion  eu-west-1  automatic  fo-7 eu-west-1 → us-east-1 (awaitingPromotion)');
  });

  it('shows a refused preview with the data-loss window and the command that accepts it', () => {
    // Prepare
    const preview: CommandPreview = {
      type: 'failover',
      decision: 'refused',
      message: 'replica lag of us-east-1 is 120 s, over the 30 s budget',
      dataLoss: { seconds: 120, text: 'up to 120 s of writes', accept: 'fcp failover orders --to us-east-1 --allow-data-loss --reason "..."' },
    };

    // Act
    const text = renderPreview('orders', preview);

    // Assess
    expect(text).toBe(
      'failover on orders would be refused: replica lag of us-east-1 is 120 s, over the 30 s budget\n' +
        'expected data loss: up to 120 s of writes\n' +
        'to accept it: fcp failover orders --to us-east-1 --allow-data-loss --reason "..."',
    );
  });

  it('prints an API error with one line per problem', () => {
    // Prepare
    const body = { error: { code: 'bad-request', message: 'the command is malformed; nothing changed', issues: ['reason: is required'] } };

    // Act
    const text = renderApiError(400, body);

    // Assess
    expect(text).toBe('bad-request (400): the command is malformed; nothing changed\n  - reason: is required');
  });

  it('shows a stalled group\'s ways on, each with what it would do', () => {
    // Prepare
    const status: GroupStatus = {
      groupId: 'orders',
      at: 0,
      environment: 'production',
      mode: 'automatic',
      state: 'stalled',
      primaryRegion: 'eu-west-1',
      regions: [],
      stalled: { step: 'promoting', reason: 'FailoverGlobalCluster needs AllowDataLoss', at: T0 },
      awaitingAcknowledgement: false,
      lastEvents: [],
      protection: { kind: 'protected', primaryRegion: 'eu-west-1', regions: ['us-east-1'] },
      exits: [
        { type: 'retry', command: 'fcp retry orders --reason "..."', effect: 'retrying step promoting', stateAfter: 'failingOver.promoting' },
        {
          type: 'failover',
          command: 'fcp failover orders --to us-east-1 --allow-data-loss --reason "..."',
          effect: 'failover eu-west-1 → us-east-1; expected data loss: up to 2 s of writes; replaces stalled failover fo-1, which is closed as aborted',
          stateAfter: 'failingOver.fencing',
        },
      ],
    };

    // Act
    const text = renderGroupStatus(status);

    // Assess
    expect(text).toContain(
      [
        'STALLED at promoting since 2026-11-21 03:00:00Z: FailoverGlobalCluster needs AllowDataLoss',
        '',
        'ways on:',
        '  fcp retry orders --reason "..."',
        '      → failingOver.promoting: retrying step promoting',
        '  fcp failover orders --to us-east-1 --allow-data-loss --reason "..."',
        '      → failingOver.fencing: failover eu-west-1 → us-east-1; expected data loss: up to 2 s of writes; replaces stalled failover fo-1, which is closed as aborted',
      ].join('\n'),
    );
  });
});

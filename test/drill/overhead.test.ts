import { describe, expect, it } from 'vitest';
import { coveredMs, operatorWaits } from '../../src/drill/overhead.js';
import type { LoggedEvent } from '../../src/domain/types.js';

const event = (seq: number, at: number, state: string): LoggedEvent => ({ groupId: 'orders', seq, at, type: 'T', state, message: '' });

describe('coveredMs', () => {
  it('counts overlapping waits once and clips them to the window', () => {
    // Prepare: a promotion that began before the window, a DNS change overlapping it, one still open at the end
    const waits = [
      { kind: 'promotion', startedAt: -50, endedAt: 40 },
      { kind: 'dns-sync', startedAt: 30, endedAt: 60 },
      { kind: 'aws-unavailable', startedAt: 90 },
    ] as const;

    // Act
    const covered = coveredMs(0, 100, waits);

    // Assess: [0, 60) and [90, 100)
    expect(covered).toBe(70);
  });

  it('answers 0 for waits outside the window or empty', () => {
    // Act
    const covered = coveredMs(100, 200, [{ kind: 'promotion', startedAt: 10, endedAt: 100 }, { kind: 'dns-sync', startedAt: 150, endedAt: 150 }]);

    // Assess
    expect(covered).toBe(0);
  });
});

describe('operatorWaits', () => {
  it("ends the operator's wait when the command is queued, leaving the control plane's pickup to the overhead", () => {
    // Prepare: proposed at 1 000, approved (taken) at 16 000, the command queued at 15 000
    const events = [event(1, 1_000, 'awaitingApproval'), event(2, 16_000, 'failingOver.reserving'), event(3, 17_000, 'failingOver.fencing')];

    // Act
    const waits = operatorWaits(events, [500, 15_000]);

    // Assess
    expect(waits).toEqual([{ kind: 'operator', startedAt: 1_000, endedAt: 15_000 }]);
  });

  it('ends the wait when the group leaves the state when no command is known, and leaves a wait open at the end', () => {
    // Prepare
    const events = [event(1, 1_000, 'stalled'), event(2, 3_000, 'failingOver.awaitingPromotion'), event(3, 9_000, 'blocked')];

    // Act
    const waits = operatorWaits(events, []);

    // Assess
    expect(waits).toEqual([
      { kind: 'operator', startedAt: 1_000, endedAt: 3_000 },
      { kind: 'operator', startedAt: 9_000 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { cannotTakeWrites, expectedWriter, splitBrainEpisodes, suspectedWriters, writerEvidence } from '../../src/domain/splitBrain.js';
import type { DatabaseRole, FailoverRecord, RegionHealth } from '../../src/domain/types.js';

function health(roles: Record<string, DatabaseRole | undefined>): Record<string, RegionHealth> {
  return Object.fromEntries(
    Object.entries(roles).map(([region, role]) => [
      region,
      {
        region,
        verdict: 'healthy',
        since: 0,
        failingObservers: [],
        recoveredObservers: [],
        staleObservers: [],
        reasons: [],
        ...(role === undefined ? {} : { databaseRole: role }),
      },
    ]),
  );
}

const OBSERVERS = { regions: ['a', 'b', 'c'], quorum: 2 };

const failover: FailoverRecord = {
  id: 'f-1',
  groupId: 'g',
  trigger: { kind: 'automatic' },
  reason: 'a down',
  from: 'a',
  to: 'b',
  planned: false,
  allowDataLoss: false,
  outcome: 'in-progress',
  timestamps: { detectedAt: 1 },
};

describe('split-brain rule', () => {
  it('takes the failover target for the writer once its promotion started, and excuses it before', () => {
    // Act
    const before = expectedWriter({ primaryRegion: 'a', failover, failingOver: true, observers: OBSERVERS });
    const after = expectedWriter({ primaryRegion: 'a', failover: { ...failover, timestamps: { promotionStartedAt: 2 } }, failingOver: true, observers: OBSERVERS });
    const idle = expectedWriter({ primaryRegion: 'b', failover, failingOver: false, observers: OBSERVERS });

    // Assess
    expect(before).toEqual({ writer: 'a', excused: 'b', observers: OBSERVERS });
    expect(after).toEqual({ writer: 'b', unfencedOldPrimary: 'a', observers: OBSERVERS });
    expect(idle).toEqual({ writer: 'b', observers: OBSERVERS });
  });

  it('opens one episode per second writer and keeps it open while the writer stays or falls silent', () => {
    // Prepare
    const first = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view: { writer: 'b', observers: OBSERVERS }, open: {}, now: 10 });

    // Act
    const again = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view: { writer: 'b', observers: OBSERVERS }, open: first.open, now: 20 });
    const silent = splitBrainEpisodes({ health: health({ a: undefined, b: 'standalone' }), view: { writer: 'b', observers: OBSERVERS }, open: again.open, now: 30 });
    const back = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view: { writer: 'b', observers: OBSERVERS }, open: silent.open, now: 40 });

    // Assess
    expect(first).toMatchObject({ open: { a: 10 }, opened: ['a'], alarms: [{ region: 'a', since: 10, evidence: 'unverified', escalation: false }] });
    expect(again).toMatchObject({ open: { a: 10 }, opened: [], alarms: [] });
    expect(silent).toMatchObject({ open: { a: 10 }, opened: [], alarms: [] });
    expect(back.opened).toEqual([]);
    expect(back.alarms).toEqual([]);
  });

  it('closes an episode when the region reports itself a replica, and opens a new one if it becomes a writer again', () => {
    // Prepare
    const open = { a: 10 };

    // Act
    const closed = splitBrainEpisodes({ health: health({ a: 'replica', b: 'primary' }), view: { writer: 'b', observers: OBSERVERS }, open, now: 20 });
    const reopened = splitBrainEpisodes({ health: health({ a: 'standalone', b: 'primary' }), view: { writer: 'b', observers: OBSERVERS }, open: closed.open, now: 30 });

    // Assess
    expect(closed).toMatchObject({ open: {}, opened: [], alarms: [] });
    expect(reopened).toMatchObject({ open: { a: 30 }, opened: ['a'] });
    expect(reopened.alarms).toHaveLength(1);
  });

  it('does not open an episode for a region the provider confirms cannot take writes', () => {
    // Act
    const result = splitBrainEpisodes({
      health: health({ a: 'primary', b: 'primary' }),
      view: { writer: 'b', observers: OBSERVERS },
      open: {},
      now: 10,
      evidence: new Map([['a', 'not-serving']]),
    });

    // Assess
    expect(result).toEqual({ open: {}, confirmed: [], paused: [], opened: [], escalated: [], resumed: [], alarms: [] });
  });

  it('keeps a confirmed second writer confirmed through a pass that did not ask the provider, so it is not told twice', () => {
    // Prepare: a confirmed second writer.
    const view = { writer: 'b', observers: OBSERVERS };
    const serving = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view, open: {}, now: 10, evidence: new Map([['a', 'serving']]) });

    // Act: a pass where it is no suspect (its reports fell silent, so nobody asked), then one that confirms it again.
    const silent = splitBrainEpisodes({ health: health({ a: undefined, b: 'standalone' }), view, open: serving.open, confirmed: serving.confirmed, now: 20 });
    const again = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view, open: silent.open, confirmed: silent.confirmed, now: 30, evidence: new Map([['a', 'serving']]) });

    // Assess
    expect(silent).toEqual({ open: { a: 10 }, confirmed: ['a'], paused: [], opened: [], escalated: [], resumed: [], alarms: [] });
    expect(again.alarms).toEqual([]);
  });

  it('takes a confirmed second writer back when an observer sees it fail, so its serving again is told', () => {
    // Prepare: a confirmed second writer.
    const view = { writer: 'b', observers: OBSERVERS };
    const serving = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view, open: {}, now: 10, evidence: new Map([['a', 'serving']]) });
    const seenDown = health({ a: undefined, b: 'standalone' });
    seenDown.a = { ...seenDown.a!, failingObservers: ['c'] };

    // Act: one observer (below a quorum) sees it fail and nobody reads its role, so it is no suspect and nobody asks
    // the provider; then it serves again.
    const down = splitBrainEpisodes({ health: seenDown, view, open: serving.open, confirmed: serving.confirmed, now: 20 });
    const back = splitBrainEpisodes({ health: health({ a: 'primary', b: 'standalone' }), view, open: down.open, confirmed: down.confirmed, now: 30, evidence: new Map([['a', 'serving']]) });

    // Assess
    expect(down.confirmed).toEqual([]);
    expect(back.alarms).toEqual([{ region: 'a', since: 10, evidence: 'serving', escalation: true, resumed: false }]);
  });

  it('tells an episode opened without an answer again, once, when the provider confirms the second writer serving', () => {
    // Prepare: the provider cannot answer (throttled) when the episode opens.
    const regions = health({ a: 'primary', b: 'standalone' });
    const view = { writer: 'b', observers: OBSERVERS };
    const doubt = splitBrainEpisodes({ health: regions, view, open: {}, now: 10, evidence: new Map([['a', 'unverified']]) });

    // Act
    const confirmed = splitBrainEpisodes({ health: regions, view, open: doubt.open, confirmed: doubt.confirmed, now: 20, evidence: new Map([['a', 'serving']]) });
    const still = splitBrainEpisodes({ health: regions, view, open: confirmed.open, confirmed: confirmed.confirmed, now: 30, evidence: new Map([['a', 'serving']]) });

    // Assess
    expect(doubt.alarms).toEqual([{ region: 'a', since: 10, evidence: 'unverified', escalation: false, resumed: false }]);
    expect(confirmed).toEqual({
      open: { a: 10 },
      confirmed: ['a'],
      paused: [],
      opened: [],
      escalated: ['a'],
      resumed: [],
      alarms: [{ region: 'a', since: 10, evidence: 'serving', escalation: true, resumed: false }],
    });
    expect(still.alarms).toEqual([]);
  });

  it('keeps an episode open while the provider answers that the region is rebooting, and tells its return as a writer again', () => {
    // Prepare: a confirmed second writer.
    const regions = health({ a: 'primary', b: 'standalone' });
    const view = { writer: 'b', observers: OBSERVERS };
    const serving = splitBrainEpisodes({ health: regions, view, open: {}, now: 10, evidence: new Map([['a', 'serving']]) });

    // Act: the provider says it cannot take writes (rebooting), then that it serves again.
    const rebooting = splitBrainEpisodes({ health: regions, view, open: serving.open, confirmed: serving.confirmed, now: 20, evidence: new Map([['a', 'not-serving']]) });
    const back = splitBrainEpisodes({ health: regions, view, open: rebooting.open, confirmed: rebooting.confirmed, now: 30, evidence: new Map([['a', 'serving']]) });

    // Assess
    expect(serving.alarms).toEqual([{ region: 'a', since: 10, evidence: 'serving', escalation: false, resumed: false }]);
    expect(rebooting).toEqual({ open: { a: 10 }, confirmed: [], paused: ['a'], opened: [], escalated: [], resumed: [], alarms: [] });
    expect(back.alarms).toEqual([{ region: 'a', since: 10, evidence: 'serving', escalation: true, resumed: false }]);
  });

  it('reads the provider answer as serving only for a writable writer, a writer in a transitional status as unclear, and no answer as unverified', () => {
    // Assess
    expect(writerEvidence({ role: 'primary', status: 'available', writable: true })).toBe('serving');
    expect(writerEvidence({ role: 'standalone', status: 'available', writable: true })).toBe('serving');
    expect(writerEvidence({ role: 'primary', status: 'rebooting', writable: false })).toBe('not-serving');
    expect(writerEvidence({ role: 'unknown', status: 'unreachable', writable: false })).toBe('unverified');
    expect(writerEvidence({ role: 'primary', status: 'unreachable', writable: false })).toBe('unverified');
    expect(writerEvidence({ role: 'primary', status: 'modifying', writable: false })).toBe('unclear');
    expect(writerEvidence({ role: 'standalone', status: 'upgrading', writable: false })).toBe('unclear');
    expect(writerEvidence(undefined)).toBe('unverified');
  });

  it('tells once that a second writer the provider showed stopped is no longer stopped, though it cannot confirm it writes (seed 1873788579)', () => {
    // Prepare: a confirmed second writer, then stopped (not serving).
    const regions = health({ a: 'primary', b: 'standalone' });
    const view = { writer: 'b', observers: OBSERVERS };
    const serving = splitBrainEpisodes({ health: regions, view, open: {}, now: 10, evidence: new Map([['a', 'serving']]) });
    const stopped = splitBrainEpisodes({ health: regions, view, open: serving.open, confirmed: serving.confirmed, paused: serving.paused, now: 20, evidence: new Map([['a', 'not-serving']]) });

    // Act: no answer (throttled), then a transitional status (upgrading) twice, then writable.
    const silent = splitBrainEpisodes({ health: regions, view, open: stopped.open, confirmed: stopped.confirmed, paused: stopped.paused, now: 30, evidence: new Map([['a', 'unverified']]) });
    const upgrading = splitBrainEpisodes({ health: regions, view, open: silent.open, confirmed: silent.confirmed, paused: silent.paused, now: 40, evidence: new Map([['a', 'unclear']]) });
    const still = splitBrainEpisodes({ health: regions, view, open: upgrading.open, confirmed: upgrading.confirmed, paused: upgrading.paused, now: 50, evidence: new Map([['a', 'unclear']]) });
    const writing = splitBrainEpisodes({ health: regions, view, open: still.open, confirmed: still.confirmed, paused: still.paused, now: 60, evidence: new Map([['a', 'serving']]) });

    // Assess: silence keeps it paused and tells nothing; the change the provider shows is told once, as may-be-writing;
    // the confirmation after it is told as confirmed.
    expect(stopped.paused).toEqual(['a']);
    expect(silent).toMatchObject({ paused: ['a'], alarms: [] });
    expect(upgrading).toMatchObject({ open: { a: 10 }, paused: [], resumed: ['a'] });
    expect(upgrading.alarms).toEqual([{ region: 'a', since: 10, evidence: 'unverified', escalation: false, resumed: true }]);
    expect(still.alarms).toEqual([]);
    expect(writing.alarms).toEqual([{ region: 'a', since: 10, evidence: 'serving', escalation: true, resumed: false }]);
  });

  it('tells nothing more for a transitional status of a second writer that was never shown stopped', () => {
    // Prepare: an episode opened without an answer.
    const regions = health({ a: 'primary', b: 'standalone' });
    const view = { writer: 'b', observers: OBSERVERS };
    const doubt = splitBrainEpisodes({ health: regions, view, open: {}, now: 10, evidence: new Map([['a', 'unverified']]) });

    // Act
    const upgrading = splitBrainEpisodes({ health: regions, view, open: doubt.open, confirmed: doubt.confirmed, paused: doubt.paused, now: 20, evidence: new Map([['a', 'unclear']]) });

    // Assess
    expect(doubt.alarms).toHaveLength(1);
    expect(upgrading).toMatchObject({ open: { a: 10 }, paused: [], resumed: [], alarms: [] });
  });

  it('suspects an unfenced old primary whose role cannot be read once a quorum of fresh observers sees it pass, even with one observer stale', () => {
    // Prepare
    const view = { writer: 'b', unfencedOldPrimary: 'a', observers: OBSERVERS };
    const serving = { ...health({ a: 'unknown', b: 'standalone' }) };
    const oneStale = { ...serving, a: { ...serving.a!, staleObservers: ['c'] } };
    const twoStale = { ...serving, a: { ...serving.a!, staleObservers: ['b', 'c'] } };
    const oneFailing = { ...serving, a: { ...serving.a!, staleObservers: ['c'], failingObservers: ['b'] } };

    // Act
    const suspects = [serving, oneStale, twoStale, oneFailing].map((regions) => suspectedWriters(regions, view));

    // Assess
    expect(suspects).toEqual([['a'], ['a'], [], []]);
  });

  it('ends an episode while a quorum of observers sees the region fail, though its last read role is primary, so its return is told again', () => {
    // Prepare
    const serving = health({ a: 'primary', b: 'standalone' });
    const down = { ...serving, a: { ...serving.a!, verdict: 'unhealthy' as const, failingObservers: ['b', 'c'] } };
    const opened = splitBrainEpisodes({ health: serving, view: { writer: 'b', observers: OBSERVERS }, open: {}, now: 10 });

    // Act
    const whileDown = splitBrainEpisodes({ health: down, view: { writer: 'b', observers: OBSERVERS }, open: opened.open, now: 20 });
    const back = splitBrainEpisodes({ health: serving, view: { writer: 'b', observers: OBSERVERS }, open: whileDown.open, now: 30 });

    // Assess
    expect(whileDown).toMatchObject({ open: {}, opened: [], alarms: [] });
    expect(back).toMatchObject({ open: { a: 30 }, opened: ['a'] });
    expect(back.alarms).toHaveLength(1);
  });

  it('counts a failed, stopped or fenced database as unable to take writes, and a silent one as a suspect', () => {
    // Assess
    expect(cannotTakeWrites({ role: 'primary', status: 'failed' })).toBe(true);
    expect(cannotTakeWrites({ role: 'primary', status: 'stopped' })).toBe(true);
    expect(cannotTakeWrites({ role: 'primary', status: 'available', fenced: true })).toBe(true);
    expect(cannotTakeWrites({ role: 'replica', status: 'available' })).toBe(true);
    expect(cannotTakeWrites({ role: 'primary', status: 'available' })).toBe(false);
    expect(cannotTakeWrites({ role: 'primary', status: 'storage-optimization' })).toBe(false);
    expect(cannotTakeWrites({ role: 'unknown', status: 'unreachable' })).toBe(false);
  });
});

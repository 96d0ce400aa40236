import { describe, expect, it } from 'vitest';
import { ReplicaStream, WriteHistory } from '../../../src/adapters/sim/Replication.js';

describe('WriteHistory', () => {
  it('counts writes at the current rate and holds the count while the rate is zero', () => {
    // Prepare
    const history = new WriteHistory(0, 10);

    // Act
    history.setRate(5_000, 0);
    history.setRate(8_000, 20);

    // Assess
    expect([history.seqAt(2_000), history.seqAt(5_000), history.seqAt(7_000), history.seqAt(9_000)]).toEqual([20, 50, 50, 70]);
    expect([history.timeOfSeq(20), history.timeOfSeq(50), history.timeOfSeq(70)]).toEqual([2_000, 5_000, 9_000]);
  });

  it('has no time for a count it has not reached and will not reach while stopped', () => {
    // Prepare
    const history = new WriteHistory(0, 10);
    history.setRate(1_000, 0);

    // Act
    const time = history.timeOfSeq(11);

    // Assess
    expect(time).toBeUndefined();
  });
});

describe('ReplicaStream', () => {
  it('trails a steady primary by exactly its delay', () => {
    // Prepare
    const history = new WriteHistory(0, 10);
    const stream = new ReplicaStream(history, 0, { delayMs: 3_000, applyWritesPerSecond: Number.POSITIVE_INFINITY });

    // Act
    const lag = stream.lagMs(60_000);

    // Assess
    expect(lag).toBe(3_000);
    expect(stream.applied).toBe(570);
  });

  it('catches up at its apply rate once the primary stops writing, then reports no lag', () => {
    // Prepare
    const history = new WriteHistory(0, 10);
    const stream = new ReplicaStream(history, 0, { delayMs: 0, applyWritesPerSecond: 5 });
    stream.advance(20_000);
    history.setRate(20_000, 0);

    // Act
    const behind = stream.lagMs(20_000);
    const stillBehind = stream.lagMs(30_000);
    const caughtUp = stream.lagMs(40_000);

    // Assess
    // 200 written, 100 applied at t = 20 s: write 100 was accepted at t = 10 s.
    expect(behind).toBe(10_000);
    expect(stillBehind).toBe(15_000);
    expect(caughtUp).toBe(0);
    expect(stream.applied).toBe(200);
  });

  it('freezes the applied position and the lag while the link is down, and resumes after', () => {
    // Prepare
    const history = new WriteHistory(0, 10);
    const stream = new ReplicaStream(history, 0, { delayMs: 1_000, applyWritesPerSecond: Number.POSITIVE_INFINITY });

    // Act
    stream.setLink(false, 10_000);
    const frozen = [stream.lagMs(50_000), stream.applied];
    stream.setLink(true, 50_000);
    const resumed = [stream.lagMs(60_000), stream.applied];

    // Assess
    expect(frozen).toEqual([1_000, 90]);
    expect(resumed).toEqual([1_000, 590]);
  });
});

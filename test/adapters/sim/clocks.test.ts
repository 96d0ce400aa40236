import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';

describe('ManualClock', () => {
  it('wakes sleepers in the order of their wake-up times, each at its own time', async () => {
    // Prepare
    const clock = new ManualClock(1_000);
    const woke: [string, number][] = [];
    void clock.sleep(300).then(() => woke.push(['late', clock.now()]));
    void clock.sleep(100).then(() => woke.push(['early', clock.now()]));

    // Act
    await clock.advance(500);

    // Assess
    expect(woke).toEqual([
      ['early', 1_100],
      ['late', 1_300],
    ]);
    expect(clock.now()).toBe(1_500);
  });

  it('lets a loop that sleeps again see every step of one advance', async () => {
    // Prepare
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let round = 0; round < 3; round += 1) {
        await clock.sleep(10);
        ticks.push(clock.now());
      }
    })();

    // Act
    await clock.advance(100);
    await loop;

    // Assess
    expect(ticks).toEqual([10, 20, 30]);
    expect(clock.pending).toBe(0);
  });

  it('keeps a sleeper that is not due yet waiting', async () => {
    // Prepare
    const clock = new ManualClock(0);
    let woken = false;
    void clock.sleep(1_000).then(() => (woken = true));

    // Act
    await clock.advance(999);

    // Assess
    expect(woken).toBe(false);
    expect(clock.pending).toBe(1);
  });
});

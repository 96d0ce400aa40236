import { describe, expect, it } from 'vitest';
import { DrillClock } from '../../src/drill/DrillClock.js';

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('DrillClock', () => {
  it('stands still while a held call is in flight', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 1_000, start: 0 });

    // Act
    const times = await clock.hold(async () => {
      const before = clock.now();
      await realDelay(30);
      return { before, after: clock.now() };
    });

    // Assess
    expect(times.after).toBe(times.before);
  });

  it('keeps standing still until the last of several concurrent holds settles, then moves on', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 1_000, start: 0 });
    const port = { read: () => realDelay(20).then(() => clock.now()) };
    const held = clock.holding(port);

    // Act
    const reads = Promise.all([held.read(), clock.hold(() => realDelay(40).then(() => clock.now()))]);
    const frozenAt = clock.now();
    const [first, second] = await reads;
    await realDelay(10);
    const later = clock.now();

    // Assess
    expect(first).toBe(frozenAt);
    expect(second).toBe(frozenAt);
    expect(later).toBeGreaterThan(frozenAt);
  });

  it('wakes a sleeper no earlier than its simulated time, even when a hold stopped the clock meanwhile', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 100, start: 0 });
    const start = clock.now();

    // Act
    const sleeping = clock.sleep(2_000).then(() => clock.now());
    await clock.hold(() => realDelay(30));
    const wokeAt = await sleeping;

    // Assess
    expect(wokeAt - start).toBeGreaterThanOrEqual(2_000);
  });

  it('moves simulated time factor times faster than real time when nothing holds it', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 100, start: 0 });
    const realStart = performance.now();

    // Act
    await clock.sleep(2_000);

    // Assess
    const realElapsed = performance.now() - realStart;
    expect(clock.now()).toBeGreaterThanOrEqual(2_000);
    expect(clock.now()).toBeGreaterThanOrEqual(Math.floor(realElapsed * 100) - 100);
    expect(realElapsed).toBeLessThan(2_000);
  });

  it('refuses a factor below 1', () => {
    // Act
    const build = () => new DrillClock({ factor: 0.5 });

    // Assess
    expect(build).toThrow(/factor must be at least 1/);
  });
});

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

  it('moves simulated time factor times faster than real time when nothing holds it, no CPU is waited for, no stall is watched and the loop never sleeps', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 100, start: 0, cpuWait: () => 0, idle: () => 0, watch: false });
    const realStart = performance.now();

    // Act
    await clock.sleep(2_000);

    // Assess
    const realElapsed = performance.now() - realStart;
    expect(clock.now()).toBeGreaterThanOrEqual(2_000);
    expect(clock.now()).toBeGreaterThanOrEqual(Math.floor(realElapsed * 100) - 100);
    expect(realElapsed).toBeLessThan(2_000);
  });

  it('stands still for the time the thread waited for a CPU outside holds, and only once for a wait inside a hold', async () => {
    // Prepare
    let waitedMs = 0;
    const clock = new DrillClock({ factor: 1, start: 0, cpuWait: () => waitedMs, watch: false });
    const realStart = performance.now();
    await realDelay(40);

    // Act
    waitedMs = 30;
    const afterWait = clock.now();
    const beforeHold = performance.now();
    let holdStart = 0;
    let holdEnd = 0;
    await clock.hold(async () => {
      holdStart = performance.now();
      await realDelay(20);
      waitedMs = 45;
      holdEnd = performance.now();
    });
    const afterHold = clock.now();
    const afterHoldReal = performance.now();

    // Assess
    expect(afterWait).toBeLessThanOrEqual(beforeHold - realStart - 30 + 2);
    // The hold froze its own time (with the 15 ms of CPU wait inside it) once: the clock moved by what ran outside it.
    const outside = afterHoldReal - beforeHold - (holdEnd - holdStart);
    expect(afterHold - afterWait).toBeGreaterThanOrEqual(-1);
    expect(afterHold - afterWait).toBeLessThanOrEqual(Math.ceil(outside) + 1);
    expect(afterHold - afterWait).toBeGreaterThan(Math.floor(outside) - 15);
  });

  it('stands still through a stop of the event loop and names a stop longer than it may be', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 1_000, start: 0, cpuWait: () => 0, maxStallMs: 40 });
    await realDelay(15);
    const before = clock.now();

    // Act
    const until = performance.now() + 200;
    while (performance.now() < until) {
      // a synchronous burst: 200 ms of real time would be 200 s of simulated time at ×1000
    }
    const after = clock.now();
    await realDelay(15);
    const starvation = clock.starvation();
    clock.stop();

    // Assess
    expect(after - before).toBeLessThanOrEqual(40_000);
    expect(starvation.longestStallMs).toBeGreaterThanOrEqual(150);
    expect(starvation.stalledMs).toBeGreaterThanOrEqual(150);
    expect(starvation.stalls.map((stall) => stall.realMs).some((realMs) => realMs >= 150)).toBe(true);
  });

  it('wakes a sleeper within a few simulated milliseconds of its time, not a timer tick late (a real millisecond is 100 simulated ones at ×100)', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 100, start: 0 });
    const lateness: number[] = [];

    // Act
    for (let sleep = 0; sleep < 21; sleep += 1) {
      const before = clock.now();
      await clock.sleep(250);
      lateness.push(clock.now() - before - 250);
    }
    clock.stop();

    // Assess
    const median = [...lateness].sort((a, b) => a - b)[10]!;
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(median).toBeLessThanOrEqual(30);
  });

  it('does not count its own reading of the CPU-wait counter as time the drill ran', () => {
    // Prepare: a counter that takes a real millisecond to read, a second of simulated time at ×1000
    const slowCounter = () => {
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // reading /proc under load
      }
      return 0;
    };
    const clock = new DrillClock({ factor: 1_000, start: 0, cpuWait: slowCounter, watch: false });
    const before = clock.now();

    // Act
    for (let look = 0; look < 50; look += 1) clock.now();
    const after = clock.now();

    // Assess: 50 reads would be 50 simulated seconds; what ran between them is well under 5 real milliseconds
    expect(after - before).toBeLessThan(5_000);
  });

  it('does not move past a pending sleeper\'s time while the event loop sleeps, so a late timer wakes it on its time', async () => {
    // Prepare: every real millisecond between samples is the loop's sleep (the timers' lateness included)
    const clock = new DrillClock({ factor: 100, start: 0, cpuWait: () => 0, idle: () => performance.now(), watch: false });
    const lateness: number[] = [];

    // Act
    for (let sleep = 0; sleep < 20; sleep += 1) {
      const before = clock.now();
      await clock.sleep(250);
      lateness.push(clock.now() - before - 250);
    }

    // Assess: on its simulated millisecond, give or take the real microseconds between the two reads of the time
    // (a timer fires up to a real millisecond late: 100 simulated ones)
    const median = [...lateness].sort((a, b) => a - b)[10]!;
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(median).toBeLessThanOrEqual(2);
  });

  it('does not move past a pending sleeper\'s time while the machine keeps the sleeping drill from waking, which the run queue does not show', async () => {
    // Prepare: a sleeper due in one real millisecond at ×100. The event loop reports as its sleep every real
    // millisecond from the pause on, until the sleeper runs (so a busy CI machine's own delays before the timer callback
    // are the loop's sleep too, as they would be, and not counted as the drill's code).
    const pause: { startedAt?: number } = {};
    const clock = new DrillClock({ factor: 100, start: 0, cpuWait: () => 0, idle: () => (pause.startedAt === undefined ? 0 : performance.now() - pause.startedAt), watch: false });
    const sleeping = clock.sleep(100).then(() => clock.now());

    // Act: 5 real milliseconds pass that the event loop reports as its sleep (a hypervisor running another guest, a
    // timer interrupt delivered late), before the sleeper can run
    const pauseStart = performance.now();
    pause.startedAt = pauseStart;
    while (performance.now() - pauseStart < 5) {
      // the machine elsewhere
    }
    const wokeAt = await sleeping;

    // Assess: 500 simulated milliseconds would have passed; the sleeper wakes on its time
    expect(wokeAt).toBeGreaterThanOrEqual(100);
    expect(wokeAt).toBeLessThan(200);
  });

  it('moves past a pending sleeper\'s time by the code the drill runs meanwhile: its CPU is the control plane\'s time', async () => {
    // Prepare: a sleeper due in one real millisecond; nothing counts as a CPU wait or as the loop's sleep
    const clock = new DrillClock({ factor: 100, start: 0, cpuWait: () => 0, idle: () => 0, watch: false });
    const sleeping = clock.sleep(100).then(() => clock.now());

    // Act: 5 real milliseconds of synchronous work before the sleeper can run
    const busyStart = performance.now();
    while (performance.now() - busyStart < 5) {
      // the executor computing
    }
    const wokeAt = await sleeping;

    // Assess
    expect(wokeAt).toBeGreaterThanOrEqual(500);
  });

  it('counts the loop\'s sleep as simulated time while no sleeper is pending', async () => {
    // Prepare
    const clock = new DrillClock({ factor: 100, start: 0, cpuWait: () => 0, idle: () => performance.now(), watch: false });
    const before = clock.now();
    const realStart = performance.now();

    // Act
    await realDelay(10);

    // Assess
    const realElapsed = performance.now() - realStart;
    expect(clock.now() - before).toBeGreaterThanOrEqual(Math.floor(realElapsed * 100) - 100);
  });

  it('refuses a factor below 1', () => {
    // Act
    const build = () => new DrillClock({ factor: 0.5 });

    // Assess
    expect(build).toThrow(/factor must be at least 1/);
  });
});

import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../simulation/invariants.js';
import { runSchedule } from '../../simulation/runner.js';
import { generateSchedule, type Schedule, type ScheduledFault } from '../../simulation/schedule.js';
import { shrink } from '../../simulation/shrink.js';

// A quiet world: the shape of seed 7 with every fault removed.
const quiet: Schedule = { ...generateSchedule(7), faults: [] };

describe('the simulator', () => {
  it('finds nothing wrong in a world where nothing goes wrong', async () => {
    // Act
    const result = await runSchedule(quiet);

    // Assess
    expect(result.violations).toEqual([]);
    expect(result.stats.steps).toBeGreaterThan(50);
  });

  for (const invariant of INVARIANTS) {
    it(`catches a planted violation of ${invariant}`, async () => {
      // Act
      const result = await runSchedule(quiet, { plant: invariant, trace: true });

      // Assess
      const caught = result.violations.map((violation) => violation.invariant);
      expect(caught, result.trace.slice(-30).join('\n')).toContain(invariant);
    });
  }

  it('keeps the split-brain clock of a rogue writer seen writing before its RDS API stopped answering', async () => {
    // Prepare: the planted rogue promotion (alarms dropped) writes from T+02:00; from T+02:30 to the heal (T+07:00)
    // the RDS API of every region but the primary's answers 5xx, so nobody can read the rogue's role any more.
    const primary = quiet.shape.groups[0]!.primary;
    const faults: ScheduledFault[] = quiet.shape.regions
      .filter((region) => region !== primary)
      .map((region) => ({ at: 150_000, kind: 'rds-api', region, error: 'server-error', durationMs: quiet.healAt }));
    const schedule: Schedule = { ...quiet, faults };

    // Act
    const result = await runSchedule(schedule, { plant: 'split-brain-alarm', trace: true });

    // Assess: caught within the grace of the second writer, not only once the API answers again at the heal.
    const caught = result.violations.find((violation) => violation.invariant === 'split-brain-alarm');
    expect(caught, result.trace.slice(-30).join('\n')).toBeDefined();
    expect(caught!.at).toBeLessThan(Date.parse('2026-01-01T00:00:00Z') + quiet.healAt);
  });

  it('plays one seed into one trace, every time', async () => {
    // Prepare
    const schedule = generateSchedule(4); // a seed whose schedule makes the group fail over and back: a trace worth comparing

    // Act
    const first = await runSchedule(schedule, { trace: true });
    const second = await runSchedule(schedule, { trace: true });

    // Assess
    expect(first.trace.length).toBeGreaterThan(10);
    expect(second.trace).toEqual(first.trace);
    expect(second.violations).toEqual(first.violations);
  });

  it('makes the same schedule from the same seed, and another from another seed', () => {
    // Act
    const [a, b, c] = [generateSchedule(11), generateSchedule(11), generateSchedule(12)];

    // Assess
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a.faults.length).toBeGreaterThanOrEqual(1);
  });

  it('shrinks a failing schedule to the faults that matter and keeps it failing', async () => {
    // Prepare: a blocked group, plus noise the failure does not need
    const faults: ScheduledFault[] = [
      { at: 20_000, kind: 'operator', group: 'g1', command: 'pause' },
      { at: 40_000, kind: 'observer-stale', observer: quiet.shape.observers[0]!, durationMs: 15_000 },
    ];
    const schedule: Schedule = { ...quiet, faults };
    const planted = await runSchedule(schedule, { plant: 'dns-follows-primary' });
    expect(planted.violations.map((violation) => violation.invariant)).toContain('dns-follows-primary');

    // Act
    const { schedule: small } = await shrink(schedule, 'dns-follows-primary', { run: { plant: 'dns-follows-primary' } });

    // Assess
    expect(small.faults).toEqual([]);
  });
});

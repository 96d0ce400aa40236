import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSchedule } from '../../simulation/report.js';
import { runSchedule } from '../../simulation/runner.js';

// Every violation class the simulator found, as its shrunk schedule (simulation/found/<invariant>-<what>.json, see
// docs/simulation.md "Found on the way"). On main before #8's fixes each of them breaks its invariant; after, none may.
const directory = new URL('../../simulation/found/', import.meta.url);
const files = readdirSync(directory).filter((file) => file.endsWith('.json')).sort();

describe('violations the simulator found', () => {
  it('keeps one shrunk schedule per class', () => {
    // Assess
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const file of files) {
    const invariant = file.replace(/-(seed-\d+|api-5xx)\.json$/, '');
    it(`replays ${file} without breaking ${invariant}`, async () => {
      // Prepare
      const schedule = readSchedule(new URL(file, directory).pathname);

      // Act
      const result = await runSchedule(schedule, { trace: true });

      // Assess
      expect(result.violations, result.trace.slice(-40).join('\n')).toEqual([]);
    });
  }
});

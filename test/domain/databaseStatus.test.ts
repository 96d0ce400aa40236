import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databaseEvidence, evidenceOf, OBSERVATION_STATUSES, RDS_INSTANCE_STATUSES, statusMeaning } from '../../src/domain/databaseStatus.js';

/** The rows `| \`status\` | meaning | description |` of docs/adapters.md's status section. */
function documentedRows(): string[][] {
  const text = readFileSync(new URL('../../docs/adapters.md', import.meta.url), 'utf8');
  const start = text.indexOf('## What an RDS status means');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  return [...section.matchAll(/^\| `([^`]+)` \| (\w+) \| (.+) \|$/gm)].map((match) => [match[1]!, match[2]!, match[3]!]);
}

describe('the RDS status table', () => {
  it('is the same in docs/adapters.md as in the code, row for row', () => {
    // Prepare
    const inCode = [...Object.entries(RDS_INSTANCE_STATUSES), ...Object.entries(OBSERVATION_STATUSES)].map(([status, entry]) => [
      status,
      entry.meaning,
      entry.description,
    ]);

    // Act
    const documented = documentedRows();

    // Assess
    expect(documented).toEqual(inCode);
  });

  it('reads a status no table lists as unknown, and the open incompatible- family as terminal', () => {
    // Act
    const meanings = ['storage-initialization', 'incompatible-create', 'constructor', 'not-found'].map(statusMeaning);

    // Assess
    expect(meanings).toEqual(['unknown', 'terminal', 'unknown', 'terminal']);
  });
});

describe('databaseEvidence', () => {
  it('takes a serving primary in storage-optimization as ok although RDS reports it not writable', () => {
    // Act
    const evidence = databaseEvidence({ role: 'primary', status: 'storage-optimization', writable: false });

    // Assess
    expect(evidence).toEqual({ evidence: 'ok' });
  });

  it('never fails a database on a control-plane answer that is not terminal', () => {
    // Prepare
    const answers = [
      { role: 'unknown', status: 'unreachable', writable: false },
      { role: 'unknown', status: 'api-error', writable: false },
      { role: 'primary', status: 'rebooting', writable: false },
      { role: 'primary', status: 'available', writable: false, fenced: true },
      { role: 'replica', status: 'available', writable: true },
    ] as const;

    // Act
    const evidence = answers.map((answer) => databaseEvidence(answer).evidence);

    // Assess
    expect(evidence).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  });

  it('fails a database whose own server did not answer a connection: data-plane evidence, not a control-plane blip', () => {
    // Act
    const evidence = databaseEvidence({ role: 'unknown', status: 'connection-failed', writable: false });

    // Assess
    expect(evidence).toEqual({ evidence: 'failed', problem: 'status connection-failed (data plane: the database did not answer)' });
    expect(evidenceOf({ ok: false, status: 'connection-failed' })).toBe('failed');
  });

  it('fails a database in a terminal status, naming it', () => {
    // Act
    const evidence = databaseEvidence({ role: 'primary', status: 'incompatible-parameters', writable: false });

    // Assess
    expect(evidence).toEqual({ evidence: 'failed', problem: 'status incompatible-parameters (terminal)' });
  });
});

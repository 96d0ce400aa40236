import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ValidationError } from '../../src/domain/errors.js';
import { MAX_SHARDS, shardOf, shardsOf } from '../../src/domain/shards.js';

type Draft = { groups: Record<string, unknown>[] };

/** config/example.yaml as plain data, its one group copied `count` times under new ids and records. */
function exampleWithGroups(count: number, shardOfIndex: (index: number) => string | undefined): Draft {
  const draft = parse(readFileSync(new URL('../../config/example.yaml', import.meta.url), 'utf8')) as Draft;
  const template = draft.groups[0]!;
  draft.groups = Array.from({ length: count }, (_, index) => {
    const group = structuredClone(template) as Record<string, unknown> & { dns: { recordName: string } };
    group.id = `g${index}`;
    group.dns.recordName = `g${index}.example.com`;
    const shard = shardOfIndex(index);
    if (shard !== undefined) group.shard = shard;
    return group;
  });
  return draft;
}

function issuesOf(draft: Draft): readonly string[] {
  try {
    parseConfig(stringify(draft), 'yaml');
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('the shard key of a group', () => {
  it('puts a group that names no shard in the default shard, and keeps a named one', () => {
    // Prepare
    const draft = exampleWithGroups(3, (index) => (index === 1 ? 'east' : undefined));

    // Act
    const config = parseConfig(stringify(draft), 'yaml');

    // Assess
    expect(config.groups.map(shardOf)).toEqual(['default', 'east', 'default']);
    expect(shardsOf(config.groups)).toEqual(['default', 'east']);
  });

  it('rejects a shard name that is not short lowercase letters, digits and dashes, naming the field', () => {
    // Prepare
    const draft = exampleWithGroups(2, (index) => (index === 1 ? 'East Coast' : undefined));

    // Act
    const issues = issuesOf(draft);

    // Assess
    expect(issues).toEqual([expect.stringMatching(/^groups\[1\]\.shard: must be 1 to 32 lowercase letters, digits and dashes/)]);
  });

  it(`rejects more than ${MAX_SHARDS} shards, each an orchestrate invocation a minute`, () => {
    // Prepare
    const draft = exampleWithGroups(MAX_SHARDS + 1, (index) => `s${index}`);

    // Act
    const issues = issuesOf(draft);

    // Assess
    expect(issues).toEqual([`groups: name ${MAX_SHARDS + 1} shards; at most ${MAX_SHARDS} (each is an orchestrate invocation every minute)`]);
  });
});

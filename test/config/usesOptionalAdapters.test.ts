import { describe, expect, it } from 'vitest';
import { usesArcRoutingControlAdapter, usesAuroraGlobalAdapter } from '../../src/config/groups.js';
import { loadConfig } from '../../src/config/load.js';

const example = await loadConfig(new URL('../../config/example.yaml', import.meta.url).pathname);
const twoGroups = await loadConfig(new URL('../deploy/fixtures/two-groups.yaml', import.meta.url).pathname);

describe('usesAuroraGlobalAdapter', () => {
  it('is false when every database is an RDS instance', () => {
    // Assess
    expect(usesAuroraGlobalAdapter(example)).toBe(false);
  });

  it('is true as soon as one group is an Aurora global database', () => {
    // Assess
    expect(usesAuroraGlobalAdapter(twoGroups)).toBe(true);
  });
});

describe('usesArcRoutingControlAdapter', () => {
  it('is false when every group switches a Route 53 record', () => {
    // Assess
    expect(usesArcRoutingControlAdapter(example)).toBe(false);
  });

  it('is true as soon as one group switches traffic with ARC routing controls', () => {
    // Prepare
    const [first, ...rest] = example.groups;
    const config = { groups: [...rest, { ...first!, dns: { ...first!.dns, switch: 'arc-routing-control' as const } }] };

    // Assess
    expect(usesArcRoutingControlAdapter(config)).toBe(true);
  });
});

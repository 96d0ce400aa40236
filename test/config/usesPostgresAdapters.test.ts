import { describe, expect, it } from 'vitest';
import { usesPostgresAdapters } from '../../src/config/groups.js';
import { loadConfig } from '../../src/config/load.js';
import type { ControlPlaneConfig, GroupConfig } from '../../src/config/schema.js';

const example = await loadConfig(new URL('../../config/example.yaml', import.meta.url).pathname);

function withGroup(change: (group: GroupConfig) => GroupConfig): ControlPlaneConfig {
  return { ...example, groups: example.groups.map((group, index) => (index === example.groups.length - 1 ? change(group) : group)) };
}

describe('usesPostgresAdapters', () => {
  it('is false for RDS and Aurora groups behind Route 53 records', () => {
    // Assess
    expect(usesPostgresAdapters(example)).toBe(false);
  });

  it('is true as soon as one region of one group is a postgres server', () => {
    // Prepare
    const config = withGroup((group) => {
      const [name, region] = Object.entries(group.regions)[0]!;
      const database = { kind: 'postgres' as const, url: 'postgres://fcp@10.0.1.5:5432/app', connectTimeoutMs: 1_500, promoteWaitSeconds: 30 };
      return { ...group, regions: { ...group.regions, [name]: { ...region, database } } };
    });

    // Assess
    expect(usesPostgresAdapters(config)).toBe(true);
  });

  it('is true for a group that switches traffic with HAProxy', () => {
    // Prepare
    const config = withGroup((group) => ({
      ...group,
      trafficSwitch: { kind: 'haproxy' as const, runtimeApi: '127.0.0.1:9999', clientUrl: 'postgres://fcp@127.0.0.1:5000/app', backend: 'app' },
    }));

    // Assess
    expect(usesPostgresAdapters(config)).toBe(true);
  });
});

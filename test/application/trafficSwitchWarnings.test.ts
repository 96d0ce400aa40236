import { describe, expect, it } from 'vitest';
import { planGroup } from '../../src/application/plan.js';
import { groupStatus } from '../../src/application/status.js';
import type { GroupConfig } from '../../src/config/schema.js';
import { trafficSwitchWarnings } from '../../src/domain/trafficSwitch.js';
import { drillConfig, inMemoryWorld } from './harness.js';

function withArcSwitch(group: GroupConfig): GroupConfig {
  const control = (id: string) => `arn:aws:route53-recovery-control::000000000000:controlpanel/p/routingcontrol/${id}`;
  return {
    ...group,
    dns: {
      ...group.dns,
      switch: 'arc-routing-control',
      nameServers: ['ns-1.awsdns-01.org'],
      arc: {
        clusterEndpoints: [{ region: 'us-west-2', endpoint: 'https://host-a.us-west-2.example.aws/v1' }],
        routingControls: Object.fromEntries(Object.keys(group.regions).map((region) => [region, control(region)])),
      },
    },
  };
}

describe('the warning about a traffic switch that needs the Route 53 control plane', () => {
  it('is given by fcp plan and fcp status for a group that flips its record', async () => {
    // Prepare
    const { deps, group } = inMemoryWorld();

    // Act
    const [plan, status] = await Promise.all([planGroup(deps, group), groupStatus(deps, group)]);

    // Assess
    expect(group.dns.switch).toBe('record');
    expect(plan.warnings).toEqual([expect.stringMatching(/^traffic switch: dns\.switch is record: switching orders\.drill\.internal calls the Route 53 control plane .*us-east-1/)]);
    expect(status.warnings).toEqual(plan.warnings);
  });

  it('is not given for a group that switches with ARC routing controls', async () => {
    // Prepare
    const config = drillConfig((draft) => {
      draft.groups[0] = withArcSwitch(draft.groups[0]!);
    });
    const { deps, group } = inMemoryWorld(config);

    // Act
    const [plan, status] = await Promise.all([planGroup(deps, group), groupStatus(deps, group)]);

    // Assess
    expect(trafficSwitchWarnings(group)).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(status.warnings).toEqual([]);
  });
});

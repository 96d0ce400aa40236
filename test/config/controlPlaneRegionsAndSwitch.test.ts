import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { controlPlaneRegionsOf } from '../../src/config/schema.js';
import { ValidationError } from '../../src/domain/errors.js';

const CONTROL = (id: string) => `arn:aws:route53-recovery-control::123456789012:controlpanel/p1/routingcontrol/${id}`;

/** A minimal valid configuration; each test changes one thing. */
function validConfig() {
  const region = (name: string, priority: number, primary = false) => ({
    ...(primary ? { initialPrimary: true } : {}),
    failoverPriority: priority,
    database: { kind: 'rds-instance', instanceId: `orders-${name}`, instanceArn: `arn:aws:rds:${name}:123456789012:db:orders-${name}` },
    healthEndpoints: [{ url: `https://orders.${name}.example.com/health` }],
    dnsTarget: { type: 'CNAME', value: `orders.${name}.example.com` },
  });
  return {
    fleet: {
      observerRegions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
      controlPlaneRegion: 'us-west-2',
    } as Record<string, unknown>,
    groups: [
      {
        id: 'orders',
        environment: 'staging',
        mode: 'automatic',
        regions: { 'eu-west-1': region('eu-west-1', 100, true), 'us-east-1': region('us-east-1', 90) },
        dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME' } as Record<string, unknown>,
        notifications: { topicArn: 'arn:aws:sns:us-west-2:123456789012:orders' },
      },
    ],
  };
}

function issuesOf(config: unknown): readonly string[] {
  try {
    parseConfig(stringify(config), 'yaml');
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
}

const arc = {
  clusterEndpoints: [
    { region: 'us-east-1', endpoint: 'https://host-aaa.us-east-1.example.aws/v1' },
    { region: 'us-west-2', endpoint: 'https://host-bbb.us-west-2.example.aws/v1' },
  ],
  routingControls: { 'eu-west-1': CONTROL('euw1'), 'us-east-1': CONTROL('use1') },
};

describe('the control plane in three regions', () => {
  it('accepts two replica regions in the same MRSC region set, a group region among them', () => {
    // Prepare
    const config = validConfig();
    config.fleet.controlPlaneReplicaRegions = ['us-east-2', 'us-east-1'];

    // Act
    const parsed = parseConfig(stringify(config), 'yaml');

    // Assess
    expect(controlPlaneRegionsOf(parsed.fleet)).toEqual(['us-west-2', 'us-east-2', 'us-east-1']);
  });

  it('rejects control-plane regions from two MRSC region sets, listing the sets', () => {
    // Prepare
    const config = validConfig();
    config.fleet.controlPlaneReplicaRegions = ['us-east-2', 'eu-central-1'];

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([
      expect.stringMatching(/^fleet\.controlPlaneReplicaRegions: us-west-2, us-east-2, eu-central-1 are not in one multi-Region strong consistency region set \(US: us-east-1, us-east-2, us-west-2; EU: /),
    ]);
  });

  it('rejects a replica region that repeats the control-plane region', () => {
    // Prepare
    const config = validConfig();
    config.fleet.controlPlaneReplicaRegions = ['us-west-2', 'us-east-2'];

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([expect.stringMatching(/^fleet\.controlPlaneReplicaRegions: must be two regions other than each other and controlPlaneRegion/)]);
  });

  it('rejects one replica region: an MRSC table has three', () => {
    // Prepare
    const config = validConfig();
    config.fleet.controlPlaneReplicaRegions = ['us-east-2'];

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([expect.stringMatching(/^fleet\.controlPlaneReplicaRegions: must name exactly two regions/)]);
  });
});

describe('the traffic switch of a group', () => {
  it('defaults to the record flip', () => {
    // Act
    const parsed = parseConfig(stringify(validConfig()), 'yaml');

    // Assess
    expect(parsed.groups[0]?.dns.switch).toBe('record');
  });

  it('accepts ARC routing controls with a control per region and the zone name servers', () => {
    // Prepare
    const config = validConfig();
    Object.assign(config.groups[0]!.dns, { switch: 'arc-routing-control', arc, nameServers: ['ns-1.awsdns-01.org', '205.251.192.1'] });

    // Act
    const parsed = parseConfig(stringify(config), 'yaml');

    // Assess
    expect(parsed.groups[0]?.dns).toMatchObject({ switch: 'arc-routing-control', arc, nameServers: ['ns-1.awsdns-01.org', '205.251.192.1'] });
  });

  it('requires the ARC settings and the name servers for the ARC switch', () => {
    // Prepare
    const config = validConfig();
    config.groups[0]!.dns.switch = 'arc-routing-control';

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].dns.arc: is required when dns.switch is arc-routing-control',
      'groups[0].dns.nameServers: is required when dns.switch is arc-routing-control: the switch is verified by asking them, not the Route 53 API',
    ]);
  });

  it('rejects routing controls that do not match the group regions, and a cluster endpoint listed twice', () => {
    // Prepare
    const config = validConfig();
    Object.assign(config.groups[0]!.dns, {
      switch: 'arc-routing-control',
      nameServers: ['ns-1.awsdns-01.org'],
      arc: {
        clusterEndpoints: [arc.clusterEndpoints[0], arc.clusterEndpoints[0]],
        routingControls: { 'eu-west-1': CONTROL('euw1'), 'ap-southeast-2': CONTROL('apse2') },
      },
    });

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([
      'groups[0].dns.arc.routingControls: must name one routing control for each region of the group (eu-west-1, us-east-1), found ap-southeast-2, eu-west-1',
      'groups[0].dns.arc.clusterEndpoints: lists a region twice',
    ]);
  });

  it('rejects a routing control that is not an ARN, naming the field', () => {
    // Prepare
    const config = validConfig();
    Object.assign(config.groups[0]!.dns, {
      switch: 'arc-routing-control',
      nameServers: ['ns-1.awsdns-01.org'],
      arc: { ...arc, routingControls: { ...arc.routingControls, 'us-east-1': 'routing-control-use1' } },
    });

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual([expect.stringMatching(/^groups\[0\]\.dns\.arc\.routingControls\.us-east-1: must be a routing control ARN/)]);
  });

  it('rejects ARC settings on a group that flips the record', () => {
    // Prepare
    const config = validConfig();
    Object.assign(config.groups[0]!.dns, { arc });

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues).toEqual(['groups[0].dns.arc: applies only when dns.switch is arc-routing-control']);
  });
});

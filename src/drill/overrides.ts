import { formatIssues } from '../config/issues.js';
import { GroupSchema, type GroupConfig } from '../config/schema.js';
import { ValidationError } from '../domain/errors.js';
import type { GroupOverrides } from './scenarios/types.js';

/**
 * Applies a scenario's overrides to a group and validates the result as a configuration would be.
 *
 * @example
 * const group = withOverrides(config.groups[0], { mode: 'approval' });
 */
export function withOverrides(group: GroupConfig, overrides: GroupOverrides | undefined): GroupConfig {
  if (overrides === undefined) return group;
  const policy = {
    ...group.policy,
    ...overrides.policy,
    stepTimeouts: { ...group.policy.stepTimeouts, ...overrides.policy?.stepTimeouts },
    targets: { ...group.policy.targets, ...overrides.policy?.targets },
  };
  const parameterGroup = overrides.readOnlyParameterGroup;
  const regions = Object.fromEntries(
    Object.entries(group.regions).map(([name, region]) => [
      name,
      parameterGroup !== undefined && region.database.kind === 'rds-instance'
        ? { ...region, database: { ...region.database, readOnlyParameterGroup: parameterGroup } }
        : region,
    ]),
  );
  const dns = overrides.trafficSwitch === undefined ? group.dns : simulatedArcSwitch(group);
  const result = GroupSchema.safeParse({ ...group, mode: overrides.mode ?? group.mode, policy, regions, dns });
  if (!result.success) {
    throw new ValidationError(`the scenario's overrides make group ${group.id} invalid`, formatIssues(result.error.issues), { groupId: group.id });
  }
  return result.data;
}

/**
 * The drill's ARC settings: placeholders, as the simulated zone plays the routing controls' records. The name server
 * address is never asked (the simulated zone answers `currentRegion` itself).
 */
function simulatedArcSwitch(group: GroupConfig): GroupConfig['dns'] {
  const control = (region: string) => `arn:aws:route53-recovery-control::000000000000:controlpanel/drill/routingcontrol/${region}`;
  return {
    ...group.dns,
    switch: 'arc-routing-control',
    nameServers: ['127.0.0.1:53'],
    arc: {
      clusterEndpoints: [{ region: 'us-west-2', endpoint: 'https://drill.route53-recovery-cluster.invalid/v1' }],
      routingControls: Object.fromEntries(Object.keys(group.regions).map((region) => [region, control(region)])),
    },
  };
}

import { ControlPlaneConfigSchema, type ControlPlaneConfig, type ControlPlaneConfigInput } from '../src/config/schema.js';
import type { FencingMode } from '../src/domain/types.js';
import type { GroupShape, WorldShape } from './schedule.js';

const ACCOUNT = '000000000000';

/** The endpoint URL of a group's region: the simulated prober recognises it, nothing listens on it. */
export function endpointUrl(groupId: string, region: string): string {
  return `https://${groupId}.${region}.sim.internal/health`;
}

export function dnsValue(groupId: string, region: string): string {
  return `${groupId}.${region}.db.sim.internal`;
}

/**
 * The configuration of a simulated fleet, through the project's own schema (defaults, cross-field rules). A group
 * whose fencing mode the schema refuses for its database kind falls back to `none`: the schedule stays the same.
 *
 * @example
 * const config = simulatedConfig(generateSchedule(1).shape);
 */
export function simulatedConfig(shape: WorldShape): ControlPlaneConfig {
  const attempt = (fencing: (group: GroupShape) => FencingMode) => ControlPlaneConfigSchema.safeParse(configInput(shape, fencing));
  const first = attempt((group) => group.fencing);
  if (first.success) return first.data;
  const fallback = attempt((group) => (group.kind === 'rds-instance' && group.fencing === 'read-only-parameter-group' ? group.fencing : 'none'));
  if (fallback.success) return fallback.data;
  throw new Error(`the simulated configuration is invalid: ${fallback.error.message}`);
}

function configInput(shape: WorldShape, fencing: (group: GroupShape) => FencingMode): ControlPlaneConfigInput {
  return {
    fleet: {
      observerRegions: [...shape.observers],
      controlPlaneRegion: 'us-west-2',
      fleetBrake: { maxAutomaticFailovers: 2, windowSeconds: 3_600 },
    },
    groups: shape.groups.map((group) => ({
      id: group.id,
      environment: 'simulation',
      mode: group.mode,
      regions: Object.fromEntries(
        shape.regions.map((region, index) => [
          region,
          {
            initialPrimary: region === group.primary,
            failoverPriority: 100 - index * 10,
            database:
              group.kind === 'rds-instance'
                ? {
                    kind: 'rds-instance' as const,
                    instanceId: `${group.id}-${region}`,
                    instanceArn: `arn:aws:rds:${region}:${ACCOUNT}:db:${group.id}-${region}`,
                    readOnlyParameterGroup: `${group.id}-read-only`,
                  }
                : {
                    kind: 'aurora-global' as const,
                    globalClusterId: `${group.id}-global`,
                    clusterArn: `arn:aws:rds:${region}:${ACCOUNT}:cluster:${group.id}-${region}`,
                  },
            healthEndpoints: [{ url: endpointUrl(group.id, region), timeoutMs: 2_000 }],
            dnsTarget: { type: 'CNAME' as const, value: dnsValue(group.id, region) },
          },
        ]),
      ),
      dns: { hostedZoneId: 'Z0SIMULATION00', recordName: `${group.id}.sim.internal`, type: 'CNAME' as const, ttlSeconds: 30 },
      notifications: { topicArn: `arn:aws:sns:us-west-2:${ACCOUNT}:failover-simulation` },
      policy: {
        probeIntervalSeconds: group.probeIntervalSeconds,
        failureThreshold: group.failureThreshold,
        recoveryThreshold: 2,
        observerQuorum: Math.min(2, shape.observers.length),
        maxReplicaLagSeconds: group.maxReplicaLagSeconds,
        cooldownSeconds: group.cooldownSeconds,
        fencing: fencing(group),
        stepTimeouts: { fencingSeconds: 60, drainingSeconds: 120, promotionSeconds: 300, trafficSwitchSeconds: 60, dnsSyncSeconds: 180, verificationSeconds: 120 },
      },
    })),
  };
}

import { z } from 'zod';

/**
 * The control plane's configuration: one deployment manages many failover groups.
 * Cross-field rules (exactly one initial primary, quorum within observers...) live in `superRefine` below
 * so that every problem is reported with its path in one pass.
 */

const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, 'must be an ARN');

const positiveSeconds = z.number().positive('must be a positive number of seconds');

export const HealthEndpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  timeoutMs: z.number().int().min(50).max(30_000).default(2_000),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  bodyContains: z.string().min(1).optional(),
});

export const RdsInstanceDatabaseSchema = z.strictObject({
  kind: z.literal('rds-instance'),
  /** DB instance identifier in this region. */
  instanceId: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be an RDS DB instance identifier'),
  instanceArn: arn,
  /** Parameter group applied when fencing mode is read-only-parameter-group. */
  readOnlyParameterGroup: z.string().min(1).optional(),
});

export const AuroraGlobalDatabaseSchema = z.strictObject({
  kind: z.literal('aurora-global'),
  globalClusterId: z.string().min(1),
  clusterArn: arn,
});

export const DatabaseSchema = z.discriminatedUnion('kind', [RdsInstanceDatabaseSchema, AuroraGlobalDatabaseSchema], {
  error: 'kind must be rds-instance or aurora-global',
});

export const DnsTargetSchema = z.union([
  z.strictObject({ type: z.literal('CNAME'), value: z.string().min(1) }),
  z.strictObject({
    type: z.enum(['A', 'AAAA']),
    aliasHostedZoneId: z.string().min(1),
    aliasDnsName: z.string().min(1),
  }),
]);

export const RegionSchema = z.strictObject({
  database: DatabaseSchema,
  healthEndpoints: z.array(HealthEndpointSchema).min(1, 'needs at least one health endpoint'),
  dnsTarget: DnsTargetSchema,
  /** Higher wins when several replicas are eligible. */
  failoverPriority: z.number().int().min(0).max(1000),
  initialPrimary: z.boolean().default(false),
});

export const DnsSchema = z.strictObject({
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
  recordName: z.string().min(1),
  type: z.enum(['CNAME', 'A', 'AAAA']),
  ttlSeconds: z.number().int().min(1).max(86_400).default(30),
});

export const StepTimeoutsSchema = z.strictObject({
  fencingSeconds: positiveSeconds.default(60),
  drainingSeconds: positiveSeconds.default(300),
  promotionSeconds: positiveSeconds.default(900),
  trafficSwitchSeconds: positiveSeconds.default(60),
  dnsSyncSeconds: positiveSeconds.default(180),
  verificationSeconds: positiveSeconds.default(120),
});

export const PolicySchema = z.strictObject({
  probeIntervalSeconds: z.number().int().min(1).max(60).default(10),
  failureThreshold: z.number().int().min(1).max(100).default(3),
  recoveryThreshold: z.number().int().min(1).max(100).default(3),
  observerQuorum: z.number().int().min(1).default(2),
  /** The RPO budget: automatic failover only to a replica at most this far behind. */
  maxReplicaLagSeconds: z.number().min(0).default(30),
  cooldownSeconds: positiveSeconds.default(3_600),
  /** Step retries before a failover stalls. */
  maxStepAttempts: z.number().int().min(1).max(20).default(3),
  stepTimeouts: StepTimeoutsSchema.prefault({}),
  fencing: z.enum(['none', 'stop-instance', 'read-only-parameter-group']).default('none'),
  /** Targets a drill report checks against. */
  targets: z
    .strictObject({
      rtoSeconds: positiveSeconds.default(300),
      detectionSeconds: positiveSeconds.default(60),
    })
    .prefault({}),
});

export const GroupSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
  environment: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lowercase name such as production or staging'),
  mode: z.enum(['automatic', 'approval', 'manual']),
  regions: z.record(regionName, RegionSchema),
  dns: DnsSchema,
  notifications: z.strictObject({ topicArn: arn }),
  policy: PolicySchema.prefault({}),
});

export const FleetSchema = z.strictObject({
  /** Regions whose probe Lambdas observe every group. */
  observerRegions: z.array(regionName).min(1, 'needs at least one observer region'),
  /** Where the orchestrator and the state table live. */
  controlPlaneRegion: regionName,
  fleetBrake: z
    .strictObject({
      maxAutomaticFailovers: z.number().int().min(1).default(2),
      windowSeconds: positiveSeconds.default(3_600),
    })
    .prefault({}),
});

export const ControlPlaneConfigSchema = z
  .strictObject({
    fleet: FleetSchema,
    groups: z.array(GroupSchema).min(1, 'needs at least one failover group'),
  })
  .superRefine((config, ctx) => {
    const seenGroups = new Set<string>();
    config.groups.forEach((group, index) => {
      const at = (...path: (string | number)[]) => ['groups', index, ...path];
      if (seenGroups.has(group.id)) {
        ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate group id "${group.id}"` });
      }
      seenGroups.add(group.id);

      const regions = Object.entries(group.regions);
      if (regions.length < 2) {
        ctx.addIssue({ code: 'custom', path: at('regions'), message: 'needs at least two regions to fail over between' });
      }
      const primaries = regions.filter(([, region]) => region.initialPrimary).map(([name]) => name);
      if (primaries.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: at('regions'),
          message: `exactly one region must have initialPrimary: true (found ${primaries.length === 0 ? 'none' : primaries.join(', ')})`,
        });
      }
      if (group.regions[config.fleet.controlPlaneRegion] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'controlPlaneRegion'],
          message: `${config.fleet.controlPlaneRegion} is a region of group "${group.id}": the control plane must run outside the regions it fails over between, so it survives the primary's outage and does not share fate with the target`,
        });
      }
      const kinds = new Set(regions.map(([, region]) => region.database.kind));
      if (kinds.size > 1) {
        ctx.addIssue({ code: 'custom', path: at('regions'), message: 'all regions of a group must use the same database kind' });
      }
      for (const [name, region] of regions) {
        if (region.dnsTarget.type === 'CNAME' ? group.dns.type !== 'CNAME' : group.dns.type !== region.dnsTarget.type) {
          ctx.addIssue({
            code: 'custom',
            path: at('regions', name, 'dnsTarget', 'type'),
            message: `is ${region.dnsTarget.type} but dns.type is ${group.dns.type}`,
          });
        }
        if (
          group.policy.fencing === 'read-only-parameter-group' &&
          region.database.kind === 'rds-instance' &&
          region.database.readOnlyParameterGroup === undefined
        ) {
          ctx.addIssue({
            code: 'custom',
            path: at('regions', name, 'database', 'readOnlyParameterGroup'),
            message: 'is required when policy.fencing is read-only-parameter-group',
          });
        }
        if (region.database.kind === 'rds-instance' && !region.database.instanceArn.includes(`:rds:${name}:`)) {
          ctx.addIssue({
            code: 'custom',
            path: at('regions', name, 'database', 'instanceArn'),
            message: `must be an RDS ARN in region ${name}`,
          });
        }
      }
      const priorities = new Map<number, string>();
      for (const [name, region] of regions) {
        const other = priorities.get(region.failoverPriority);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: at('regions', name, 'failoverPriority'),
            message: `${region.failoverPriority} is also the priority of ${other}; priorities must be distinct so the choice is deterministic`,
          });
        }
        priorities.set(region.failoverPriority, name);
      }
      if (group.policy.observerQuorum > config.fleet.observerRegions.length) {
        ctx.addIssue({
          code: 'custom',
          path: at('policy', 'observerQuorum'),
          message: `${group.policy.observerQuorum} is larger than the number of observer regions (${config.fleet.observerRegions.length})`,
        });
      }
    });
    if (new Set(config.fleet.observerRegions).size !== config.fleet.observerRegions.length) {
      ctx.addIssue({ code: 'custom', path: ['fleet', 'observerRegions'], message: 'lists a region twice' });
    }
  });

export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfigSchema>;
export type ControlPlaneConfigInput = z.input<typeof ControlPlaneConfigSchema>;
export type GroupConfig = z.infer<typeof GroupSchema>;
export type RegionConfig = z.infer<typeof RegionSchema>;
export type DatabaseConfig = z.infer<typeof DatabaseSchema>;
export type HealthEndpoint = z.infer<typeof HealthEndpointSchema>;
export type DnsTarget = z.infer<typeof DnsTargetSchema>;
export type GroupPolicy = z.infer<typeof PolicySchema>;
export type FleetConfig = z.infer<typeof FleetSchema>;

/** The region a group starts with as primary (validated to be exactly one). */
export function initialPrimaryOf(group: GroupConfig): string {
  const entry = Object.entries(group.regions).find(([, region]) => region.initialPrimary);
  if (entry === undefined) throw new Error(`group ${group.id} has no initial primary`);
  return entry[0];
}

import * as z from 'zod';

/**
 * The control plane's configuration: one deployment manages many failover groups.
 * Cross-field rules live in `superRefine`: rules within a group on GroupSchema (exactly one initial primary...),
 * rules across groups and the fleet on ControlPlaneConfigSchema (quorum within observers...), so that every
 * problem is reported with its path in one pass. Descriptions appear in the generated JSON Schema (editor hovers);
 * docs/configuration.md is the full reference.
 */

const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, 'must be an ARN');

const positiveSeconds = z.number().positive('must be a positive number of seconds');

export const HealthEndpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  timeoutMs: z
    .number()
    .int()
    .min(50)
    .max(30_000)
    .default(2_000)
    .describe('A probe slower than this fails; must be shorter than policy.probeIntervalSeconds.'),
  expectedStatus: z.number().int().min(100).max(599).default(200).describe('Any other HTTP status fails the probe.'),
  bodyContains: z.string().min(1).optional().describe('When set, the response body must contain this text.'),
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

/**
 * Where a password comes from: an environment variable. To keep it in Secrets Manager, set the variable from the
 * secret when deploying (a CloudFormation dynamic reference `{{resolve:secretsmanager:...}}`).
 */
export const PasswordSourceSchema = z.strictObject(
  {
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').describe('Read the password from this environment variable.'),
  },
  { error: 'must be { env: NAME }' },
);

/** A self-managed PostgreSQL server (EC2, on premises, Kubernetes without an operator) reached with the pg client. */
export const PostgresDatabaseSchema = z
  .strictObject({
    kind: z.literal('postgres'),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/[^/]+/, 'must be a postgres:// URL such as postgres://fcp@10.0.1.5:5432/postgres')
      .refine((value) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(value), 'must not contain a password: use passwordFrom')
      .optional()
      .describe('Connection URL without a password; or give host, port and user.'),
    host: z.string().min(1).optional().describe('Host name or address of this region\'s server (when url is not set).'),
    port: z.number().int().min(1).max(65_535).optional().describe('Default 5432 (when url is not set).'),
    user: z.string().min(1).optional().describe('A superuser, or a role allowed pg_promote, ALTER SYSTEM and pg_terminate_backend.'),
    database: z.string().min(1).optional().describe('Default postgres.'),
    passwordFrom: PasswordSourceSchema.optional(),
    connectTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(2_000)
      .describe('A connection or query slower than this counts as unreachable.'),
    promoteWaitSeconds: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(60)
      .describe('pg_promote(wait => true, wait_seconds => N): how long one promote call waits for the end of recovery.'),
  })
  .superRefine((database, ctx) => {
    if ((database.url === undefined) === (database.host === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url or host' });
    }
    if (database.url !== undefined && (database.port !== undefined || database.user !== undefined || database.database !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'port, user and database go in the url when url is set' });
    }
  });

export const DatabaseSchema = z.discriminatedUnion('kind', [RdsInstanceDatabaseSchema, AuroraGlobalDatabaseSchema, PostgresDatabaseSchema], {
  error: 'must be rds-instance, aurora-global or postgres',
});

export const DnsTargetSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('CNAME'), value: z.string().min(1) }),
    z.strictObject({
      type: z.enum(['A', 'AAAA']),
      aliasHostedZoneId: z.string().min(1),
      aliasDnsName: z.string().min(1),
    }),
  ],
  { error: 'must be CNAME, A or AAAA' },
);

export const RegionSchema = z.strictObject({
  database: DatabaseSchema,
  healthEndpoints: z.array(HealthEndpointSchema).min(1, 'needs at least one health endpoint'),
  dnsTarget: DnsTargetSchema,
  /** Higher wins when several replicas are eligible. */
  failoverPriority: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .describe('Among eligible replicas the highest priority is promoted; distinct within a group.'),
  initialPrimary: z
    .boolean()
    .default(false)
    .describe('Exactly one region per group: the writer when the group is first seen.'),
});

/**
 * A connection proxy in front of the databases whose backend server is switched at run time, instead of (or before)
 * the DNS record: HAProxy's runtime API (`set server <backend>/<region> state ready|maint`). Each region is a server
 * of `backend` named as the region.
 */
export const HaproxyTrafficSchema = z.strictObject({
  kind: z.literal('haproxy'),
  runtimeApi: z
    .string()
    .regex(/^tcp:\/\/[^/:]+:\d{1,5}$/, 'must be tcp://host:port (HAProxy stats socket with level admin on a TCP address)')
    .describe('HAProxy runtime API: stats socket ipv4@host:port level admin.'),
  backend: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be an HAProxy backend name').describe('The backend whose servers are the regions.'),
  clientUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^/]+/, 'must be a postgres:// URL through the proxy')
    .refine((value) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(value), 'must not contain a password: use passwordFrom')
    .describe('How clients connect through the proxy; the switch is verified by connecting here as a client.'),
  passwordFrom: PasswordSourceSchema.optional(),
});

export const DnsSchema = z.strictObject({
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
  recordName: z.string().min(1),
  type: z.enum(['CNAME', 'A', 'AAAA']),
  ttlSeconds: z.number().int().min(1).max(86_400).default(30).describe('TTL written when traffic is switched.'),
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
  probeIntervalSeconds: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(10)
    .describe('How often each observer probes the regions; a report older than two intervals is stale.'),
  failureThreshold: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe('Consecutive failed rounds before an observer counts as failing.'),
  recoveryThreshold: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe('Consecutive passing rounds before an observer counts as recovered.'),
  observerQuorum: z
    .number()
    .int()
    .min(1)
    .default(2)
    .describe('Distinct observers that must agree before a region is unhealthy, or healthy again after.'),
  /** The RPO budget: automatic failover only to a replica at most this far behind. */
  maxReplicaLagSeconds: z
    .number()
    .min(0)
    .default(30)
    .describe('RPO budget: automatic failover only to a replica at most this many seconds behind.'),
  cooldownSeconds: positiveSeconds.default(3_600).describe('Minimum time after a failover before another automatic one.'),
  /** Step retries before a failover stalls. */
  maxStepAttempts: z.number().int().min(1).max(20).default(3).describe('Attempts per step before the failover stalls.'),
  stepTimeouts: StepTimeoutsSchema.prefault({}),
  fencing: z
    .enum(['none', 'stop-instance', 'read-only-parameter-group'])
    .default('none')
    .describe('How the old primary is stopped from taking writes (best effort).'),
  /** Targets a drill report checks against. */
  targets: z
    .strictObject({
      rtoSeconds: positiveSeconds.default(300),
      detectionSeconds: positiveSeconds.default(60),
    })
    .prefault({}),
});

export const GroupSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
    environment: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lowercase name such as production or staging'),
    mode: z
      .enum(['automatic', 'approval', 'manual'])
      .describe('automatic fails over alone; approval waits for an operator; manual only detects and notifies.'),
    regions: z.record(regionName, RegionSchema),
    dns: DnsSchema,
    trafficSwitch: z
      .discriminatedUnion('kind', [HaproxyTrafficSchema], { error: 'must be haproxy' })
      .optional()
      .describe('Switch traffic through this proxy instead of the Route 53 record.'),
    notifications: z.strictObject({ topicArn: arn }),
    policy: PolicySchema.prefault({}),
  })
  // Rules within one group live here, not on the whole config, so that a broken group does not hide the
  // problems of the others: zod skips a refinement when the value it refines already failed to parse.
  .superRefine((group, ctx) => {
    const regions = Object.entries(group.regions);
    if (regions.length < 2) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'needs at least two regions to fail over between' });
    }
    const primaries = regions.filter(([, region]) => region.initialPrimary).map(([name]) => name);
    if (primaries.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: `exactly one region must have initialPrimary: true (found ${primaries.length === 0 ? 'none' : primaries.join(', ')})`,
      });
    }
    const kinds = new Set(regions.map(([, region]) => region.database.kind));
    if (kinds.size > 1) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'all regions of a group must use the same database kind' });
    }
    const globalClusters = new Set(
      regions.flatMap(([, region]) => (region.database.kind === 'aurora-global' ? [region.database.globalClusterId] : [])),
    );
    if (globalClusters.size > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: `all regions must name the same Aurora global cluster (found ${[...globalClusters].join(', ')})`,
      });
    }
    const priorities = new Map<number, string>();
    for (const [name, region] of regions) {
      const at = (...path: (string | number)[]) => ['regions', name, ...path];
      if (region.dnsTarget.type !== group.dns.type) {
        ctx.addIssue({
          code: 'custom',
          path: at('dnsTarget', 'type'),
          message: `is ${region.dnsTarget.type} but dns.type is ${group.dns.type}`,
        });
      }
      const database = region.database;
      if (database.kind === 'rds-instance') {
        if (group.policy.fencing === 'read-only-parameter-group' && database.readOnlyParameterGroup === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: at('database', 'readOnlyParameterGroup'),
            message: 'is required when policy.fencing is read-only-parameter-group',
          });
        }
        if (!database.instanceArn.includes(`:rds:${name}:`)) {
          ctx.addIssue({ code: 'custom', path: at('database', 'instanceArn'), message: `must be an RDS ARN in region ${name}` });
        } else if (!database.instanceArn.endsWith(`:db:${database.instanceId}`)) {
          ctx.addIssue({
            code: 'custom',
            path: at('database', 'instanceArn'),
            message: `must end with :db:${database.instanceId} (the instanceId of this region)`,
          });
        }
      } else if (database.kind === 'postgres') {
        if (group.policy.fencing === 'stop-instance') {
          ctx.addIssue({
            code: 'custom',
            path: ['policy', 'fencing'],
            message: `stop-instance cannot be done over SQL (region ${name} is postgres): use read-only-parameter-group (ALTER SYSTEM SET default_transaction_read_only) or none`,
          });
        }
      } else {
        if (!database.clusterArn.includes(`:rds:${name}:`) || !database.clusterArn.includes(':cluster:')) {
          ctx.addIssue({
            code: 'custom',
            path: at('database', 'clusterArn'),
            message: `must be an RDS cluster ARN in region ${name}`,
          });
        }
        if (group.policy.fencing === 'read-only-parameter-group') {
          ctx.addIssue({
            code: 'custom',
            path: ['policy', 'fencing'],
            message: `read-only-parameter-group applies to rds-instance databases only (region ${name} is aurora-global)`,
          });
        }
      }
      region.healthEndpoints.forEach((endpoint, index) => {
        if (endpoint.timeoutMs >= group.policy.probeIntervalSeconds * 1_000) {
          ctx.addIssue({
            code: 'custom',
            path: at('healthEndpoints', index, 'timeoutMs'),
            message: `${endpoint.timeoutMs} ms does not fit in one probe interval (policy.probeIntervalSeconds ${group.policy.probeIntervalSeconds})`,
          });
        }
      });
      const other = priorities.get(region.failoverPriority);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at('failoverPriority'),
          message: `${region.failoverPriority} is also the priority of ${other}; priorities must be distinct so the choice is deterministic`,
        });
      }
      priorities.set(region.failoverPriority, name);
    }
  });

export const FleetSchema = z.strictObject({
  /** Regions whose probe Lambdas observe every group. */
  observerRegions: z
    .array(regionName)
    .min(1, 'needs at least one observer region')
    .describe('Regions whose probes observe every region of every group.'),
  /** Where the orchestrator and the state table live. */
  controlPlaneRegion: regionName.describe('Where the orchestrator and the state table live; not a region of any group.'),
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
  // Rules that relate groups to each other or to the fleet.
  .superRefine((config, ctx) => {
    const observerCount = new Set(config.fleet.observerRegions).size;
    if (observerCount !== config.fleet.observerRegions.length) {
      ctx.addIssue({ code: 'custom', path: ['fleet', 'observerRegions'], message: 'lists a region twice' });
    }
    const groupIds = new Map<string, number>();
    const dnsRecords = new Map<string, string>();
    config.groups.forEach((group, index) => {
      const at = (...path: (string | number)[]) => ['groups', index, ...path];
      const sameId = groupIds.get(group.id);
      if (sameId !== undefined) {
        ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate group id "${group.id}" (also groups[${sameId}])` });
      } else {
        groupIds.set(group.id, index);
      }
      const record = `${group.dns.hostedZoneId}/${group.dns.recordName.replace(/\.$/, '').toLowerCase()}`;
      const sameRecord = dnsRecords.get(record);
      if (sameRecord !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at('dns', 'recordName'),
          message: `${group.dns.recordName} in ${group.dns.hostedZoneId} is already managed by group "${sameRecord}": two groups would overwrite each other's traffic switch`,
        });
      } else {
        dnsRecords.set(record, group.id);
      }
      if (group.regions[config.fleet.controlPlaneRegion] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'controlPlaneRegion'],
          message: `${config.fleet.controlPlaneRegion} is a region of group "${group.id}": the control plane must run outside the regions it fails over between, so it survives the primary's outage and does not share fate with the target`,
        });
      }
      if (group.policy.observerQuorum > observerCount) {
        ctx.addIssue({
          code: 'custom',
          path: at('policy', 'observerQuorum'),
          message: `${group.policy.observerQuorum} is larger than the number of observer regions (${observerCount})`,
        });
      }
    });
  });

export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfigSchema>;
export type ControlPlaneConfigInput = z.input<typeof ControlPlaneConfigSchema>;
export type GroupConfig = z.infer<typeof GroupSchema>;
export type RegionConfig = z.infer<typeof RegionSchema>;
export type DatabaseConfig = z.infer<typeof DatabaseSchema>;
export type PostgresDatabaseConfig = z.infer<typeof PostgresDatabaseSchema>;
export type HaproxyTrafficConfig = z.infer<typeof HaproxyTrafficSchema>;
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

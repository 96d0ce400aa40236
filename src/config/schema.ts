import { connectionCheckOf } from './groups.js';
import * as z from 'zod';
import type { FailoverGroup } from '../domain/group.js';
import { AWS_REGIONS } from './awsRegions.js';
import { DEFAULT_SHARD, MAX_SHARDS, SHARD_NAME, shardsOf } from '../domain/shards.js';

/**
 * The control plane's configuration: one deployment manages many failover groups.
 * Cross-field rules live in `superRefine`: rules within a group on GroupSchema (exactly one initial primary...),
 * rules across groups and the fleet on ControlPlaneConfigSchema (quorum within observers...), so that every
 * problem is reported with its path in one pass. Descriptions appear in the generated JSON Schema (editor hovers);
 * docs/configuration.md is the full reference.
 */

/**
 * A region the AWS SDK knows (its partition data, derived into awsRegions.ts at build time): a well-formed but
 * made-up name such as eu-west-9 would pass a pattern and then fail every probe and every API call. The known names
 * are one alternation, so the generated JSON Schema checks them too; the shape is checked first (and alone) so a
 * malformed name gets the plainer message.
 */
const regionName = z
  .string()
  .regex(/^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/, { error: 'must be an AWS region name such as eu-west-1', abort: true })
  .regex(
    new RegExp(`^(?:${AWS_REGIONS.join('|')})$`),
    'is not an AWS region: the AWS SDK\'s partition data has no region of that name (a typo? see docs/configuration.md, "Regions")',
  );

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

/** Where the connection check's password comes from; never the password itself in the file. */
export const PasswordSourceSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('secrets-manager'),
      secretArn: arn.describe('A Secrets Manager secret: a plain string, or JSON with a "password" key (RDS-managed secrets).'),
    }),
    z.strictObject({
      kind: z.literal('environment'),
      variable: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name such as ORDERS_DB_PASSWORD')
        .describe("An environment variable of the probe function."),
    }),
    z.strictObject({ kind: z.literal('rds-iam').describe("An RDS IAM authentication token made with the probe's role.") }),
  ],
  { error: 'must be secrets-manager, environment or rds-iam' },
);

/**
 * A data-plane check of the region's database from every observer: connect, run `SELECT 1`, close, within
 * `timeoutMs`. A failed check fails the observer's round, like a failed health endpoint.
 */
export const ConnectionCheckSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name such as app-eu.abc123.eu-west-1.rds.amazonaws.com')
    .describe("The database endpoint as the observers reach it (the instance or cluster endpoint)."),
  port: z.number().int().min(1).max(65_535).default(5432),
  database: z.string().min(1).max(63).describe('The database to connect to.'),
  user: z.string().min(1).max(63).describe('A login with no rights beyond connecting: the check only runs SELECT 1.'),
  passwordFrom: PasswordSourceSchema,
  tls: z
    .enum(['verify-full', 'require'])
    .default('verify-full')
    .describe('verify-full checks the server certificate against the RDS CA bundle; require only encrypts.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(30_000)
    .default(3_000)
    .describe('Connect plus the read; slower fails the check. Must be shorter than policy.probeIntervalSeconds.'),
});

export const RdsInstanceDatabaseSchema = z.strictObject({
  kind: z.literal('rds-instance'),
  /** DB instance identifier in this region. */
  instanceId: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be an RDS DB instance identifier'),
  instanceArn: arn,
  /** Parameter group applied when fencing mode is read-only-parameter-group. */
  readOnlyParameterGroup: z.string().min(1).optional(),
  connectionCheck: ConnectionCheckSchema.optional(),
});

export const AuroraGlobalDatabaseSchema = z.strictObject({
  kind: z.literal('aurora-global'),
  globalClusterId: z.string().min(1),
  clusterArn: arn,
  connectionCheck: ConnectionCheckSchema.optional(),
});

/**
 * Where a password comes from: an environment variable. To keep it in Secrets Manager, set the variable from the
 * secret when deploying (a CloudFormation dynamic reference `{{resolve:secretsmanager:...}}`).
 */
export const PostgresPasswordSourceSchema = z.strictObject(
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
    passwordFrom: PostgresPasswordSourceSchema.optional(),
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

/** The traffic switches a group can use; `record` depends on the Route 53 control plane (us-east-1), the others do not. */
export const TRAFFIC_SWITCHES = ['record', 'arc-routing-control'] as const;

export const ArcRoutingControlSchema = z.strictObject({
  clusterEndpoints: z
    .array(
      z.strictObject({
        region: regionName,
        endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL (a ClusterEndpoints entry of the ARC cluster)' }),
      }),
    )
    .min(1, 'needs at least one cluster endpoint')
    .max(5, 'an ARC cluster has five regional endpoints')
    .describe('The ARC cluster\'s regional endpoints (all five): a switch tries them in turn until one answers.'),
  routingControls: z
    .record(
      regionName,
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[^/]+\/routingcontrol\/[^/]+$/,
          'must be a routing control ARN (arn:aws:route53-recovery-control::<account>:controlpanel/<id>/routingcontrol/<id>)',
        ),
    )
    .describe('One routing control per region of the group, each wired to that region\'s record through a health check.'),
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
  passwordFrom: PostgresPasswordSourceSchema.optional(),
});

export const DnsSchema = z.strictObject({
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC'),
  recordName: z.string().min(1),
  type: z.enum(['CNAME', 'A', 'AAAA']),
  ttlSeconds: z.number().int().min(1).max(86_400).default(30).describe('TTL written when traffic is switched.'),
  switch: z
    .enum(TRAFFIC_SWITCHES)
    .default('record')
    .describe(
      'How traffic is switched: record (UPSERT the record; needs the Route 53 control plane in us-east-1) or ' +
        'arc-routing-control (ARC routing controls; data plane only).',
    ),
  arc: ArcRoutingControlSchema.optional().describe('Required when switch is arc-routing-control.'),
  nameServers: z
    .array(
      z
        .string()
        .regex(
          /^([a-z0-9-]+(\.[a-z0-9-]+)*\.?|\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-f:]+\](:\d{1,5})?)$/i,
          'must be a name server host name, or an IP address with an optional :port',
        ),
    )
    .min(1)
    .max(8)
    .optional()
    .describe(
      "The hosted zone's authoritative name servers (its NS record): asked directly, by DNS, which target they answer. " +
        'Required by the data-plane switches.',
    ),
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
    shard: z
      .string()
      .regex(SHARD_NAME, 'must be 1 to 32 lowercase letters, digits and dashes, starting with a letter or digit')
      .optional()
      .describe(
        `The orchestrate shard that acts on this group (default ${DEFAULT_SHARD}): each shard named gets its own orchestrate invocation every minute and its own lease. See docs/deployment.md.`,
      ),
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
    const dns = group.dns;
    if (dns.switch === 'arc-routing-control') {
      if (dns.arc === undefined) {
        ctx.addIssue({ code: 'custom', path: ['dns', 'arc'], message: 'is required when dns.switch is arc-routing-control' });
      } else {
        const controlled = Object.keys(dns.arc.routingControls).sort();
        const configured = regions.map(([name]) => name).sort();
        if (controlled.join() !== configured.join()) {
          ctx.addIssue({
            code: 'custom',
            path: ['dns', 'arc', 'routingControls'],
            message: `must name one routing control for each region of the group (${configured.join(', ')}), found ${controlled.join(', ') || 'none'}`,
          });
        }
        const endpointRegions = dns.arc.clusterEndpoints.map((endpoint) => endpoint.region);
        if (new Set(endpointRegions).size !== endpointRegions.length) {
          ctx.addIssue({ code: 'custom', path: ['dns', 'arc', 'clusterEndpoints'], message: 'lists a region twice' });
        }
      }
      if (dns.nameServers === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['dns', 'nameServers'],
          message: 'is required when dns.switch is arc-routing-control: the switch is verified by asking them, not the Route 53 API',
        });
      }
    } else if (dns.arc !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'arc'], message: 'applies only when dns.switch is arc-routing-control' });
    }
    if (group.policy.fencing === 'stop-instance' && kinds.has('rds-instance')) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'fencing'],
        message:
          'stop-instance cannot fence an rds-instance primary: RDS refuses to stop a DB instance that has read replicas, ' +
          'and the primary of a group always has them (the other regions). Use read-only-parameter-group (with ' +
          'database.readOnlyParameterGroup in each region), or none',
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
      const check = connectionCheckOf(region.database);
      if (check !== undefined && check.timeoutMs >= group.policy.probeIntervalSeconds * 1_000) {
        ctx.addIssue({
          code: 'custom',
          path: at('database', 'connectionCheck', 'timeoutMs'),
          message: `${check.timeoutMs} ms does not fit in one probe interval (policy.probeIntervalSeconds ${group.policy.probeIntervalSeconds})`,
        });
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
  controlPlaneRegion: regionName.describe(
    'Where the orchestrator and the state table live; alone, not a region of any group. With controlPlaneReplicaRegions: the first of three.',
  ),
  controlPlaneReplicaRegions: z
    .array(regionName)
    .length(2, 'must name exactly two regions (with controlPlaneRegion, the three replicas of the state table)')
    .optional()
    .describe(
      'The control plane in three regions: the two other replicas of a multi-Region strongly consistent state table, ' +
        'each running the orchestrator and the operator API. All three regions in one MRSC region set.',
    ),
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
    const controlPlaneRegions = controlPlaneRegionsOf(config.fleet);
    const threeRegions = controlPlaneRegions.length === 3;
    if (threeRegions) {
      if (new Set(controlPlaneRegions).size !== 3) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'controlPlaneReplicaRegions'],
          message: `must be two regions other than each other and controlPlaneRegion (found ${controlPlaneRegions.join(', ')})`,
        });
      } else if (mrscRegionSetOf(controlPlaneRegions) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'controlPlaneReplicaRegions'],
          message:
            `${controlPlaneRegions.join(', ')} are not in one multi-Region strong consistency region set ` +
            `(${Object.entries(MRSC_REGION_SETS).map(([name, regions]) => `${name}: ${regions.join(', ')}`).join('; ')})`,
        });
      }
    }
    const observerCount = new Set(config.fleet.observerRegions).size;
    if (observerCount !== config.fleet.observerRegions.length) {
      ctx.addIssue({ code: 'custom', path: ['fleet', 'observerRegions'], message: 'lists a region twice' });
    }
    const shards = shardsOf(config.groups);
    if (shards.length > MAX_SHARDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: `name ${shards.length} shards; at most ${MAX_SHARDS} (each is an orchestrate invocation every minute)`,
      });
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
      // Three control-plane regions keep a majority through any one region's outage, a group region's included.
      if (!threeRegions && group.regions[config.fleet.controlPlaneRegion] !== undefined) {
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
/**
 * A parsed group is the domain's `FailoverGroup` (src/domain/group.ts): the compiler holds the schema's output to that
 * shape in both directions, so the configuration maps into the domain at the edge as it is, and neither can drift.
 */
export type GroupConfig = Assignable<z.infer<typeof GroupSchema>, FailoverGroup>;
type Assignable<From extends To, To> = From;
type _FailoverGroupIsAGroupConfig = Assignable<FailoverGroup, GroupConfig>;
export type RegionConfig = z.infer<typeof RegionSchema>;
export type DatabaseConfig = z.infer<typeof DatabaseSchema>;
export type PostgresDatabaseConfig = z.infer<typeof PostgresDatabaseSchema>;
export type ConnectionCheckConfig = z.infer<typeof ConnectionCheckSchema>;
export type HaproxyTrafficConfig = z.infer<typeof HaproxyTrafficSchema>;
export type HealthEndpoint = z.infer<typeof HealthEndpointSchema>;
export type DnsTarget = z.infer<typeof DnsTargetSchema>;
export type DnsConfig = z.infer<typeof DnsSchema>;
export type TrafficSwitch = DnsConfig['switch'];
export type GroupPolicy = z.infer<typeof PolicySchema>;
export type FleetConfig = z.infer<typeof FleetSchema>;

/**
 * The regions where a multi-Region strongly consistent (MRSC) table can keep its three replicas (or two and a
 * witness): all three must be in one set. AWS's list, from the AWS::DynamoDB::GlobalTable documentation.
 */
export const MRSC_REGION_SETS = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
} as const satisfies Record<string, readonly string[]>;

/** The MRSC region set holding every one of `regions`, if there is one. */
export function mrscRegionSetOf(regions: readonly string[]): keyof typeof MRSC_REGION_SETS | undefined {
  const sets = Object.entries(MRSC_REGION_SETS) as [keyof typeof MRSC_REGION_SETS, readonly string[]][];
  return sets.find(([, members]) => regions.every((region) => members.includes(region)))?.[0];
}

/**
 * Where the orchestrator and the operator API run: the control-plane region, then its replica regions if any.
 *
 * @example
 * controlPlaneRegionsOf({ controlPlaneRegion: 'us-west-2', controlPlaneReplicaRegions: ['us-east-2', 'us-east-1'] });
 * // ['us-west-2', 'us-east-2', 'us-east-1']
 */
export function controlPlaneRegionsOf(fleet: Pick<FleetConfig, 'controlPlaneRegion' | 'controlPlaneReplicaRegions'>): string[] {
  return [fleet.controlPlaneRegion, ...(fleet.controlPlaneReplicaRegions ?? [])];
}

/** Kept apart from the schema (src/config/groups.ts) so code that runs in a Lambda does not pull in zod. */
export { connectionCheckOf, initialPrimaryOf } from './groups.js';

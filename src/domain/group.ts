import type { FailoverMode, FencingMode, RegionName } from './types.js';

/**
 * A failover group as the core sees it: its regions and their resources, how traffic reaches them, and the policy the
 * rules apply. The domain, the ports and the machine speak these types; the configuration file is decoded and checked
 * by src/config/schema.ts, whose parsed group the compiler holds to this shape in both directions (`GroupConfig`), so
 * the mapping at the edge is the identity and cannot drift.
 *
 * @example
 * function budgetOf(group: FailoverGroup): number {
 *   return group.policy.maxReplicaLagSeconds;
 * }
 */
export interface FailoverGroup {
  readonly id: string;
  readonly environment: string;
  readonly mode: FailoverMode;
  readonly regions: Record<RegionName, RegionSetup>;
  readonly dns: DnsSetup;
  readonly trafficSwitch?: HaproxyTrafficSetup | undefined;
  readonly notifications: { readonly topicArn: string };
  readonly policy: FailoverPolicy;
  /** The orchestrate shard that acts on this group (src/domain/shards.ts); absent: `default`. */
  readonly shard?: string | undefined;
}

/** One region of a group: its database, its health endpoints, where its traffic goes. */
export interface RegionSetup {
  readonly database: DatabaseSetup;
  healthEndpoints: HealthEndpoint[];
  readonly dnsTarget: DnsTarget;
  /** Among eligible replicas the highest priority is promoted. */
  readonly failoverPriority: number;
  /** The writer when the group is first seen (exactly one region). */
  readonly initialPrimary: boolean;
}

/** An HTTP health endpoint of a region's application: a probe passes on `expectedStatus` within `timeoutMs`. */
export interface HealthEndpoint {
  readonly url: string;
  readonly timeoutMs: number;
  readonly expectedStatus: number;
  readonly bodyContains?: string | undefined;
}

/** Where a connection check's password comes from; never the password itself. */
export type PasswordSource =
  | { readonly kind: 'secrets-manager'; readonly secretArn: string }
  | { readonly kind: 'environment'; readonly variable: string }
  | { readonly kind: 'rds-iam' };

/** A data-plane check of a region's database from the observers: connect, `SELECT 1`, close, within `timeoutMs`. */
export interface ConnectionCheck {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly passwordFrom: PasswordSource;
  readonly tls: 'verify-full' | 'require';
  readonly timeoutMs: number;
}

export interface RdsInstanceSetup {
  readonly kind: 'rds-instance';
  readonly instanceId: string;
  readonly instanceArn: string;
  /** Applied when the fencing mode is `read-only-parameter-group`. */
  readonly readOnlyParameterGroup?: string | undefined;
  readonly connectionCheck?: ConnectionCheck | undefined;
}

export interface AuroraGlobalSetup {
  readonly kind: 'aurora-global';
  readonly globalClusterId: string;
  readonly clusterArn: string;
  readonly connectionCheck?: ConnectionCheck | undefined;
}

/** A self-managed PostgreSQL server reached with the pg client: a url, or host/port/user/database. */
export interface PostgresSetup {
  readonly kind: 'postgres';
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly database?: string | undefined;
  /** The environment variable that holds the password; never the password itself. */
  readonly passwordFrom?: { readonly env: string } | undefined;
  /** A connection or query slower than this counts as unreachable. */
  readonly connectTimeoutMs: number;
  /** pg_promote(wait => true, wait_seconds => N). */
  readonly promoteWaitSeconds: number;
}

export type DatabaseSetup = RdsInstanceSetup | AuroraGlobalSetup | PostgresSetup;

export type DnsTarget =
  | { readonly type: 'CNAME'; readonly value: string }
  | { readonly type: 'A' | 'AAAA'; readonly aliasHostedZoneId: string; readonly aliasDnsName: string };

/** How traffic is switched: `record` (Route 53 control plane) or `arc-routing-control` (ARC data plane). */
export type TrafficSwitch = 'record' | 'arc-routing-control';

export interface ArcRoutingControls {
  clusterEndpoints: { readonly region: RegionName; readonly endpoint: string }[];
  readonly routingControls: Record<RegionName, string>;
}

/** A connection proxy whose backend server is switched at run time (HAProxy's runtime API), instead of the record. */
export interface HaproxyTrafficSetup {
  readonly kind: 'haproxy';
  readonly runtimeApi: string;
  readonly backend: string;
  /** How clients connect through the proxy: the switch is verified by connecting here. */
  readonly clientUrl: string;
  readonly passwordFrom?: { readonly env: string } | undefined;
}

export interface DnsSetup {
  readonly hostedZoneId: string;
  readonly recordName: string;
  readonly type: 'CNAME' | 'A' | 'AAAA';
  readonly ttlSeconds: number;
  readonly switch: TrafficSwitch;
  readonly arc?: ArcRoutingControls | undefined;
  /** The hosted zone's authoritative name servers, asked directly which target they answer. */
  nameServers?: string[] | undefined;
}

/** The step timeouts of a failover, in seconds. */
export interface StepTimeouts {
  readonly fencingSeconds: number;
  readonly drainingSeconds: number;
  readonly promotionSeconds: number;
  readonly trafficSwitchSeconds: number;
  readonly dnsSyncSeconds: number;
  readonly verificationSeconds: number;
}

/** The rules a group's failover follows: detection, the lag budget (RPO), retries, timeouts, fencing, targets. */
export interface FailoverPolicy {
  readonly probeIntervalSeconds: number;
  readonly failureThreshold: number;
  readonly recoveryThreshold: number;
  readonly observerQuorum: number;
  /** The RPO budget: automatic failover only to a replica at most this far behind. */
  readonly maxReplicaLagSeconds: number;
  readonly cooldownSeconds: number;
  readonly maxStepAttempts: number;
  readonly stepTimeouts: StepTimeouts;
  readonly fencing: FencingMode;
  readonly targets: { readonly rtoSeconds: number; readonly detectionSeconds: number };
}

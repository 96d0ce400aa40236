import { ControlPlaneConfigSchema, type ControlPlaneConfig, type ControlPlaneConfigInput } from '../../config/schema.js';
import type { LocalPostgresCluster } from './LocalPostgresCluster.js';

/** The three "regions" of the postgres world: one server each, the first the primary. */
export const POSTGRES_WORLD_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;

export interface PostgresWorldConfigOptions {
  readonly cluster: LocalPostgresCluster;
  /** Health endpoint per region (the drill's HTTP servers); default a placeholder URL. */
  readonly healthUrls?: Readonly<Record<string, string>>;
  readonly policy?: NonNullable<ControlPlaneConfigInput['groups'][number]['policy']>;
  readonly mode?: 'automatic' | 'approval' | 'manual';
  /** Each health endpoint's timeout; default 1500 ms, less for probes every second (it must fit in an interval). */
  readonly endpointTimeoutMs?: number;
  /** HAProxy in front of the servers: the group switches traffic there instead of a DNS record. */
  readonly proxy?: { readonly runtimeApi: string; readonly clientUrl: string; readonly backend: string };
}

/**
 * A validated configuration for a group whose regions are the servers of a local cluster (`kind: postgres`, each
 * region's url the server's), as a self-hosting team would write it, with the world's observers.
 *
 * @example
 * const config = postgresWorldConfig({ cluster });
 * config.groups[0].regions['us-east-1'].database; // { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:41234/postgres', ... }
 */
export function postgresWorldConfig(options: PostgresWorldConfigOptions): ControlPlaneConfig {
  const names = options.cluster.servers.map((server) => server.name);
  const regions = Object.fromEntries(
    options.cluster.servers.map((server, index) => [
      server.name,
      {
        initialPrimary: index === 0,
        failoverPriority: 100 - index * 10,
        database: { kind: 'postgres' as const, url: server.url, connectTimeoutMs: 1_500, promoteWaitSeconds: 30 },
        healthEndpoints: [{ url: options.healthUrls?.[server.name] ?? `http://127.0.0.1:1/${server.name}/health`, timeoutMs: options.endpointTimeoutMs ?? endpointTimeoutFor(options.policy?.probeIntervalSeconds) }],
        dnsTarget: { type: 'CNAME' as const, value: `orders.${server.name}.postgres.internal` },
      },
    ]),
  );
  const input: ControlPlaneConfigInput = {
    fleet: { observerRegions: names, controlPlaneRegion: 'us-west-2' },
    groups: [
      {
        id: 'orders',
        environment: 'staging',
        mode: options.mode ?? 'automatic',
        regions,
        dns: { hostedZoneId: 'Z0POSTGRES0000', recordName: 'orders.postgres.internal', type: 'CNAME', ttlSeconds: 5 },
        ...(options.proxy === undefined ? {} : { trafficSwitch: { kind: 'haproxy' as const, ...options.proxy } }),
        notifications: { topicArn: 'arn:aws:sns:us-west-2:000000000000:failover-postgres-drill' },
        policy: { fencing: 'read-only-parameter-group', ...options.policy },
      },
    ],
  };
  return ControlPlaneConfigSchema.parse(input);
}

/** 1500 ms, or 80 % of a shorter probe interval: an endpoint's timeout must fit in one interval. */
function endpointTimeoutFor(probeIntervalSeconds: number | undefined): number {
  return Math.min(1_500, Math.floor((probeIntervalSeconds ?? 10) * 800));
}

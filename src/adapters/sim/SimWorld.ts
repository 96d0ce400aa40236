import type { GroupConfig, HealthEndpoint } from '../../config/schema.js';
import type { EpochMs, HttpProbeResult, RegionName } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';
import type { Database } from '../../ports/Database.js';
import type { Prober } from '../../ports/Prober.js';
import { HealthServer } from './HealthServer.js';
import type { HealthBehaviour, HealthyAnswer } from './HealthServer.js';
import { SimDatabases } from './SimDatabases.js';
import type { CrashStatus, DataLossFacts, SimApiError, SimReplicaTimings } from './SimDatabases.js';
import { SimHostedZone } from './SimHostedZone.js';
import type { DnsThrottleCode } from './SimHostedZone.js';
import { SimTopic } from './SimTopic.js';

/** The world's knobs, in simulated time. */
export interface SimTimings {
  /** RDS promote-read-replica: `modifying` for this long, then a writable standalone. */
  readonly promotionSeconds: number;
  /** Route 53: a change is PENDING for this long, then INSYNC. */
  readonly dnsSyncSeconds: number;
  /** Stop-instance fencing: `stopping` for this long, then `stopped`. */
  readonly stopSeconds: number;
  /** Latency of every simulated AWS API call. */
  readonly apiLatencyMs: number;
  /** Writes the primary accepts per second. */
  readonly writesPerSecond: number;
  /** Base replication delay of every replica. */
  readonly replicaLagSeconds: number;
  /** Per-region replica knobs: extra lag, slower apply. */
  readonly regions: Readonly<Record<RegionName, SimReplicaTimings>>;
}

export const DEFAULT_SIM_TIMINGS: SimTimings = {
  promotionSeconds: 90,
  dnsSyncSeconds: 40,
  stopSeconds: 30,
  apiLatencyMs: 250,
  writesPerSecond: 20,
  replicaLagSeconds: 1,
  regions: {},
};

/** A fault the world can inject; `world.inject` answers a handle whose `clear()` undoes it. */
export type SimFault =
  /** The whole region: health endpoints refuse connections, the database is unreachable, replication stops. */
  | { readonly kind: 'region-outage'; readonly region: RegionName }
  /** The database fails (status `failed` or `stopped`) while the app's HTTP endpoints still answer. */
  | { readonly kind: 'database-crash'; readonly region: RegionName; readonly status?: CrashStatus }
  /** A promotion started on this replica does not finish until the fault is cleared. */
  | { readonly kind: 'promotion-stuck'; readonly region: RegionName }
  /** The next `attempts` promote calls fail with InvalidDBInstanceState (a RetryableStepError). */
  | { readonly kind: 'promotion-invalid-state'; readonly region: RegionName; readonly attempts: number }
  /** The next `calls` pointTo calls fail with Throttling or PriorRequestNotComplete (a RetryableStepError). */
  | { readonly kind: 'dns-throttle'; readonly calls: number; readonly code?: DnsThrottleCode }
  /**
   * The Route 53 control plane (its API, served from us-east-1) is impaired: record changes and change lookups fail.
   * DNS answers (the data plane) and a data-plane traffic switch (ARC routing controls) are unaffected.
   */
  | { readonly kind: 'route53-control-plane-outage' }
  /** The region's health endpoints misbehave (the database is untouched). */
  | { readonly kind: 'http'; readonly region: RegionName; readonly behaviour: HealthBehaviour }
  /** The observer cannot reach the region: its probes fail and its database view shows `unreachable`. */
  | { readonly kind: 'partition'; readonly observer: RegionName; readonly region: RegionName }
  /** The RDS API reports a transitional `status` (e.g. `storage-optimization`) while the database serves as usual. */
  | { readonly kind: 'status-blip'; readonly region: RegionName; readonly status: string }
  /** The region's RDS API answers 5xx (`server-error`) or throttles; the database itself is fine. */
  | { readonly kind: 'rds-api-errors'; readonly region: RegionName; readonly error: SimApiError }
  /** The region's replica falls behind: extra transport lag and/or a slower apply rate. */
  | ({ readonly kind: 'replica-lag'; readonly region: RegionName } & SimReplicaTimings);

export interface SimFaultHandle {
  readonly fault: SimFault;
  readonly injectedAt: EpochMs;
  clear(): Promise<void>;
}

/** A stretch the world kept a failover waiting (`outsideWaits`); `endedAt` undefined: still going. */
export interface SimOutsideWait {
  readonly kind: 'promotion' | 'replication' | 'dns-sync' | 'aws-unavailable' | 'aws-throttled';
  /** The replica a `replication` wait is about. */
  readonly region?: RegionName;
  readonly startedAt: EpochMs;
  readonly endedAt?: EpochMs;
}

export interface SimFaultLogEntry {
  readonly at: EpochMs;
  readonly action: 'injected' | 'cleared';
  readonly fault: SimFault;
}

/**
 * A simulated multi-region world for drills: per-region RDS databases with replication and data loss,
 * a Route 53 hosted zone, an SNS topic, and real HTTP health endpoints on 127.0.0.1, all in the simulated
 * time of one Clock. It implements the same ports as the AWS adapters, so the real executor runs against it.
 *
 * @example
 * const world = await SimWorld.create(group, { clock: new ManualClock(Date.now()) }); // the drill passes its DrillClock
 * const outage = await world.inject({ kind: 'region-outage', region: 'eu-west-1' });
 * // run the control plane with world.group, world.database, world.traffic, world.notifier, world.proberFor(...)
 * await outage.clear();
 * await world.close();
 */
export class SimWorld {
  /** The group with every health endpoint's URL rewritten to this world's local servers. */
  readonly group: GroupConfig;
  readonly clock: Clock;
  readonly timings: SimTimings;
  readonly databases: SimDatabases;
  /** The control plane's view of the databases (no partition applies). */
  readonly database: Database;
  readonly traffic: SimHostedZone;
  readonly notifier: SimTopic;
  private readonly servers: ReadonlyMap<RegionName, HealthServer>;
  private readonly partitions = new Set<string>();
  private readonly outages = new Set<RegionName>();
  private readonly httpFaults = new Map<RegionName, HealthBehaviour>();
  private readonly log: SimFaultLogEntry[] = [];

  private constructor(
    group: GroupConfig,
    clock: Clock,
    timings: SimTimings,
    servers: ReadonlyMap<RegionName, HealthServer>,
    endpointTimeoutMs: number | undefined,
  ) {
    this.clock = clock;
    this.timings = timings;
    this.servers = servers;
    this.group = rewriteEndpoints(group, servers, endpointTimeoutMs);
    this.databases = new SimDatabases(this.group, clock, timings, (observer, region) => this.isPartitioned(observer, region));
    this.database = this.databases.viewFrom(undefined);
    this.traffic = new SimHostedZone(this.group, clock, timings);
    this.notifier = new SimTopic(clock);
  }

  /**
   * Builds the world for `group` and starts one health server per region.
   * `endpointTimeoutMs` replaces every endpoint's `timeoutMs` in `world.group`: HTTP runs in real time, so under a
   * compressed clock a 2 s probe timeout would last `factor` × 2 s of simulated time; pass a short one (e.g. 100).
   */
  static async create(
    group: GroupConfig,
    options: { clock: Clock; timings?: Partial<SimTimings>; endpointTimeoutMs?: number },
  ): Promise<SimWorld> {
    const timings = { ...DEFAULT_SIM_TIMINGS, ...options.timings };
    const servers = new Map<RegionName, HealthServer>();
    try {
      for (const [name, region] of Object.entries(group.regions)) {
        servers.set(name, await HealthServer.start({ clock: options.clock, answers: healthyAnswers(region.healthEndpoints) }));
      }
    } catch (error) {
      await Promise.all([...servers.values()].map((server) => server.close()));
      throw error;
    }
    return new SimWorld(group, options.clock, timings, servers, options.endpointTimeoutMs);
  }

  get regions(): RegionName[] {
    return Object.keys(this.group.regions);
  }

  /** The health server of `region` (its URLs, its current behaviour, its request count). */
  server(region: RegionName): HealthServer {
    this.requireRegion(region);
    return this.servers.get(region) as HealthServer;
  }

  /** A Prober for probes run from `observer`: endpoints of partitioned regions fail without a request. */
  proberFor(observer: RegionName, prober: Prober): Prober {
    return {
      probe: async (endpoints) => {
        const blocked = endpoints.map((endpoint) => {
          const region = this.regionOfUrl(endpoint.url);
          return region !== undefined && this.isPartitioned(observer, region) ? region : undefined;
        });
        const reachable = endpoints.filter((_, index) => blocked[index] === undefined);
        const answers = reachable.length === 0 ? [] : await prober.probe(reachable);
        let next = 0;
        return endpoints.map((endpoint, index): HttpProbeResult => {
          const region = blocked[index];
          if (region === undefined) return answers[next++] as HttpProbeResult;
          return { url: endpoint.url, ok: false, latencyMs: 0, error: `partitioned: ${observer} cannot reach ${region}` };
        });
      },
    };
  }

  /** The databases as seen from `observer`: a partitioned region's database is `unreachable`. */
  databaseFor(observer: RegionName): Database {
    return this.databases.viewFrom(observer);
  }

  isPartitioned(observer: RegionName, region: RegionName): boolean {
    return this.partitions.has(partitionKey(observer, region));
  }

  /** Injects `fault` now; the handle's `clear()` undoes it. */
  async inject(fault: SimFault): Promise<SimFaultHandle> {
    const undo = await this.apply(fault);
    const injectedAt = this.clock.now();
    this.log.push({ at: injectedAt, action: 'injected', fault });
    let cleared = false;
    return {
      fault,
      injectedAt,
      clear: async () => {
        if (cleared) return;
        cleared = true;
        await undo();
        this.log.push({ at: this.clock.now(), action: 'cleared', fault });
      },
    };
  }

  /** Injections and clearings so far, oldest first (the drill report takes its fault time from here). */
  faultLog(): readonly SimFaultLogEntry[] {
    return [...this.log];
  }

  /**
   * What a failover in this world waited on outside the control plane, as the world timed it: each promotion (from the
   * accepted promote call to a writable instance), each replica's catch-up after a read-only fence (a drain), each DNS
   * change (from its submission to INSYNC), each stretch of Route 53 API refusals. The drill report subtracts these from the RTO to get the control plane's overhead.
   */
  outsideWaits(): SimOutsideWait[] {
    return [
      ...this.databases.promotions().map((promotion) => ({
        kind: 'promotion' as const,
        startedAt: promotion.startedAt,
        ...(promotion.doneAt === undefined ? {} : { endedAt: promotion.doneAt }),
      })),
      ...this.databases.catchUps().map((catchUp) => ({
        kind: 'replication' as const,
        region: catchUp.region,
        startedAt: catchUp.startedAt,
        endedAt: catchUp.doneAt,
      })),
      ...this.traffic.changes().map((change) => ({ kind: 'dns-sync' as const, startedAt: change.submittedAt, endedAt: change.inSyncAt })),
      ...this.traffic.unavailability().map((refusal) => ({ kind: 'aws-unavailable' as const, ...refusal })),
      ...this.traffic.throttling().map((stretch) => ({ kind: 'aws-throttled' as const, ...stretch })),
    ];
  }

  /** Writes accepted, applied and lost, for the drill report. */
  dataLoss(): DataLossFacts {
    return this.databases.dataLoss();
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.close()));
  }

  private async apply(fault: SimFault): Promise<() => Promise<void>> {
    switch (fault.kind) {
      case 'region-outage': {
        this.requireRegion(fault.region);
        this.outages.add(fault.region);
        this.databases.setRegionDown(fault.region, true);
        await this.refreshHttp(fault.region);
        return async () => {
          this.outages.delete(fault.region);
          this.databases.setRegionDown(fault.region, false);
          await this.refreshHttp(fault.region);
        };
      }
      case 'database-crash':
        this.databases.setCrashed(fault.region, fault.status ?? 'failed');
        return async () => this.databases.setCrashed(fault.region, undefined);
      case 'status-blip':
        this.requireRegion(fault.region);
        this.databases.setStatusBlip(fault.region, fault.status);
        return async () => this.databases.setStatusBlip(fault.region, undefined);
      case 'rds-api-errors':
        this.requireRegion(fault.region);
        this.databases.setApiError(fault.region, fault.error);
        return async () => this.databases.setApiError(fault.region, undefined);
      case 'promotion-stuck':
        this.databases.setPromotionStuck(fault.region, true);
        return async () => this.databases.setPromotionStuck(fault.region, false);
      case 'promotion-invalid-state':
        this.databases.setInvalidStateAttempts(fault.region, fault.attempts);
        return async () => this.databases.setInvalidStateAttempts(fault.region, 0);
      case 'dns-throttle':
        this.traffic.throttle(fault.calls, fault.code);
        return async () => this.traffic.throttle(0);
      case 'route53-control-plane-outage':
        this.traffic.setControlPlaneDown(true);
        return async () => this.traffic.setControlPlaneDown(false);
      case 'http':
        this.requireRegion(fault.region);
        this.httpFaults.set(fault.region, fault.behaviour);
        await this.refreshHttp(fault.region);
        return async () => {
          this.httpFaults.delete(fault.region);
          await this.refreshHttp(fault.region);
        };
      case 'partition':
        this.requireRegion(fault.region);
        this.partitions.add(partitionKey(fault.observer, fault.region));
        return async () => {
          this.partitions.delete(partitionKey(fault.observer, fault.region));
        };
      case 'replica-lag': {
        const normal = this.timings.regions[fault.region] ?? {};
        this.databases.setReplicaTimings(fault.region, fault);
        return async () =>
          this.databases.setReplicaTimings(fault.region, {
            extraLagSeconds: normal.extraLagSeconds ?? 0,
            applyWritesPerSecond: normal.applyWritesPerSecond ?? Number.POSITIVE_INFINITY,
          });
      }
    }
  }

  /** An outage wins over an HTTP fault; with neither, the region is healthy. */
  private async refreshHttp(region: RegionName): Promise<void> {
    const behaviour: HealthBehaviour = this.outages.has(region)
      ? { kind: 'refused' }
      : (this.httpFaults.get(region) ?? { kind: 'healthy' });
    await this.server(region).setBehaviour(behaviour);
  }

  /** Faults name regions of this group; a typo should fail the drill, not silently do nothing. */
  private requireRegion(region: RegionName): void {
    if (!this.servers.has(region)) throw new RangeError(`the simulated world has no region ${region}`);
  }

  private regionOfUrl(url: string): RegionName | undefined {
    const origin = new URL(url).origin;
    return [...this.servers].find(([, server]) => server.origin === origin)?.[0];
  }
}

function partitionKey(observer: RegionName, region: RegionName): string {
  return `${observer}->${region}`;
}

function healthyAnswers(endpoints: readonly HealthEndpoint[]): Map<string, HealthyAnswer> {
  return new Map(
    endpoints.map((endpoint) => [new URL(endpoint.url).pathname, { status: endpoint.expectedStatus, body: endpoint.bodyContains ?? 'ok' }]),
  );
}

/** Keeps each endpoint's path, query and expectations; the origin moves to the local server, the timeout if asked. */
function rewriteEndpoints(
  group: GroupConfig,
  servers: ReadonlyMap<RegionName, HealthServer>,
  timeoutMs: number | undefined,
): GroupConfig {
  const regions = Object.fromEntries(
    Object.entries(group.regions).map(([name, region]) => {
      const server = servers.get(name) as HealthServer;
      const healthEndpoints = region.healthEndpoints.map((endpoint) => {
        const original = new URL(endpoint.url);
        return { ...endpoint, url: server.urlFor(`${original.pathname}${original.search}`), timeoutMs: timeoutMs ?? endpoint.timeoutMs };
      });
      return [name, { ...region, healthEndpoints }];
    }),
  );
  return { ...structuredClone(group), regions };
}

import {
  GetRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
  type Route53RecoveryClusterClient,
} from '@aws-sdk/client-route53-recovery-cluster';
import type { GroupConfig } from '../../../config/schema.js';
import { FatalStepError, RetryableStepError } from '../../../domain/errors.js';
import type { RegionName } from '../../../domain/types.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../../ports/Traffic.js';
import { throwMapped } from '../errors.js';
import { ARC_CHANGE_PREFIX, isRoutingControlChange } from './changeIds.js';

export { isRoutingControlChange };

/** Asks the zone's authoritative name servers which region's target they answer (see `AuthoritativeAnswers`). */
export interface DnsAnswers {
  regionAnswered(group: GroupConfig): Promise<RegionName | undefined>;
}

export interface ClusterEndpoint {
  readonly region: string;
  readonly endpoint: string;
}

/** Errors that another endpoint would answer the same way: stop rotating and report. */
const FINAL_ERRORS = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'ValidationException', 'ConflictException']);

type ArcGroup = GroupConfig & { dns: { arc: NonNullable<GroupConfig['dns']['arc']> } };

/**
 * The Traffic port on Route 53 Application Recovery Controller routing controls: one per region, each wired to that
 * region's Route 53 record by a health check, so DNS answers the region whose control is On. Only ARC's data plane
 * is called (the cluster's five regional endpoints, tried in turn until one answers): no Route 53 API call, so a
 * switch works while the Route 53 control plane is impaired.
 *
 * - `pointTo` reads every control's state, and unless only the target is On, sets all of them in one
 *   `UpdateRoutingControlStates` call (target On, the others Off): there is never a moment with zero or two On.
 * - `currentRegion` and `changeStatus` ask the zone's authoritative name servers (DNS), which is what clients will get.
 *
 * @example
 * const traffic = new ArcRoutingControlTraffic({ client: (endpoint) => new Route53RecoveryClusterClient({ region: endpoint.region, endpoint: endpoint.endpoint }), dns: new AuthoritativeAnswers(), groups });
 */
export class ArcRoutingControlTraffic implements Traffic {
  readonly #client: (endpoint: ClusterEndpoint) => Route53RecoveryClusterClient;
  readonly #dns: DnsAnswers;
  readonly #groups: (groupId: string) => GroupConfig | undefined;
  /** Per cluster (its first endpoint's URL), the endpoint that answered last: tried first next time. */
  readonly #preferred = new Map<string, number>();

  constructor(options: {
    client: (endpoint: ClusterEndpoint) => Route53RecoveryClusterClient;
    dns: DnsAnswers;
    groups: (groupId: string) => GroupConfig | undefined;
  }) {
    this.#client = options.client;
    this.#dns = options.dns;
    this.#groups = options.groups;
  }

  /**
   * The region whose target the zone's authoritative name servers answer now (a DNS query, not an API call).
   *
   * @example
   * await traffic.currentRegion(group); // 'eu-west-1'
   */
  currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    return this.#dns.regionAnswered(group);
  }

  /**
   * Turns the target region's routing control On and every other Off, in one call, unless that is already so.
   * `comment` is not sent: routing controls keep no change history (the event log does).
   *
   * @example
   * await traffic.pointTo(group, 'us-east-1', 'failover fo-1'); // { changed: true, changeId: 'arc:orders:us-east-1' }
   */
  async pointTo(group: GroupConfig, region: RegionName, _comment: string): Promise<PointToResult> {
    const arc = arcOf(group);
    const controls = Object.entries(arc.dns.arc.routingControls);
    if (arc.dns.arc.routingControls[region] === undefined) {
      throw new FatalStepError(`group ${group.id} has no routing control for region ${region}`, { groupId: group.id, region });
    }
    const states = await this.routingControlStates(group);
    const alreadyThere = controls.every(([controlRegion]) => states[controlRegion] === (controlRegion === region ? 'On' : 'Off'));
    if (alreadyThere) return { changed: false };
    await this.#onSomeEndpoint(arc, 'route53-recovery-cluster:UpdateRoutingControlStates', region, (client) =>
      client.send(
        new UpdateRoutingControlStatesCommand({
          UpdateRoutingControlStateEntries: controls.map(([controlRegion, arn]) => ({
            RoutingControlArn: arn,
            RoutingControlState: controlRegion === region ? 'On' : 'Off',
          })),
        }),
      ),
    );
    return { changed: true, changeId: `${ARC_CHANGE_PREFIX}${group.id}:${region}` };
  }

  /**
   * INSYNC once the zone's authoritative name servers answer the switched-to region's target.
   *
   * @example
   * await traffic.changeStatus('arc:orders:us-east-1'); // 'PENDING', then 'INSYNC'
   */
  async changeStatus(changeId: string): Promise<ChangeStatus> {
    const [groupId, region] = changeId.slice(ARC_CHANGE_PREFIX.length).split(':');
    const group = groupId === undefined ? undefined : this.#groups(groupId);
    if (!changeId.startsWith(ARC_CHANGE_PREFIX) || group === undefined || region === undefined) {
      throw new FatalStepError(`${changeId} is not a routing control switch of a configured group`);
    }
    return (await this.#dns.regionAnswered(group)) === region ? 'INSYNC' : 'PENDING';
  }

  /**
   * Each routing control's state, read from the cluster's data plane (GetRoutingControlState).
   *
   * @example
   * await traffic.routingControlStates(group); // { 'eu-west-1': 'On', 'us-east-1': 'Off' }
   */
  async routingControlStates(group: GroupConfig): Promise<Record<RegionName, 'On' | 'Off'>> {
    const arc = arcOf(group);
    const entries = await Promise.all(
      Object.entries(arc.dns.arc.routingControls).map(async ([region, arn]) => {
        const output = await this.#onSomeEndpoint(arc, 'route53-recovery-cluster:GetRoutingControlState', region, (client) =>
          client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn })),
        );
        return [region, output.RoutingControlState === 'On' ? 'On' : 'Off'] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * Runs `call` on the cluster's endpoints in turn, starting with the one that answered last, until one answers.
   * ARC keeps at least three of the five available; each is cycled out now and then for maintenance.
   */
  async #onSomeEndpoint<T>(
    group: ArcGroup,
    action: string,
    region: RegionName,
    call: (client: Route53RecoveryClusterClient) => Promise<T>,
  ): Promise<T> {
    const endpoints = group.dns.arc.clusterEndpoints;
    const cluster = endpoints[0]?.endpoint ?? '';
    const start = this.#preferred.get(cluster) ?? 0;
    const failures: string[] = [];
    for (let offset = 0; offset < endpoints.length; offset += 1) {
      const index = (start + offset) % endpoints.length;
      const endpoint = endpoints[index]!;
      try {
        const output = await call(this.#client(endpoint));
        this.#preferred.set(cluster, index);
        return output;
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        const resource = `${group.dns.arc.routingControls[region] ?? region} via ${endpoint.endpoint}`;
        if (typeof name === 'string' && FINAL_ERRORS.has(name)) {
          if (name === 'ConflictException' || name === 'ValidationException') {
            throw new FatalStepError(`${action} on ${resource} refused: ${(error as Error).message} (a safety rule, or a bad routing control)`, {
              groupId: group.id,
              region,
              step: 'switchingTraffic',
              cause: error,
            });
          }
          throwMapped(error, { action, resource, groupId: group.id, region });
        }
        failures.push(`${endpoint.region}: ${typeof name === 'string' ? name : 'Error'}: ${(error as Error).message}`);
      }
    }
    throw new RetryableStepError(`${action}: no cluster endpoint answered (${failures.join('; ')})`, { groupId: group.id, region });
  }
}

function arcOf(group: GroupConfig): ArcGroup {
  if (group.dns.arc === undefined) {
    throw new FatalStepError(`group ${group.id}: dns.switch is ${group.dns.switch}, not arc-routing-control`, { groupId: group.id });
  }
  return group as ArcGroup;
}

import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { ArcRoutingControlTraffic } from '../adapters/aws/arc/ArcRoutingControlTraffic.js';
import { AuthoritativeAnswers } from '../adapters/dns/AuthoritativeAnswers.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import type { Traffic } from '../ports/Traffic.js';
import type { ClientConfigFor } from './lambda.js';

/**
 * The traffic switch of the groups with `dns.switch: arc-routing-control`: ARC routing controls through the cluster's
 * regional endpoints (one SDK client per endpoint, signed for the endpoint's region), verified by asking the zone's
 * authoritative name servers. Apart from src/composition/lambda.ts so that a Lambda artifact whose configuration has no
 * such group can leave the adapter and its SDK client out: scripts/package.mjs then resolves this module to
 * arcTrafficUnavailable.ts.
 *
 * @example
 * const arc = arcRoutingControlTraffic(config, (region) => clientConfig(region, { credentials: fromEnv() }));
 */
export function arcRoutingControlTraffic(config: ControlPlaneConfig, clients: ClientConfigFor): Traffic {
  const arcClients = new Map<string, Route53RecoveryClusterClient>();
  return new ArcRoutingControlTraffic({
    client: ({ region: endpointRegion, endpoint }) => {
      let client = arcClients.get(endpoint);
      if (client === undefined) {
        client = new Route53RecoveryClusterClient({ ...clients(endpointRegion), endpoint });
        arcClients.set(endpoint, client);
      }
      return client;
    },
    dns: new AuthoritativeAnswers(),
    groups: (groupId) => config.groups.find((group) => group.id === groupId),
  });
}

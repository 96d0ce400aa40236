import type { FailoverGroup } from './group.js';

/**
 * What an operator must know about a group's traffic switch before relying on it in a regional outage: the plain
 * record flip calls the Route 53 control plane (ChangeResourceRecordSets, GetChange), whose API is served from
 * us-east-1 only, after the promotion, past the point of no return. The data-plane switches call no such API.
 *
 * @example
 * trafficSwitchWarnings(group); // ['traffic switch: dns.switch is record: ...'] for a record flip, [] otherwise
 */
export function trafficSwitchWarnings(group: FailoverGroup): string[] {
  if (group.dns.switch !== 'record') return [];
  return [
    `traffic switch: dns.switch is record: switching ${group.dns.recordName} calls the Route 53 control plane ` +
      '(ChangeResourceRecordSets, GetChange; served from us-east-1). If it is impaired, the failover stalls after the ' +
      'promotion, at switchingTraffic. A data-plane switch (dns.switch: arc-routing-control) does not depend on it: ' +
      'see docs/deployment.md.',
  ];
}

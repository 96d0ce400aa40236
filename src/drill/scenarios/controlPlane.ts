import type { Scenario } from './types.js';

/**
 * Scenarios about the control plane's own dependencies (issue #12): its regions, and the Route 53 control plane.
 * Same world and timings as the library's scenarios (see library.ts).
 */

const PRIMARY = 'eu-west-1';
const REPLICA = 'us-east-1';
const OUTAGE = { kind: 'inject', fault: { kind: 'region-outage', region: PRIMARY } } as const;
const ROUTE53_API_DOWN = { kind: 'inject', fault: { kind: 'route53-control-plane-outage' }, id: 'route53-api' } as const;
const FAILOVER_TIME_BOX = 420;

export const controlPlaneRegionOutage: Scenario = {
  name: 'control-plane-region-outage',
  description:
    'The control plane runs in three regions (eu-west-2, eu-west-3, eu-central-1) on one strongly consistent table. ' +
    'The primary region goes dark; the executor that fails over dies, with its whole control-plane region, right after ' +
    'it asked RDS to promote. Its lease expires; an executor in another control-plane region finishes the failover. ' +
    'The replica is promoted exactly once.',
  controlPlaneRegions: ['eu-west-2', 'eu-west-3', 'eu-central-1'],
  script: [
    { at: { seconds: 0 }, action: { kind: 'crash-executor', at: 'promote', regionDown: true } },
    { at: { seconds: 10 }, action: OUTAGE },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, maxRtoSeconds: 300, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const route53ControlPlaneOutage: Scenario = {
  name: 'route53-control-plane-outage',
  description:
    'The Route 53 API (us-east-1) is impaired when the primary region goes dark: the promotion completes, then the ' +
    'record flip fails until the failover stalls at the traffic switch, past the point of no return. The API comes ' +
    'back and an operator runs `retry`: it completes. (`fcp plan` warned that this switch needs the Route 53 API.)',
  script: [
    { at: { seconds: 0 }, action: ROUTE53_API_DOWN },
    { at: { seconds: 10 }, action: OUTAGE },
    { at: { state: 'stalled', plusSeconds: 5 }, action: { kind: 'clear', id: 'route53-api' } },
    { at: { state: 'stalled', plusSeconds: 10 }, action: { kind: 'command', type: 'retry', reason: 'drill: the Route 53 API is back' } },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, visits: ['stalled'], events: { STEP_FAILED: 1 }, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const route53ControlPlaneOutageDataPlaneSwitch: Scenario = {
  name: 'route53-control-plane-outage-data-plane-switch',
  description:
    'The same Route 53 API impairment, for a group that switches traffic with ARC routing controls: the switch uses ' +
    'the data plane only, so the failover completes on time, without stalling.',
  overrides: { trafficSwitch: 'arc-routing-control' },
  script: [
    { at: { seconds: 0 }, action: ROUTE53_API_DOWN },
    { at: { seconds: 10 }, action: OUTAGE },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, maxRtoSeconds: 240, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

/** The scenarios of this file, in the order the library lists them. */
export const CONTROL_PLANE_SCENARIOS: readonly Scenario[] = [
  controlPlaneRegionOutage,
  route53ControlPlaneOutage,
  route53ControlPlaneOutageDataPlaneSwitch,
];

import { CONTROL_PLANE_SCENARIOS } from './controlPlane.js';
import type { Scenario } from './types.js';

/**
 * The drill scenarios, played against `config/drill.yaml`: group `orders`, primary eu-west-1, replicas us-east-1
 * (priority 90) and ap-southeast-2 (80), observers in all three, probes every 5 s, 3 failed rounds and 2 observers
 * to call a region unhealthy, a 30 s RPO budget. Faults start at 10 s so the observers first see a healthy world.
 * Times are simulated seconds; the world's defaults (promotion 90 s, DNS sync 40 s, 20 writes/s, 1 s replica lag)
 * apply unless a scenario changes them.
 */

const PRIMARY = 'eu-west-1';
const REPLICA = 'us-east-1';
const FAR_REPLICA = 'ap-southeast-2';
const OUTAGE = { kind: 'inject', fault: { kind: 'region-outage', region: PRIMARY } } as const;
/** A failover must finish within this; generous, because the point is the end state, the report has the figures. */
const FAILOVER_TIME_BOX = 420;
/** A scenario that expects no failover watches this long: many times the 15 s it takes to detect an outage. */
const WATCH_TIME_BOX = 90;
/** About 2 s of writes: the 1 s replication delay plus the last probe-to-promotion slack. */
const LAG_WORTH_OF_WRITES = 40;

export const primaryRegionOutage: Scenario = {
  name: 'primary-region-outage',
  description: 'The primary region goes dark (HTTP refused, database unreachable): automatic failover to us-east-1.',
  script: [{ at: { seconds: 10 }, action: OUTAGE }],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, maxRtoSeconds: 240, maxLostWrites: LAG_WORTH_OF_WRITES, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const primaryDatabaseCrash: Scenario = {
  name: 'primary-database-crash',
  description: "The primary's database fails while its application still answers 200: the database signal alone fails it over.",
  script: [{ at: { seconds: 10 }, action: { kind: 'inject', fault: { kind: 'database-crash', region: PRIMARY } } }],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, maxRtoSeconds: 240, maxLostWrites: LAG_WORTH_OF_WRITES, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const flappingPrimary: Scenario = {
  name: 'flapping-primary',
  description:
    "The primary's health endpoint answers 503 for 7.5 s, then 200 for 7.5 s, and so on: with probes every 5 s no " +
    'observer sees three failed rounds in a row, so there is no failover.',
  script: [
    {
      at: { seconds: 10 },
      // 1.5 probe intervals: any three rounds 5 s apart span 10 s, more than one 7.5 s failing window.
      action: { kind: 'inject', fault: { kind: 'http', region: PRIMARY, behaviour: { kind: 'flapping', per: 'interval', intervalMs: 7_500 } } },
    },
  ],
  expect: { endState: 'monitoring', primaryRegion: PRIMARY, failover: false },
  timeBoxSeconds: WATCH_TIME_BOX,
};

export const observerPartitioned: Scenario = {
  name: 'observer-partitioned',
  description: 'The us-east-1 observer loses its path to the primary; the other observers still see it: one vote is not a quorum.',
  script: [{ at: { seconds: 10 }, action: { kind: 'inject', fault: { kind: 'partition', observer: REPLICA, region: PRIMARY } } }],
  expect: { endState: 'monitoring', primaryRegion: PRIMARY, failover: false },
  timeBoxSeconds: WATCH_TIME_BOX,
};

export const replicaLagOverBudget: Scenario = {
  name: 'replica-lag-over-budget',
  description:
    'Both replicas fall about 45 s behind (budget 30 s), then the primary region fails: automatic failover is blocked; ' +
    'an operator forces `failover --to us-east-1 --allow-data-loss` and it completes, with the data loss in the report.',
  script: [
    { at: { seconds: 0 }, action: { kind: 'inject', fault: { kind: 'replica-lag', region: REPLICA, extraLagSeconds: 60 } } },
    { at: { seconds: 0 }, action: { kind: 'inject', fault: { kind: 'replica-lag', region: FAR_REPLICA, extraLagSeconds: 60 } } },
    { at: { seconds: 45 }, action: OUTAGE },
    {
      at: { state: 'blocked', plusSeconds: 10 },
      action: {
        kind: 'command',
        type: 'failover',
        targetRegion: REPLICA,
        allowDataLoss: true,
        reason: 'drill: eu-west-1 is gone; accept losing the replica lag',
      },
    },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, visits: ['blocked'], minLostWrites: 1, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const promotionStuck: Scenario = {
  name: 'promotion-stuck',
  description:
    "us-east-1's promotion hangs in `modifying` past the 150 s promotion timeout: the failover stalls; the fault clears " +
    'and an operator runs `retry`: it completes.',
  overrides: { policy: { stepTimeouts: { promotionSeconds: 150 } } },
  script: [
    { at: { seconds: 0 }, action: { kind: 'inject', fault: { kind: 'promotion-stuck', region: REPLICA }, id: 'stuck' } },
    { at: { seconds: 10 }, action: OUTAGE },
    { at: { state: 'stalled', plusSeconds: 5 }, action: { kind: 'clear', id: 'stuck' } },
    { at: { state: 'stalled', plusSeconds: 10 }, action: { kind: 'command', type: 'retry', reason: 'drill: the promotion is moving again' } },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, visits: ['stalled'], promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const dnsThrottled: Scenario = {
  name: 'dns-throttled',
  description: 'Route 53 throttles the first two record changes: the traffic switch is retried and the failover completes.',
  script: [
    { at: { seconds: 0 }, action: { kind: 'inject', fault: { kind: 'dns-throttle', calls: 2 } } },
    { at: { seconds: 10 }, action: OUTAGE },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, events: { STEP_FAILED: 2 }, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const controlPlaneCrash: Scenario = {
  name: 'control-plane-crash',
  description:
    'The executor dies right after it asked RDS to promote, before it could save that: its lease expires, the next ' +
    'run sees the promotion in progress and resumes. The replica is promoted exactly once.',
  script: [
    { at: { seconds: 0 }, action: { kind: 'crash-executor', at: 'promote' } },
    { at: { seconds: 10 }, action: OUTAGE },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const plannedSwitchover: Scenario = {
  name: 'planned-switchover',
  description:
    'An operator moves the primary to us-east-1 while everything is healthy: read-only fencing, the replica drains to ' +
    'lag 0, then promotion. No write is lost.',
  overrides: { policy: { fencing: 'read-only-parameter-group' }, readOnlyParameterGroup: 'orders-read-only' },
  script: [
    { at: { seconds: 15 }, action: { kind: 'command', type: 'switchover', targetRegion: REPLICA, reason: 'drill: planned move to us-east-1' } },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, maxLostWrites: 0, visits: ['failingOver.draining'], promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const approvalMode: Scenario = {
  name: 'approval-mode',
  description: 'The group is in approval mode: the control plane proposes the failover and waits; an operator approves it.',
  overrides: { mode: 'approval' },
  script: [
    { at: { seconds: 10 }, action: OUTAGE },
    { at: { state: 'awaitingApproval', plusSeconds: 10 }, action: { kind: 'command', type: 'approve', reason: 'drill: eu-west-1 is down' } },
  ],
  expect: { endState: 'failedOver', primaryRegion: REPLICA, failover: true, visits: ['awaitingApproval'], promotions: 1 },
  timeBoxSeconds: FAILOVER_TIME_BOX,
};

export const rdsStatusBlip: Scenario = {
  name: 'rds-status-blip',
  description:
    'Storage autoscaling puts the healthy primary in `storage-optimization` (fully operational; RDS may keep it there ' +
    'for hours). A control-plane status is not a dead primary: no failover (#8 §1).',
  script: [{ at: { seconds: 10 }, action: { kind: 'inject', fault: { kind: 'status-blip', region: PRIMARY, status: 'storage-optimization' } } }],
  expect: { endState: 'monitoring', primaryRegion: PRIMARY, failover: false },
  timeBoxSeconds: WATCH_TIME_BOX,
};

export const rdsApiBrownout: Scenario = {
  name: 'rds-api-brownout',
  description:
    "The primary region's RDS API answers 5xx for 30 s, then throttles for 30 s, while the database serves as usual: " +
    'API errors are unknown, never a failure, so there is no failover (#8 §1).',
  script: [
    { at: { seconds: 10 }, action: { kind: 'inject', fault: { kind: 'rds-api-errors', region: PRIMARY, error: 'server-error' }, id: '5xx' } },
    { at: { seconds: 40 }, action: { kind: 'clear', id: '5xx' } },
    { at: { seconds: 40 }, action: { kind: 'inject', fault: { kind: 'rds-api-errors', region: PRIMARY, error: 'throttling' }, id: 'throttling' } },
    { at: { seconds: 70 }, action: { kind: 'clear', id: 'throttling' } },
  ],
  expect: { endState: 'monitoring', primaryRegion: PRIMARY, failover: false },
  timeBoxSeconds: WATCH_TIME_BOX + 30,
};

export const secondFailoverReturnedPrimary: Scenario = {
  name: 'second-failover-returned-primary',
  description:
    'eu-west-1 fails over to us-east-1; eu-west-1 comes back and the operator acknowledges; then us-east-1 fails. ' +
    'ap-southeast-2 still replicates from eu-west-1, so it has none of the writes made on us-east-1: it is orphaned, ' +
    'never promoted automatically, and the group stays blocked until the operator pauses it (#8 §2). No cooldown, so ' +
    'only the topology rule stops a second promotion.',
  overrides: { policy: { cooldownSeconds: 1 } },
  script: [
    { at: { seconds: 10 }, action: { ...OUTAGE, id: 'first-outage' } },
    { at: { state: 'failedOver', plusSeconds: 5 }, action: { kind: 'clear', id: 'first-outage' } },
    { at: { state: 'failedOver', plusSeconds: 30 }, action: { kind: 'command', type: 'acknowledge', reason: 'drill: first failover reviewed' } },
    { at: { state: 'failedOver', plusSeconds: 60 }, action: { kind: 'inject', fault: { kind: 'region-outage', region: REPLICA } } },
    {
      at: { state: 'failedOver', plusSeconds: 180 },
      action: { kind: 'command', type: 'pause', reason: 'drill: us-east-1 is down and no replica follows it; reprotect before anything else' },
    },
  ],
  // The first failover is the last one: the orphaned ap-southeast-2 is never promoted.
  expect: { endState: 'paused', primaryRegion: REPLICA, failover: true, promotions: 1, visits: ['failedOver'] },
  timeBoxSeconds: FAILOVER_TIME_BOX + 180,
};

export const zombiePrimary: Scenario = {
  name: 'zombie-primary',
  description:
    'eu-west-1 fails over to us-east-1 (fencing none: the old primary was unreachable anyway); eu-west-1 comes back ' +
    'writable. Two writers: the control plane raises `split-brain-risk` at once (#8 §5); the operator then pauses the group.',
  script: [
    { at: { seconds: 10 }, action: { ...OUTAGE, id: 'outage' } },
    { at: { state: 'failedOver', plusSeconds: 5 }, action: { kind: 'clear', id: 'outage' } },
    {
      at: { state: 'failedOver', plusSeconds: 60 },
      action: { kind: 'command', type: 'pause', reason: 'drill: two writers; automation off while eu-west-1 is fenced' },
    },
  ],
  expect: { endState: 'paused', primaryRegion: REPLICA, failover: true, promotions: 1, events: { SPLIT_BRAIN_RISK: 1 } },
  timeBoxSeconds: FAILOVER_TIME_BOX + 120,
};

/** Every scenario, the default first. */
export const SCENARIOS: readonly Scenario[] = [
  primaryRegionOutage,
  primaryDatabaseCrash,
  flappingPrimary,
  observerPartitioned,
  replicaLagOverBudget,
  promotionStuck,
  dnsThrottled,
  controlPlaneCrash,
  plannedSwitchover,
  approvalMode,
  rdsStatusBlip,
  rdsApiBrownout,
  secondFailoverReturnedPrimary,
  zombiePrimary,
  ...CONTROL_PLANE_SCENARIOS,
];

export const DEFAULT_SCENARIO = primaryRegionOutage.name;

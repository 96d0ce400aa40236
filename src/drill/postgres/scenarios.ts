import type { PostgresWorldConfigOptions } from './postgresConfig.js';
import type { DrillTrigger, ScenarioExpectation } from '../scenarios/types.js';
import type { OperatorCommandType } from '../../ports/CommandQueue.js';
import type { RegionName } from '../../domain/types.js';

/** What a postgres drill does to the real world, or asks of the control plane. */
export type PostgresAction =
  /** `kill -9` of the region's postmaster: no shutdown, no last WAL shipped. */
  | { readonly kind: 'kill'; readonly region: RegionName }
  /** The killed server starts again on its data directory, as it was: a returning old primary comes back writable. */
  | { readonly kind: 'restart'; readonly region: RegionName }
  /** The replica keeps receiving WAL but stops applying it: its lag grows with the write load. */
  | { readonly kind: 'pause-replay'; readonly region: RegionName }
  | {
      readonly kind: 'command';
      readonly type: OperatorCommandType;
      readonly reason: string;
      readonly targetRegion?: RegionName;
      readonly allowDataLoss?: boolean;
      /**
       * Asked again on the next round when refused, up to 10 times, as an operator would (a refusal because the
       * target looked unhealthy on a starved machine is not the scenario's point).
       */
      readonly retryIfRefused?: boolean;
    };

export interface PostgresScenario {
  readonly name: string;
  readonly description: string;
  readonly policy?: PostgresWorldConfigOptions['policy'];
  readonly script: readonly { readonly at: DrillTrigger; readonly action: PostgresAction }[];
  /** `maxLostWrites` here is counted: acknowledged writes missing on the primary at the end. */
  readonly expect: ScenarioExpectation;
  /** Real seconds after which the drill stops even if the end state was not reached. */
  readonly timeBoxSeconds: number;
  /** After the script's last action, keep watching this long before checking (so a late wrong move shows). */
  readonly settleSeconds?: number;
}

const PRIMARY = 'eu-west-1';
const NEAR = 'us-east-1';
const FAR = 'ap-southeast-2';
const KILL_PRIMARY = { kind: 'kill', region: PRIMARY } as const;
/** Faults start after a few rounds, so every observer first reports a healthy world. */
const FAULT_AT = { seconds: 5 } as const;

/**
 * The real-world scenarios: real servers, real `kill -9`, real HAProxy, real lag. Probes every 2 s, two failed
 * rounds and two observers to call a region down, an RPO budget of 5 s. (Every 1 s works on an idle machine; on a
 * loaded two-core CI machine with DynamoDB Local, rounds then overran two intervals and went stale.)
 */
export const POSTGRES_POLICY = {
  probeIntervalSeconds: 2,
  failureThreshold: 2,
  recoveryThreshold: 2,
  observerQuorum: 2,
  maxReplicaLagSeconds: 5,
  fencing: 'read-only-parameter-group',
  targets: { rtoSeconds: 60, detectionSeconds: 15 },
} as const;

export const postgresPrimaryKilled: PostgresScenario = {
  name: 'postgres-primary-killed',
  description: "kill -9 of the primary's postmaster under a write load: automatic failover to us-east-1 through HAProxy; lost writes counted on the new primary.",
  script: [{ at: FAULT_AT, action: KILL_PRIMARY }],
  // Asynchronous replication: what the primary acknowledged but had not shipped is lost; at 100 writes/s a 5 s budget.
  expect: { endState: 'failedOver', primaryRegion: NEAR, failover: true, maxRtoSeconds: 60, maxLostWrites: 500, promotions: 1 },
  timeBoxSeconds: 120,
};

export const postgresLaggingReplicasBlocked: PostgresScenario = {
  name: 'postgres-lagging-replicas-blocked',
  description:
    'Both replicas stop applying WAL while the primary takes writes, so their real lag passes the 5 s budget; then the primary is killed: the failover is blocked, nothing is promoted.',
  script: [
    { at: { seconds: 1 }, action: { kind: 'pause-replay', region: NEAR } },
    { at: { seconds: 1 }, action: { kind: 'pause-replay', region: FAR } },
    { at: { seconds: 9 }, action: KILL_PRIMARY },
  ],
  expect: { endState: 'blocked', primaryRegion: PRIMARY, failover: false, visits: ['blocked'] },
  timeBoxSeconds: 30,
};

export const postgresPlannedSwitchover: PostgresScenario = {
  name: 'postgres-planned-switchover',
  description:
    'An operator moves the primary to us-east-1 under a write load: the old primary is fenced read-only, us-east-1 drains to 0 bytes behind, is promoted, HAProxy switches. No acknowledged write is lost.',
  script: [{ at: FAULT_AT, action: { kind: 'command', type: 'switchover', targetRegion: NEAR, reason: 'drill: planned move to us-east-1', retryIfRefused: true } }],
  expect: { endState: 'failedOver', primaryRegion: NEAR, failover: true, maxLostWrites: 0, visits: ['failingOver.draining'], promotions: 1 },
  timeBoxSeconds: 120,
};

export const postgresOldPrimaryReturns: PostgresScenario = {
  name: 'postgres-old-primary-returns',
  description:
    'The primary is killed and the group fails over to us-east-1; then the old primary starts again, writable (it could not be fenced while dead): the split-brain alarm fires and HAProxy keeps sending clients to us-east-1.',
  script: [
    { at: FAULT_AT, action: KILL_PRIMARY },
    { at: { state: 'failedOver', plusSeconds: 1 }, action: { kind: 'restart', region: PRIMARY } },
  ],
  expect: { endState: 'failedOver', primaryRegion: NEAR, failover: true, promotions: 1, events: { SPLIT_BRAIN_RISK: 1 } },
  timeBoxSeconds: 120,
  settleSeconds: 5,
};

export const postgresSecondFailoverAfterReturn: PostgresScenario = {
  name: 'postgres-second-failover-after-return',
  description:
    'After a failover to us-east-1 and the old primary’s return, ap-southeast-2 still replicates from the old primary. An operator re-arms automatic failover and us-east-1 is killed: ap-southeast-2 follows the wrong primary, so it is not promoted (the topology rule) and the failover is blocked.',
  policy: { ...POSTGRES_POLICY, cooldownSeconds: 1 },
  script: [
    { at: FAULT_AT, action: KILL_PRIMARY },
    { at: { state: 'failedOver', plusSeconds: 1 }, action: { kind: 'restart', region: PRIMARY } },
    { at: { state: 'failedOver', plusSeconds: 3 }, action: { kind: 'command', type: 'acknowledge', reason: 'drill: first failover reviewed' } },
    { at: { state: 'failedOver', plusSeconds: 6 }, action: { kind: 'kill', region: NEAR } },
  ],
  // The first failover completed and stays the latest; the second is never started: one promotion in all.
  expect: { endState: 'blocked', primaryRegion: NEAR, failover: true, visits: ['blocked'], promotions: 1 },
  timeBoxSeconds: 75,
  settleSeconds: 5,
};

/** Every postgres scenario, the default first. */
export const POSTGRES_SCENARIOS: readonly PostgresScenario[] = [
  postgresPrimaryKilled,
  postgresLaggingReplicasBlocked,
  postgresPlannedSwitchover,
  postgresOldPrimaryReturns,
  postgresSecondFailoverAfterReturn,
];

export const DEFAULT_POSTGRES_SCENARIO = postgresPrimaryKilled.name;

import type {
  Assessment,
  EpochMs,
  FailoverMode,
  FailoverRecord,
  FailoverStep,
  FailoverTrigger,
  RegionName,
} from '../src/domain/types.js';

export type { Assessment };

/** Bump when a change to the machine makes older persisted snapshots unsafe to restore. */
export const MACHINE_VERSION = 2;

/** The part of the group's configuration the machine reasons about, refreshed on every invocation. */
export interface MachineSettings {
  readonly mode: FailoverMode;
  readonly maxStepAttempts: number;
  readonly stepTimeoutsMs: Readonly<Record<FailoverStep, number>>;
}

export type BlockReason =
  | 'manual-mode'
  | 'no-eligible-replica'
  | 'lag-over-budget'
  | 'fleet-brake';

export interface StepProgress {
  readonly name: FailoverStep;
  readonly startedAt: EpochMs;
  readonly attempts: number;
  readonly lastError?: string;
  /**
   * Time an executor spent on the step: the sum of the gaps between the events it fed while running it. The gap
   * before a session's first event (`CONFIGURE`) is time nobody ran the step, and does not count.
   */
  readonly spentMs: number;
  /** The time of the last event counted into `spentMs`. */
  readonly lastActiveAt: EpochMs;
}

export interface FailoverContext {
  readonly groupId: string;
  readonly settings: MachineSettings;
  /** The region that is (or, mid-failover, was) the writer. */
  readonly primaryRegion: RegionName;
  readonly now: EpochMs;
  readonly assessment?: Assessment;
  /** The failover in progress, or the last one. */
  readonly failover?: FailoverRecord;
  readonly step?: StepProgress;
  readonly stalled?: { readonly step: FailoverStep; readonly reason: string; readonly at: EpochMs };
  /**
   * `sticky` blocks came from a step's result (fleet brake, lag measured before fencing or promotion): a replica that
   * later looks eligible does not lift them, only an operator or the primary's recovery (the incident is over).
   */
  readonly blocked?: { readonly reason: BlockReason; readonly detail: string; readonly at: EpochMs; readonly sticky: boolean };
  readonly paused?: { readonly principalArn: string; readonly reason: string; readonly at: EpochMs };
  /** The incident (primary verdict `since`) an operator rejected or aborted: not proposed again. */
  readonly dismissedIncident?: EpochMs;
  /** A completed failover not yet acknowledged: automatic failover stays off (anti-flap) until an operator acknowledges. */
  readonly awaitingAcknowledgement: boolean;
}

export interface FailoverInput {
  readonly groupId: string;
  readonly primaryRegion: RegionName;
  readonly settings: MachineSettings;
  readonly now: EpochMs;
}

interface Timed {
  readonly at: EpochMs;
}

interface ByOperator extends Timed {
  readonly principalArn: string;
  readonly reason: string;
  readonly commandId: string;
}

export interface FailoverRequest extends ByOperator {
  readonly failoverId: string;
  readonly to: RegionName;
  readonly allowDataLoss: boolean;
  readonly trigger: FailoverTrigger;
}

export type FailoverEvent =
  /** Sent first by every executor session: it also marks the start of the time the session spends on a step. */
  | ({ type: 'CONFIGURE'; settings: MachineSettings } & Timed)
  | ({ type: 'HEALTH'; assessment: Assessment } & Timed)
  | ({ type: 'TICK' } & Timed)
  // operator commands
  | ({ type: 'FAILOVER_REQUESTED' } & FailoverRequest)
  | ({ type: 'SWITCHOVER_REQUESTED' } & FailoverRequest)
  | ({ type: 'APPROVE' } & ByOperator)
  | ({ type: 'REJECT' } & ByOperator)
  | ({ type: 'ABORT' } & ByOperator)
  | ({ type: 'RETRY' } & ByOperator)
  | ({ type: 'PAUSE' } & ByOperator)
  | ({ type: 'RESUME' } & ByOperator)
  | ({ type: 'ACKNOWLEDGE' } & ByOperator)
  // results of the steps, fed back by the executor
  | ({ type: 'FLEET_SLOT_RESERVED' } & Timed)
  | ({ type: 'FLEET_BRAKE_ENGAGED'; detail: string } & Timed)
  | ({ type: 'FENCED'; outcome: string } & Timed)
  | ({ type: 'DRAINED' } & Timed)
  | ({ type: 'LAG_OVER_BUDGET'; replicaLagSeconds?: number; detail: string } & Timed)
  | ({ type: 'PROMOTION_STARTED'; replicaLagSeconds?: number } & Timed)
  | ({ type: 'PROMOTED' } & Timed)
  | ({ type: 'TRAFFIC_SWITCHED'; changeId?: string } & Timed)
  | ({ type: 'DNS_IN_SYNC' } & Timed)
  | ({ type: 'VERIFIED' } & Timed)
  | ({ type: 'STEP_FAILED'; step: FailoverStep; error: string; retryable: boolean } & Timed);

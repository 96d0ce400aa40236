import type { SimFault, SimTimings } from '../../adapters/sim/SimWorld.js';
import type { GroupPolicy } from '../../config/schema.js';
import type { FailoverMode, RegionName } from '../../domain/types.js';
import type { OperatorCommandType } from '../../ports/CommandQueue.js';

/**
 * When a scripted action fires, in simulated time: at a fixed time from the start of the drill, or once the group
 * first reaches a state (`stalled`, `awaitingApproval`, `failingOver.awaitingPromotion`...), optionally a little later.
 * A state trigger keeps a script correct when timings move: "retry once it has stalled", not "retry at 212 s".
 */
export type DrillTrigger =
  | { readonly seconds: number }
  | { readonly state: string; readonly plusSeconds?: number };

/** A port call the executor may die right after (the call took effect, the executor never hears back). */
export type CrashPoint = 'fence' | 'promote' | 'pointTo';

export type DrillAction =
  /** Injects a fault in the simulated world; `id` names it for a later `clear`. */
  | { readonly kind: 'inject'; readonly fault: SimFault; readonly id?: string }
  /** Clears the fault injected with this `id`. */
  | { readonly kind: 'clear'; readonly id: string }
  /** An operator command, enqueued in the CommandQueue: the executor decides on it (decideCommand) on its next run. */
  | {
      readonly kind: 'command';
      readonly type: OperatorCommandType;
      readonly reason: string;
      readonly targetRegion?: RegionName;
      readonly allowDataLoss?: boolean;
    }
  /**
   * The executor dies right after its next `at` call returns, as a Lambda killed at that line: its run never ends and
   * its lease expires. The next run (another owner) must resume without repeating the effect.
   */
  | {
      readonly kind: 'crash-executor';
      readonly at: CrashPoint;
      /** Its control-plane region goes down with it: no executor runs there again; another region carries on. */
      readonly regionDown?: boolean;
    };

export interface ScriptEntry {
  readonly at: DrillTrigger;
  readonly action: DrillAction;
}

/** Policy fields a scenario may change; step timeouts and targets may be changed one by one. */
export type PolicyOverrides = Partial<Omit<GroupPolicy, 'stepTimeouts' | 'targets'>> & {
  readonly stepTimeouts?: Partial<GroupPolicy['stepTimeouts']>;
  readonly targets?: Partial<GroupPolicy['targets']>;
};

export interface GroupOverrides {
  readonly mode?: FailoverMode;
  readonly policy?: PolicyOverrides;
  /** Sets `database.readOnlyParameterGroup` of every RDS region (needed by read-only-parameter-group fencing). */
  readonly readOnlyParameterGroup?: string;
  /** Switches traffic with ARC routing controls (the simulated zone answers as their records would) instead of the record flip. */
  readonly trafficSwitch?: 'arc-routing-control';
}

/**
 * How the drill must end. A scenario that expects a failover stops as soon as the group rests in `endState`;
 * one that expects none (`failover: false`) runs its whole time box, then checks nothing was promoted.
 */
export interface ScenarioExpectation {
  readonly endState: string;
  /** The writer at the end (the group's `primaryRegion`). */
  readonly primaryRegion: RegionName;
  /** False: `promote` is never called and the DNS record never changes. */
  readonly failover: boolean;
  /** The failover's RTO (detection or decision → completion), in simulated seconds. */
  readonly maxRtoSeconds?: number;
  /** Writes accepted by the old primary that never reached the new one. */
  readonly maxLostWrites?: number;
  /** At least this many writes lost: the drill shows the data loss it accepted. */
  readonly minLostWrites?: number;
  /** Promotions that took effect (promote calls that answered `started`). */
  readonly promotions?: number;
  /** States the group must pass through on the way (`blocked`, `stalled`, `awaitingApproval`...). */
  readonly visits?: readonly string[];
  /** Event types that must appear in the log at least this many times (e.g. `STEP_FAILED`: 2). */
  readonly events?: Readonly<Record<string, number>>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly overrides?: GroupOverrides;
  readonly timings?: Partial<SimTimings>;
  /** Fault injections, clearings, operator commands and crashes, in simulated time. */
  readonly script: readonly ScriptEntry[];
  readonly expect: ScenarioExpectation;
  /** The drill stops after this much simulated time even if the end state was not reached. */
  readonly timeBoxSeconds: number;
  /**
   * The control plane in three regions (fleet.controlPlaneRegion and its two replica regions, one MRSC region set):
   * an executor runs in each, all try the lease, one acts.
   */
  readonly controlPlaneRegions?: readonly [RegionName, RegionName, RegionName];
}

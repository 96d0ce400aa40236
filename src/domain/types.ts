/**
 * Plain types shared by the failover core. No I/O, no AWS imports.
 * Times are epoch milliseconds (numbers) so they serialise the same in DynamoDB, JSON and tests.
 */

export type GroupId = string;
export type RegionName = string;
export type EpochMs = number;

export type FailoverMode = 'automatic' | 'approval' | 'manual';
export type FencingMode = 'none' | 'stop-instance' | 'read-only-parameter-group';

/** A region's health as the verdict functions see it. `suspect` = some, but fewer than quorum, observers see it fail. */
export type Verdict = 'healthy' | 'suspect' | 'unhealthy' | 'unknown';

export interface HttpProbeResult {
  readonly url: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly latencyMs: number;
  /** Why the probe failed: `timeout`, `connection refused`, `status 503 (expected 200)`, `body does not contain "ok"`. */
  readonly error?: string;
}

export type DatabaseRole = 'primary' | 'replica' | 'standalone' | 'unknown';

/** What the database itself reports, as observed through the Database port. */
export interface DatabaseObservation {
  /** True only when the observation is evidence the database serves (`evidence: 'ok'`). */
  readonly ok: boolean;
  /**
   * What this control-plane observation says about the region (see `databaseEvidence` in databaseStatus.ts):
   * `failed` only for a terminal status, `unknown` for API errors and statuses in between. Absent in reports written
   * before it existed: read it with `evidenceOf`.
   */
  readonly evidence?: 'ok' | 'failed' | 'unknown';
  readonly role: DatabaseRole;
  /** Provider status, e.g. RDS `available`, `modifying`, `stopped`, or `unreachable`. */
  readonly status: string;
  /** Replication lag behind the current primary; undefined when unknown. */
  readonly replicaLagSeconds?: number;
  /** When `replicaLagSeconds` was measured (the metric's timestamp), not when it was read. */
  readonly replicaLagMeasuredAt?: EpochMs;
  /** For a replica: the region it replicates from. */
  readonly sourceRegion?: RegionName;
  readonly error?: string;
}

/** A connection check of a region's database from an observer: connect and a trivial read, with a timeout. */
export interface ConnectionCheckResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly checkedAt: EpochMs;
  /** Why the check failed: `timeout after 3000 ms`, `connection refused`, `password authentication failed`... */
  readonly error?: string;
  /**
   * For a replica, when the check could read it: how far behind it is, measured at `checkedAt` (e.g. PostgreSQL
   * `now() - pg_last_xact_replay_timestamp()`, an upper bound). Fresher than a CloudWatch datapoint, so it is preferred.
   */
  readonly replicaLagSeconds?: number;
}

/** One probe round of one region as seen from one observer region. */
export interface RoundResult {
  readonly observedAt: EpochMs;
  readonly http: readonly HttpProbeResult[];
  readonly database?: DatabaseObservation;
  /** Data-plane evidence about the database, where `database.connectionCheck` is configured for the region. */
  readonly connectionCheck?: ConnectionCheckResult;
  /** A drill's injected fault that made this round fail on purpose. */
  readonly injectedFault?: string;
}

/**
 * The latest state of one observer's view of one region, with its streak counters.
 * The probe computes it from the previous report and a new round (see `nextObserverReport`).
 */
export interface ObserverReport {
  readonly groupId: GroupId;
  readonly region: RegionName;
  readonly observerRegion: RegionName;
  readonly observedAt: EpochMs;
  readonly ok: boolean;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  readonly failureReasons: readonly string[];
  /**
   * Present when the last round neither passed nor failed: every data-plane check passed but the control plane could
   * not confirm the database (API error, throttling, a status in between). Such a round never counts as healthy.
   */
  readonly unknownReasons?: readonly string[];
  readonly last: RoundResult;
}

/** The verdict for one region, carried from one evaluation to the next for hysteresis. */
export interface RegionHealth {
  readonly region: RegionName;
  readonly verdict: Verdict;
  readonly since: EpochMs;
  /** Observers whose fresh reports show the failure threshold reached. */
  readonly failingObservers: readonly RegionName[];
  /** Observers whose fresh reports show the recovery threshold reached. */
  readonly recoveredObservers: readonly RegionName[];
  /** Observers whose data is older than two probe intervals, or missing. */
  readonly staleObservers: readonly RegionName[];
  readonly replicaLagSeconds?: number;
  /** When `replicaLagSeconds` was measured (by the database or its metric), not when it was read. */
  readonly replicaLagMeasuredAt?: EpochMs;
  readonly databaseRole?: DatabaseRole;
  /**
   * The newest moment an observer saw this region pass a round (a failing report's streak says when its passing
   * rounds stopped). A dead primary's replicas stop receiving changes then, so their last lag readings are judged
   * against this moment, not against now (`lagReferenceAt`).
   */
  readonly lastHealthyAt?: EpochMs;
  /** For a replica: the region it replicates from, as its freshest report says (the topology rule needs it). */
  readonly replicationSource?: RegionName;
  readonly reasons: readonly string[];
}

export type FailoverTrigger =
  | { readonly kind: 'automatic' }
  | { readonly kind: 'operator'; readonly principalArn: string }
  | { readonly kind: 'drill'; readonly principalArn: string; readonly scenario: string };

export type FailoverStep =
  | 'reserving'
  | 'fencing'
  | 'draining'
  | 'promoting'
  | 'awaitingPromotion'
  | 'switchingTraffic'
  | 'awaitingDnsSync'
  | 'verifying';

export const FAILOVER_STEPS: readonly FailoverStep[] = [
  'reserving',
  'fencing',
  'draining',
  'promoting',
  'awaitingPromotion',
  'switchingTraffic',
  'awaitingDnsSync',
  'verifying',
];

export interface FailoverTimestamps {
  detectedAt?: EpochMs;
  decidedAt?: EpochMs;
  approvedAt?: EpochMs;
  fencedAt?: EpochMs;
  drainedAt?: EpochMs;
  promotionStartedAt?: EpochMs;
  promotedAt?: EpochMs;
  trafficSwitchedAt?: EpochMs;
  dnsInSyncAt?: EpochMs;
  verifiedAt?: EpochMs;
  completedAt?: EpochMs;
  abortedAt?: EpochMs;
}

export type FailoverOutcome = 'in-progress' | 'completed' | 'aborted' | 'rejected';

/** One failover, from detection to completion. Saved in the group state and copied to the event log. */
export interface FailoverRecord {
  readonly id: string;
  readonly groupId: GroupId;
  readonly trigger: FailoverTrigger;
  readonly reason: string;
  readonly from: RegionName;
  readonly to: RegionName;
  readonly planned: boolean;
  readonly allowDataLoss: boolean;
  readonly outcome: FailoverOutcome;
  readonly timestamps: FailoverTimestamps;
  /** Replica lag when the promotion was started: the data-loss window. */
  readonly replicaLagAtPromotionSeconds?: number;
  /** Completed - detected (or decided, for operator failovers), in milliseconds. */
  readonly rtoMs?: number;
  readonly fenceOutcome?: string;
  readonly dnsChangeId?: string;
  /** Why a failover ended without completing when no operator aborted it by name (e.g. superseded by another). */
  readonly endReason?: string;
}

export type Severity = 'info' | 'warning' | 'critical';

export type NotificationType =
  | 'failover-started'
  | 'failover-blocked'
  | 'awaiting-approval'
  | 'failover-stalled'
  | 'failover-completed'
  | 'failover-aborted'
  | 'split-brain-risk'
  | 'unprotected'
  | 'reprotected'
  | 'paused'
  | 'resumed'
  | 'drill-report';

export interface Notification {
  readonly groupId: GroupId;
  readonly environment: string;
  readonly type: NotificationType;
  readonly severity: Severity;
  /** Short, fits an e-mail subject (SNS limits subjects to 100 characters). */
  readonly subject: string;
  /** Human-readable body. */
  readonly text: string;
  /** Structured details for machines; published as the JSON body. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Stable key so a re-sent notification can be recognised downstream. */
  readonly dedupeKey: string;
}

/** One line of a group's event log. `seq` is dense and ordered per group. */
export interface LoggedEvent {
  readonly groupId: GroupId;
  readonly seq: number;
  readonly at: EpochMs;
  readonly type: string;
  /** Machine state after the event, as a dotted path (`failingOver.promoting`). */
  readonly state: string;
  readonly failoverId?: string;
  /** IAM principal ARN of the operator, `automatic`, or `drill:<principal>`. */
  readonly actor?: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What the health verdicts say about the group right now: computed by `assessGroup` and fed to the machine. */
export interface Assessment {
  readonly at: EpochMs;
  readonly primaryRegion: RegionName;
  readonly primaryVerdict: Verdict;
  /** Why the primary has its verdict, in words (an injected drill fault says so here). */
  readonly primaryReasons?: readonly string[];
  /** When the primary's current verdict began; identifies one incident. */
  readonly primaryVerdictSince: EpochMs;
  /**
   * A quorum of observers with fresh reports sees the primary failing now (`failingObservers`). An `unhealthy` verdict
   * outlives its evidence until recovery is confirmed; only this says the failure is current. Absent in assessments
   * saved before it existed (read as true).
   */
  readonly primaryFailingNow?: boolean;
  /** The best eligible replica (healthy, lag within budget, highest priority), if any. */
  readonly candidate?: { readonly region: RegionName; readonly replicaLagSeconds: number };
  /** Why each other region is not a candidate, in words. */
  readonly ineligible: readonly { readonly region: RegionName; readonly reason: string }[];
  /** When the primary is down and there is no candidate: the reason. */
  readonly noCandidateReason?: 'no-eligible-replica' | 'lag-over-budget';
  /** Id the failover gets if this assessment starts one (the machine is pure and makes no ids). */
  readonly proposedFailoverId: string;
}

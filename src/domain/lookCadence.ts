import type { FailoverGroup } from './group.js';
import type { EpochMs, FailoverStep, RegionName } from './types.js';

/**
 * How often the executor looks whether the provider has finished (a promotion, a DNS change, a drain, a
 * verification), and how those looks share the provider's API rate limits. A look that comes late adds its lateness
 * to the RTO, so looks come often; AWS throttles an account that asks too often, so all the looks of one process
 * (every group failing over at once in a regional outage) share one budget per API and scope: with many groups in
 * flight each looks less often, and none is throttled.
 */

/**
 * Sustained request rates AWS allows, per account: RDS's Describe* calls per region (DescribeDBInstances,
 * DescribeDBClusters, DescribeGlobalClusters), Route 53's for all its APIs together (one global endpoint).
 */
export const PROVIDER_RATE_LIMITS = { rds: 12, route53: 5 } as const;

export type LookApi = keyof typeof PROVIDER_RATE_LIMITS;

/**
 * The share of a provider's limit the completion looks of one process may use. The rest is left to everything else
 * that calls the same API in the account: the observers' reads, the failover's own effects (promote, the record
 * change), the verification's record read, the operators' tools.
 */
export const LOOK_SHARE = 0.5;

/** One group's looks at a waiting step start at least this far apart (start to start), when the budget allows. */
export const LOOK_INTERVAL_MS = 250;

/**
 * How soon a failed step is tried again: the first retry after `initialMs`, each next one `factor` times later, never
 * more than `maxMs` apart. A retry is not a look: it repeats an effect that failed, after the provider's own backoff.
 */
export const STEP_RETRY_BACKOFF = { initialMs: 500, maxMs: 1_000, factor: 1.5 } as const;

/** A provider API's limit where it applies (`rds:<region>`, `route53`), and the looks per second it grants. */
export interface LookScope {
  readonly key: string;
  readonly perSecond: number;
}

/** The steps that wait for the provider to finish (a drain, a promotion, a DNS change): every attempt is a look. */
const WAITING_STEPS: readonly FailoverStep[] = ['draining', 'awaitingPromotion', 'awaitingDnsSync'];

/**
 * Whether an attempt at `step` is a look, which keeps the group's cadence and takes a slot of the budget: every
 * attempt at a step that waits for the provider, and the verification's repeats (`repeat`: the step was attempted
 * before in this run). The verification's first attempt is a check made once per failover, as the record change is,
 * right after the group's own last DNS look: waiting for the Route 53 slot that look took would add up to a spacing
 * (400 ms) to every RTO. When it finds something not right yet, it looks again like the others.
 *
 * @example
 * isLook('awaitingDnsSync', false); // true
 * isLook('verifying', false); // false: the first check goes at once
 * isLook('verifying', true); // true
 */
export function isLook(step: FailoverStep, repeat: boolean): boolean {
  return WAITING_STEPS.includes(step) || (step === 'verifying' && repeat);
}

function apiScope(api: LookApi, region?: RegionName): LookScope {
  return { key: region === undefined ? api : `${api}:${region}`, perSecond: PROVIDER_RATE_LIMITS[api] * LOOK_SHARE };
}

/** The provider API a look at `region`'s database calls: RDS for the AWS kinds, none for a server reached directly. */
function databaseScopes(group: Pick<FailoverGroup, 'regions'>, region: RegionName): LookScope[] {
  const kind = group.regions[region]?.database.kind;
  return kind === 'rds-instance' || kind === 'aurora-global' ? [apiScope('rds', region)] : [];
}

/** Route 53 for a record flip (GetChange, the record read); ARC's and HAProxy's switches are read on their data plane. */
function trafficScopes(group: Pick<FailoverGroup, 'dns' | 'trafficSwitch'>): LookScope[] {
  return group.trafficSwitch === undefined && group.dns.switch === 'record' ? [apiScope('route53')] : [];
}

/**
 * The rate-limited APIs one look at `step` calls, for a failover to `to`; none for a step that is not a look or whose
 * look reaches no provider API.
 *
 * @example
 * lookScopes(group, 'awaitingPromotion', 'us-east-1'); // [{ key: 'rds:us-east-1', perSecond: 6 }]
 * lookScopes(group, 'awaitingDnsSync', 'us-east-1'); // [{ key: 'route53', perSecond: 2.5 }]
 */
export function lookScopes(group: Pick<FailoverGroup, 'regions' | 'dns' | 'trafficSwitch'>, step: FailoverStep, to: RegionName): LookScope[] {
  switch (step) {
    case 'draining':
    case 'awaitingPromotion':
      return databaseScopes(group, to);
    case 'awaitingDnsSync':
      return trafficScopes(group);
    case 'verifying':
      return [...databaseScopes(group, to), ...trafficScopes(group)];
    default:
      return [];
  }
}

/** The least time between two looks in `scope`, whoever makes them: whole milliseconds, rounded up. */
export function lookSpacingMs(scope: LookScope): number {
  return Math.ceil(1_000 / scope.perSecond);
}

/** When a look may start, and when each of its scopes is free again after it. */
export interface LookSlot {
  readonly at: EpochMs;
  readonly nextFreeAt: ReadonlyMap<string, EpochMs>;
}

/**
 * The first moment from `earliestAt` on at which a look may start in every one of its scopes (`nextFreeAt`: when each
 * scope is next free, from the looks granted before), and each scope's next free moment once this look has it. Looks
 * granted one after another this way are at least `lookSpacingMs` apart in every scope, however many groups ask.
 *
 * @example
 * const rds = { key: 'rds:us-east-1', perSecond: 6 };
 * nextLookSlot(1_000, [rds], new Map()); // { at: 1_000, nextFreeAt: Map { 'rds:us-east-1' => 1_167 } }
 * nextLookSlot(1_000, [rds], new Map([['rds:us-east-1', 1_167]])).at; // 1_167
 */
export function nextLookSlot(earliestAt: EpochMs, scopes: readonly LookScope[], nextFreeAt: ReadonlyMap<string, EpochMs>): LookSlot {
  const at = Math.max(earliestAt, ...scopes.map((scope) => nextFreeAt.get(scope.key) ?? earliestAt));
  return { at, nextFreeAt: new Map(scopes.map((scope) => [scope.key, at + lookSpacingMs(scope)])) };
}

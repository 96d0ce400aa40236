import type { EpochMs, RegionHealth } from './types.js';

/**
 * Why the primary takes no writes now, from its fresh health, or undefined while nothing says so: a quorum of observers
 * sees it failing now (data plane), or its database reports itself a replica (demoted: the promotion of an Aurora
 * global secondary turns the old primary into a secondary when it completes). Used only to tell people, never to act.
 *
 * @example
 * primaryTakesNoWrites(health['eu-west-1'], 2); // 'its database reports role replica (demoted)'
 */
export function primaryTakesNoWrites(health: RegionHealth | undefined, quorum: number): string | undefined {
  if (health === undefined) return undefined;
  if (health.failingObservers.length >= quorum) {
    return `a quorum of observers sees it failing now (${health.failingObservers.join(', ')})${health.reasons.length > 0 ? `: ${health.reasons.join('; ')}` : ''}`;
  }
  if (health.databaseRole === 'replica') return 'its database reports role replica (demoted)';
  return undefined;
}

/**
 * A stalled failover waits for a person, and nothing moves until one acts. What the stall was told with may stop being
 * true: the promotion the stall interrupted completes later and demotes the old primary, or the old primary fails. An
 * outage that begins during a stall is told once (`tell`), and again only after it has ended and begun anew.
 * `stalledAt` identifies the stall (`context.stalled.at`); an outage already there when a stall begins is not told
 * separately: the stall's own notification is the news of that moment.
 */
export interface StalledOutage {
  readonly stalledAt: EpochMs;
  /** Since when the primary takes no writes during this stall (told then); absent while it takes them. */
  readonly since?: EpochMs;
}

/**
 * The next episode state, and whether to tell now.
 *
 * @example
 * stalledOutage({ stalledAt: 1000, previous: { stalledAt: 1000 }, outage: 'its database reports role replica (demoted)', now: 9000 });
 * // { next: { stalledAt: 1000, since: 9000 }, tell: true }
 */
export function stalledOutage(input: {
  readonly stalledAt: EpochMs | undefined;
  readonly previous: StalledOutage | undefined;
  readonly outage: string | undefined;
  readonly now: EpochMs;
}): { readonly next: StalledOutage | undefined; readonly tell: boolean } {
  const { stalledAt, previous, outage, now } = input;
  if (stalledAt === undefined) return { next: undefined, tell: false };
  if (previous === undefined || previous.stalledAt !== stalledAt) {
    return { next: outage === undefined ? { stalledAt } : { stalledAt, since: now }, tell: false };
  }
  if (outage === undefined) return { next: { stalledAt }, tell: false };
  if (previous.since !== undefined) return { next: previous, tell: false };
  return { next: { stalledAt, since: now }, tell: true };
}

import { fenceTookEffect } from './drain.js';
import type { EpochMs, FailoverRecord, RegionHealth, RegionName } from './types.js';

/** Open split-brain episodes of a group: region → when its episode opened. Saved with the group's state. */
export type SplitBrainEpisodes = Readonly<Record<RegionName, EpochMs>>;

/** Who may write right now, and who is excused for reporting a writer role early. */
export interface WriterView {
  /** The one region that may accept writes. */
  readonly writer: RegionName;
  /** The target of a failover whose promotion has not started yet: it may already report a writer role. */
  readonly excused?: RegionName;
  /**
   * The old primary of the last failover that promoted, when it was not fenced: serving again with a role nobody can
   * read (its provider API errs or throttles) it is a suspect all the same. Doubt keeps the alarm.
   */
  readonly unfencedOldPrimary?: RegionName;
  /**
   * The observers and their quorum: the unfenced old primary counts as serving when a quorum of them has fresh
   * reports and none sees it fail. One stale observer (down, partitioned from the table, clock far ahead) must not
   * silence the alarm, as it does not stop a failover either.
   */
  readonly observers: ObserverQuorum;
}

/** Who watches a group: every observer region, and how many of them must agree (`policy.observerQuorum`). */
export interface ObserverQuorum {
  readonly regions: readonly RegionName[];
  readonly quorum: number;
}

/**
 * Provider statuses in which a database cannot take writes whatever its role: failed, stopped, being deleted,
 * unreadable storage. A database in one of them is not a second writer (yet): when it recovers, it is.
 */
const NOT_SERVING_STATUSES = new Set([
  // Restarting: the instance accepts no connection until it is `available` again (then it is a suspect anew).
  'rebooting',
  'starting',
  'failed',
  'stopped',
  'stopping',
  'deleting',
  'storage-full',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
  'restore-error',
]);

/**
 * True only when the provider's own answer proves a database cannot take writes: it is a replica, it is fenced
 * (stopped, read-only parameter group), or its status is one in which it serves nothing. Anything else, including
 * no answer (`unknown`, `unreachable`), leaves it a suspect: doubt keeps the alarm.
 *
 * @example
 * cannotTakeWrites({ role: 'primary', status: 'failed' }); // true
 * cannotTakeWrites({ role: 'unknown', status: 'unreachable' }); // false
 */
export function cannotTakeWrites(state: { role: string; status: string; fenced?: boolean }): boolean {
  return state.role === 'replica' || state.fenced === true || NOT_SERVING_STATUSES.has(state.status);
}

/**
 * The region that may write now. Normally the primary. During a failover (in flight or stalled) whose promotion has
 * started, the target is the writer: from then on the old primary, whatever its role was before, is a second writer
 * if it reports one. Before the promotion starts, the target is excused.
 *
 * @example
 * const observers = { regions: config.fleet.observerRegions, quorum: group.policy.observerQuorum };
 * expectedWriter({ primaryRegion: 'eu-west-1', failover, failingOver: true, observers }); // writer us-east-1 once promotionStartedAt is set
 */
export function expectedWriter(input: {
  primaryRegion: RegionName;
  failover?: FailoverRecord;
  /** True while the group is failing over or stalled in a failover. */
  failingOver: boolean;
  observers: ObserverQuorum;
}): WriterView {
  const { primaryRegion, failover, failingOver, observers } = input;
  const promoted = failover?.timestamps.promotionStartedAt !== undefined;
  const unfenced =
    failover !== undefined && promoted && !fenceTookEffect(failover.fenceOutcome) ? { unfencedOldPrimary: failover.from } : {};
  if (!failingOver || failover === undefined) return { writer: primaryRegion, ...(unfenced.unfencedOldPrimary === primaryRegion ? {} : unfenced), observers };
  if (promoted) return { writer: failover.to, ...unfenced, observers };
  return { writer: primaryRegion, excused: failover.to, observers };
}

/**
 * Regions that report a writer role (primary or standalone) in fresh health, other than the writer and the excused
 * target. `notWriters` are regions the provider confirms cannot take writes (fenced, stopped, a replica after all).
 * A region a quorum of observers sees failing right now is not a suspect either: it serves no client while down (the
 * role in its health is the last one read before it went down), and its return as a writer is a new episode.
 *
 * @example
 * suspectedWriters(health, { writer: 'us-east-1', observers }); // ['eu-west-1'] when the old primary came back writable
 */
export function suspectedWriters(
  health: Readonly<Record<RegionName, RegionHealth>>,
  view: WriterView,
  notWriters: ReadonlySet<RegionName> = new Set(),
): RegionName[] {
  return Object.values(health)
    .filter((region) => region.region !== view.writer && region.region !== view.excused && !notWriters.has(region.region))
    .filter((region) => region.failingObservers.length < view.observers.quorum)
    .filter(
      (region) =>
        region.databaseRole === 'primary' ||
        region.databaseRole === 'standalone' ||
        // An unfenced old primary that serves again (its data plane passes) while its role cannot be read.
        // Serving: a quorum of observers has fresh reports and none sees it fail (its verdict may still say unknown,
        // or unhealthy until recovery is confirmed, when only the database evidence is missing).
        (region.region === view.unfencedOldPrimary &&
          region.failingObservers.length === 0 &&
          freshObservers(region, view.observers) >= view.observers.quorum &&
          (region.databaseRole === undefined || region.databaseRole === 'unknown')),
    )
    .map((region) => region.region);
}

function freshObservers(region: RegionHealth, observers: ObserverQuorum): number {
  return observers.regions.filter((observer) => !region.staleObservers.includes(observer)).length;
}

/**
 * What the provider's own answer about a suspect, read this pass, shows: `serving` (it answers as a writable
 * primary or standalone: the second writer is confirmed), `not-serving` (`cannotTakeWrites`: a replica, fenced,
 * stopped, rebooting...), `unclear` (it answers with the database's role and a status in which it may or may not take
 * writes: `upgrading`, `modifying`, `backing-up`...), or `unverified` (no answer: an API error, a throttle, a role it
 * cannot read). `unclear` counts as `unverified` everywhere but one place: after `not-serving` inside an open
 * episode it is a change the provider did show (the database is no longer stopped), so it is told (`splitBrainEpisodes`).
 *
 * @example
 * writerEvidence({ role: 'primary', status: 'available', writable: true }); // 'serving'
 * writerEvidence({ role: 'standalone', status: 'upgrading', writable: false }); // 'unclear'
 * writerEvidence(undefined); // 'unverified': the describe call threw
 */
export type WriterEvidence = 'serving' | 'not-serving' | 'unclear' | 'unverified';

export function writerEvidence(state: { role: string; status: string; writable: boolean; fenced?: boolean } | undefined): WriterEvidence {
  if (state === undefined) return 'unverified';
  if (cannotTakeWrites(state)) return 'not-serving';
  const writerRole = state.role === 'primary' || state.role === 'standalone';
  if (state.writable && writerRole) return 'serving';
  return writerRole && state.status !== 'unreachable' ? 'unclear' : 'unverified';
}

/** One `split-brain-risk` alarm the rule asks for: a new episode, or an open one whose second writer is now confirmed. */
export interface SplitBrainAlarm {
  readonly region: RegionName;
  /** When the region's episode opened (the alarm's dedupe key carries it). */
  readonly since: EpochMs;
  /** `serving`: the provider answers it is a writable writer; `unverified`: it could not be verified not writing. */
  readonly evidence: 'serving' | 'unverified';
  /** True for the alarm of an episode already open whose evidence rose to `serving` (the escalation). */
  readonly escalation: boolean;
  /**
   * True for the alarm of an episode already open whose region the provider had shown unable to take writes
   * (stopped, rebooting...) and now answers in a status that may take them again (`unclear`).
   */
  readonly resumed: boolean;
}

/**
 * The split-brain rule: any writer other than the one that may write raises `split-brain-risk`, whatever the reason
 * (a region newly reporting a writer role, an old primary whose role never changed through a failover, a stalled
 * failover whose old primary came back), once when its episode opens and once more each time, within the open
 * episode, the provider's answer rises to `serving` after it was not: the first alarm may only say the region could
 * not be verified not writing (no answer), or the region may have stopped (rebooting, stopped) and come back; either
 * way a confirmed second writer is told as such. A control-plane answer never closes an episode (a provider saying
 * "rebooting" is no evidence that nobody writes there; it only takes the confirmation away). An episode stays open
 * while the region is a suspect or its role is unknown (silence is not a fix), and closes when fresh health shows it a
 * replica, it becomes the writer, or its data plane is confirmed down (verdict unhealthy): a return as a writer after
 * that is a new episode with a new alarm. Evidence is given for this pass's suspects (`suspectedWriters`); a suspect
 * without an answer is `unverified`, and a region of an open episode that is no suspect now loses its confirmation.
 * One more alarm within an open episode: a region the provider last answered for as unable to take writes (`paused`)
 * that it now answers for in a status that may take them (`unclear`: a stopped instance now `upgrading`) may write
 * again, and nothing else would say so until the provider confirms it (which a long transitional status delays): it
 * is told as `resumed`. No answer (`unverified`) keeps it paused: silence shows no change.
 * Pure: the caller saves `open`, `confirmed` and `paused` with the group's state and raises one alarm per entry of
 * `alarms`.
 *
 * @example
 * const result = splitBrainEpisodes({ health, view, open: record.splitBrain ?? {}, confirmed: record.splitBrainConfirmed ?? [], paused: record.splitBrainPaused ?? [], now, evidence });
 * for (const alarm of result.alarms) raiseAlarm(alarm);
 */
export function splitBrainEpisodes(input: {
  health: Readonly<Record<RegionName, RegionHealth>>;
  view: WriterView;
  open: SplitBrainEpisodes;
  /** Regions whose open episode was last confirmed `serving` (saved with the group's state). */
  confirmed?: readonly RegionName[];
  /** Regions of `open` whose provider last answered that they cannot take writes (saved with the group's state). */
  paused?: readonly RegionName[];
  now: EpochMs;
  /** The provider's answer about each suspect this pass (`writerEvidence`); a suspect missing here is `unverified`. */
  evidence?: ReadonlyMap<RegionName, WriterEvidence>;
}): {
  open: SplitBrainEpisodes;
  confirmed: RegionName[];
  paused: RegionName[];
  opened: RegionName[];
  escalated: RegionName[];
  resumed: RegionName[];
  alarms: SplitBrainAlarm[];
} {
  const { health, view, now } = input;
  const evidenceOf = (region: RegionName): WriterEvidence => input.evidence?.get(region) ?? 'unverified';
  const wasConfirmed = new Set(input.confirmed ?? []);
  // A suspect the provider positively answers cannot take writes opens no episode (it is not a writer now; when it
  // serves again, it is a suspect anew), but it does not close one that is open either.
  const suspects = new Set(suspectedWriters(health, view).filter((region) => input.open[region] !== undefined || evidenceOf(region) !== 'not-serving'));
  const next: Record<RegionName, EpochMs> = {};
  for (const [region, since] of Object.entries(input.open)) {
    const role = health[region]?.databaseRole;
    // Confirmed down by the data plane (a quorum of observers sees it fail) ends the episode too: it takes no writes
    // from clients while down, and coming back as a writer is a new episode that must be told again.
    const confirmedDown = health[region]?.verdict === 'unhealthy';
    const cleared = region === view.writer || role === 'replica' || confirmedDown;
    if (suspects.has(region) || !cleared) next[region] = since;
  }
  const opened = [...suspects].filter((region) => input.open[region] === undefined);
  for (const region of opened) next[region] = now;
  // Confirmed stays confirmed while the episode is open and the provider was not asked this pass because nothing was
  // seen (no suspect now: its reports went stale or silent), so a pass that could not look does not make the next one
  // tell the same writer twice. An answer (not serving, or no answer to a question asked) takes it back, and so does
  // any fresh observer seeing it fail: it may have stopped, below a quorum, so its serving again is told.
  const seenFailing = (region: RegionName) => (health[region]?.failingObservers.length ?? 0) > 0;
  const confirmed = Object.keys(next).filter((region) =>
    suspects.has(region) ? evidenceOf(region) === 'serving' : wasConfirmed.has(region) && !seenFailing(region),
  );
  const escalated = confirmed.filter((region) => input.open[region] !== undefined && !wasConfirmed.has(region));
  // Paused: the last answer asked for said it cannot take writes; an answer that it may (unclear) or does (serving)
  // ends the pause, silence does not.
  const wasPaused = new Set(input.paused ?? []);
  const answered = (region: RegionName) => suspects.has(region) && evidenceOf(region) !== 'unverified';
  const paused = Object.keys(next).filter((region) => (answered(region) ? evidenceOf(region) === 'not-serving' : wasPaused.has(region)));
  const resumed = Object.keys(next).filter(
    (region) => input.open[region] !== undefined && wasPaused.has(region) && answered(region) && evidenceOf(region) === 'unclear',
  );
  const alarms: SplitBrainAlarm[] = [
    ...opened.map((region) => ({
      region,
      since: now,
      evidence: evidenceOf(region) === 'serving' ? ('serving' as const) : ('unverified' as const),
      escalation: false,
      resumed: false,
    })),
    ...escalated.map((region) => ({ region, since: next[region]!, evidence: 'serving' as const, escalation: true, resumed: false })),
    ...resumed.map((region) => ({ region, since: next[region]!, evidence: 'unverified' as const, escalation: false, resumed: true })),
  ];
  return { open: next, confirmed, paused, opened, escalated, resumed, alarms };
}

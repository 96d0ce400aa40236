import type { DatabaseKind } from './world/SimCloud.js';
import type { FailoverMode, FencingMode, RegionName } from '../src/domain/types.js';
import type { OperatorCommandType } from '../src/ports/CommandQueue.js';
import { Random } from './random.js';

/** The shape of the simulated fleet: groups, regions, observers and each group's settings. */
export interface WorldShape {
  readonly regions: readonly RegionName[];
  readonly observers: readonly RegionName[];
  readonly groups: readonly GroupShape[];
  /** The orchestrate Lambda's pass interval within its one-minute run (the handler's `passIntervalMs`). */
  readonly orchestratePassSeconds: number;
}

export interface GroupShape {
  readonly id: string;
  readonly kind: DatabaseKind;
  readonly mode: FailoverMode;
  readonly fencing: FencingMode;
  readonly primary: RegionName;
  readonly probeIntervalSeconds: number;
  readonly failureThreshold: number;
  readonly maxReplicaLagSeconds: number;
  readonly cooldownSeconds: number;
}

/** One fault, at `at` ms after the start; most heal by themselves after `durationMs`. */
export type Fault =
  | { readonly kind: 'region-outage'; readonly region: RegionName; readonly durationMs: number }
  | { readonly kind: 'database-crash'; readonly group: string; readonly region: RegionName; readonly status: 'failed' | 'stopped' | 'rebooting'; readonly httpFollows: boolean; readonly durationMs: number }
  | { readonly kind: 'status-blip'; readonly group: string; readonly region: RegionName; readonly status: string; readonly durationMs: number }
  | { readonly kind: 'rds-api'; readonly region: RegionName; readonly error: 'server-error' | 'throttling'; readonly durationMs: number }
  | { readonly kind: 'partition'; readonly observer: RegionName; readonly region: RegionName; readonly durationMs: number }
  | { readonly kind: 'flapping'; readonly group: string; readonly region: RegionName; readonly periodMs: number; readonly durationMs: number }
  | { readonly kind: 'observer-stale'; readonly observer: RegionName; readonly durationMs: number }
  | { readonly kind: 'observer-skew'; readonly observer: RegionName; readonly skewMs: number; readonly durationMs: number }
  | { readonly kind: 'lag-spike'; readonly group: string; readonly region: RegionName; readonly extraDelayMs: number; readonly durationMs: number }
  | { readonly kind: 'lag-metric-missing'; readonly group: string; readonly region: RegionName; readonly durationMs: number }
  | { readonly kind: 'promotion-slow'; readonly group: string; readonly region: RegionName; readonly promotionMs: number }
  | { readonly kind: 'promotion-stuck'; readonly group: string; readonly region: RegionName; readonly durationMs: number }
  | { readonly kind: 'promotion-refused'; readonly group: string; readonly region: RegionName; readonly attempts: number }
  | { readonly kind: 'dns-throttle'; readonly group: string; readonly calls: number }
  | { readonly kind: 'dns-access-denied'; readonly group: string; readonly calls: number }
  | { readonly kind: 'executor-crash'; readonly portCall: number; readonly phase: 'before' | 'after' }
  | { readonly kind: 'executor-frozen'; readonly portCall: number; readonly phase: 'before' | 'after'; readonly freezeMs: number }
  /** Whichever executor next calls the port method `method` (the operator's inline one too) freezes at that call. */
  | { readonly kind: 'executor-frozen-at'; readonly method: 'fence' | 'promote' | 'pointTo' | 'save'; readonly phase: 'before' | 'after'; readonly freezeMs: number }
  | { readonly kind: 'second-executor' }
  | { readonly kind: 'operator'; readonly group: string; readonly command: OperatorCommandType; readonly targetRegion?: RegionName; readonly allowDataLoss?: boolean };

export type ScheduledFault = Fault & { readonly at: number };

/** One seed's schedule: the fleet, the faults in time order, and when faults stop (everything heals then). */
export interface Schedule {
  readonly seed: number;
  readonly shape: WorldShape;
  readonly faults: readonly ScheduledFault[];
  /** Every fault is healed at this time (ms from the start); nobody acts after it. */
  readonly healAt: number;
  /** The simulation ends here: `healAt` plus the liveness bound. */
  readonly endAt: number;
}

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
const OUTSIDE_OBSERVER = 'sa-east-1';
const TRANSITIONAL_STATUSES = ['storage-optimization', 'backing-up', 'modifying', 'configuring-enhanced-monitoring', 'maintenance', 'upgrading', 'renaming'];
const COMMANDS: readonly OperatorCommandType[] = ['failover', 'switchover', 'approve', 'reject', 'abort', 'retry', 'pause', 'resume', 'acknowledge'];
const MINUTE = 60_000;

/** How long after the heal the group must be at rest (and the operator's exits are tried after it). */
export const LIVENESS_BOUND_MS = 6 * MINUTE;

/**
 * The schedule of `seed`: 1–3 groups on 2–3 regions, every database kind, fencing mode and failover mode, and 1–8
 * faults at random times in the first `faultWindowMs`. Pure: the same seed gives the same schedule.
 *
 * @example
 * generateSchedule(7).faults.map((fault) => fault.kind);
 */
export function generateSchedule(seed: number, options: { faultWindowMs?: number; maxFaults?: number } = {}): Schedule {
  const random = new Random(seed);
  const faultWindowMs = options.faultWindowMs ?? 150_000;
  const regions = random.sample(REGIONS, random.int(2, 3));
  const observerCandidates = [...regions, ...(random.chance(0.5) ? [OUTSIDE_OBSERVER] : [])];
  const observers = observerCandidates.length >= 3 && random.chance(0.3) ? random.sample(observerCandidates, observerCandidates.length - 1) : observerCandidates;
  const groups: GroupShape[] = [];
  const groupCount = random.pick([1, 1, 1, 2, 2, 3]);
  for (let index = 0; index < groupCount; index += 1) {
    const kind: DatabaseKind = random.chance(0.25) ? 'aurora-global' : 'rds-instance';
    const fencing: FencingMode =
      kind === 'aurora-global' ? random.pick(['none', 'stop-instance'] as const) : random.pick(['none', 'none', 'read-only-parameter-group', 'stop-instance'] as const);
    groups.push({
      id: `g${index + 1}`,
      kind,
      mode: random.pick(['automatic', 'automatic', 'approval', 'manual'] as const),
      fencing,
      primary: random.pick(regions),
      probeIntervalSeconds: random.pick([5, 10, 10, 15, 15]),
      failureThreshold: random.int(2, 3),
      maxReplicaLagSeconds: random.pick([5, 15, 30]),
      cooldownSeconds: random.pick([300, 3_600]),
    });
  }
  const shortestProbe = Math.min(...groups.map((group) => group.probeIntervalSeconds));
  const shape: WorldShape = { regions, observers, groups, orchestratePassSeconds: random.pick([shortestProbe, 30, 60, 60]) };
  const count = random.int(1, options.maxFaults ?? 6);
  const faults: ScheduledFault[] = [];
  // A third of the schedules also play an episode (several faults that only matter together) in a longer window.
  const episode = random.chance(0.33) ? randomEpisode(random, shape) : [];
  const window = episode.length > 0 ? faultWindowMs + 4 * MINUTE : faultWindowMs;
  for (let index = 0; index < count; index += 1) {
    const at = random.int(20_000, window);
    faults.push({ at, ...randomFault(random, shape) } as ScheduledFault);
  }
  faults.push(...episode);
  faults.sort((a, b) => a.at - b.at);
  const healAt = window + MINUTE / 2;
  return { seed, shape, faults, healAt, endAt: healAt + LIVENESS_BOUND_MS };
}

/**
 * Faults that only matter together: a second failover after the first (the topology and acknowledgement rules), and
 * an executor frozen at its fence while the operator aborts (a side effect landing after the lease moved on).
 */
function randomEpisode(random: Random, shape: WorldShape): ScheduledFault[] {
  const group = random.pick(shape.groups);
  const start = random.int(20_000, 60_000);
  // The config gives the first region of the shape the highest priority: the first failover's target.
  const firstTarget = shape.regions.find((region) => region !== group.primary)!;
  const third = shape.regions.find((region) => region !== group.primary && region !== firstTarget);
  if (random.chance(0.6)) {
    const second: Fault = random.pick<Fault>([
      { kind: 'region-outage', region: firstTarget, durationMs: 3 * MINUTE },
      { kind: 'operator', group: group.id, command: 'failover' },
      ...(third === undefined ? [] : [{ kind: 'operator', group: group.id, command: 'failover', targetRegion: third } as const]),
    ]);
    return [
      { at: start, kind: 'region-outage', region: group.primary, durationMs: 90_000 },
      { at: start + 200_000, kind: 'operator', group: group.id, command: 'acknowledge' },
      { at: start + 240_000, ...second },
    ];
  }
  return [
    { at: start, kind: 'executor-frozen-at', method: 'fence', phase: 'before', freezeMs: random.pick([45_000, 60_000, 90_000]) },
    { at: start + 1_000, kind: 'operator', group: group.id, command: 'failover', targetRegion: firstTarget },
    { at: start + random.pick([35_000, 40_000, 50_000]), kind: 'operator', group: group.id, command: 'abort' },
  ];
}

function randomFault(random: Random, shape: WorldShape): Fault {
  const group = random.pick(shape.groups);
  const region = random.pick(shape.regions);
  const duration = () => random.pick([15_000, 45_000, 90_000, 3 * MINUTE]);
  const roll = random.int(0, 21);
  switch (roll) {
    case 0:
    case 1:
    case 2:
      return { kind: 'region-outage', region: random.chance(0.6) ? group.primary : region, durationMs: duration() };
    case 3:
    case 4:
      return { kind: 'database-crash', group: group.id, region: random.chance(0.6) ? group.primary : region, status: random.pick(['failed', 'stopped', 'rebooting'] as const), httpFollows: random.chance(0.5), durationMs: duration() };
    case 5:
    case 6:
      return { kind: 'status-blip', group: group.id, region, status: random.pick(TRANSITIONAL_STATUSES), durationMs: duration() };
    case 7:
      return { kind: 'rds-api', region, error: random.pick(['server-error', 'throttling'] as const), durationMs: duration() };
    case 8:
      return { kind: 'partition', observer: random.pick(shape.observers), region, durationMs: duration() };
    case 9:
      return { kind: 'flapping', group: group.id, region, periodMs: random.pick([4_000, 7_500, 15_000]), durationMs: duration() };
    case 10:
      return { kind: 'observer-stale', observer: random.pick(shape.observers), durationMs: duration() };
    case 11:
      return { kind: 'observer-skew', observer: random.pick(shape.observers), skewMs: random.pick([-90_000, 30_000, 120_000, 600_000]), durationMs: duration() };
    case 12:
      return { kind: 'lag-spike', group: group.id, region, extraDelayMs: random.pick([10_000, 40_000, 120_000]), durationMs: duration() };
    case 13:
      return { kind: 'lag-metric-missing', group: group.id, region, durationMs: duration() };
    case 14:
      return random.chance(0.5)
        ? { kind: 'promotion-slow', group: group.id, region, promotionMs: random.pick([2 * MINUTE, 4 * MINUTE, 6 * MINUTE]) }
        : { kind: 'promotion-stuck', group: group.id, region, durationMs: duration() };
    case 15:
      return { kind: 'promotion-refused', group: group.id, region, attempts: random.int(1, 5) };
    case 16:
      return random.chance(0.6) ? { kind: 'dns-throttle', group: group.id, calls: random.int(1, 5) } : { kind: 'dns-access-denied', group: group.id, calls: random.int(1, 3) };
    case 17:
      return { kind: 'executor-crash', portCall: random.int(1, 40), phase: random.pick(['before', 'after'] as const) };
    case 18:
      return { kind: 'executor-frozen', portCall: random.int(1, 40), phase: random.pick(['before', 'after'] as const), freezeMs: random.pick([20_000, 45_000, 2 * MINUTE]) };
    case 19:
      return { kind: 'second-executor' };
    default: {
      const command = random.pick(COMMANDS);
      const others = shape.regions.filter((candidate) => candidate !== group.primary);
      const targetRegion = command === 'switchover' || (command === 'failover' && random.chance(0.7)) ? random.pick(shape.regions.length > 1 ? [...others, region] : shape.regions) : undefined;
      return {
        kind: 'operator',
        group: group.id,
        command,
        ...(targetRegion === undefined ? {} : { targetRegion }),
        ...(command === 'failover' && random.chance(0.4) ? { allowDataLoss: true } : {}),
      };
    }
  }
}

/** The same schedule with only the faults at `keep` (indices into `schedule.faults`). */
export function withFaults(schedule: Schedule, faults: readonly ScheduledFault[]): Schedule {
  return { ...schedule, faults };
}

import type { EpochMs, RegionName } from '../domain/types.js';
import type { SimFaultLogEntry } from '../adapters/sim/SimWorld.js';
import type { ExpectationResult } from './expectations.js';
import { formatDuration } from './format.js';

/** What one observer saw of one region in one probe round of the drill. */
export interface ProbeSighting {
  readonly at: EpochMs;
  readonly observer: RegionName;
  readonly region: RegionName;
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

/**
 * The earliest an automatic detection can come after a fault: the first failing round is at or after the fault, and
 * `failureThreshold` consecutive failing rounds, `probeIntervalSeconds` apart, end `threshold − 1` intervals later.
 *
 * @example
 * minimumDetectionMs({ failureThreshold: 3, probeIntervalSeconds: 5 }); // 10_000
 */
export function minimumDetectionMs(policy: { readonly failureThreshold: number; readonly probeIntervalSeconds: number }): number {
  return (policy.failureThreshold - 1) * policy.probeIntervalSeconds * 1000;
}

/**
 * What physics allows a drill to have seen, as checks: no region seen failing before a fault touched it (while only
 * faults changed the world: until the first operator command or the group's first move out of `monitoring`, after
 * which a fenced or orphaned database may fail on purpose), and no detection faster than the probe schedule allows. A broken one means the drill measured the machine, not the
 * control plane: the drill fails with that reason. Pure.
 *
 * @example
 * const checks = physicsChecks({ sightings, faultLog: world.faultLog(), startedAt, detectionMs: 10_100, minDetectionMs: 10_000 });
 * checks.every((check) => check.pass);
 */
export function physicsChecks(input: {
  readonly sightings: readonly ProbeSighting[];
  readonly faultLog: readonly SimFaultLogEntry[];
  readonly startedAt: EpochMs;
  /** When an operator command or the control plane first changed the world; sightings from then on are not judged. */
  readonly worldChangedAt?: EpochMs;
  readonly detectionMs?: number;
  readonly minDetectionMs: number;
}): ExpectationResult[] {
  const firstTouch = new Map<RegionName, EpochMs>();
  for (const entry of input.faultLog) {
    if (entry.action !== 'injected' || !('region' in entry.fault)) continue;
    if (!firstTouch.has(entry.fault.region)) firstTouch.set(entry.fault.region, entry.at);
  }
  const early = input.sightings.find((sighting) => {
    if (sighting.ok || (input.worldChangedAt !== undefined && sighting.at >= input.worldChangedAt)) return false;
    const touched = firstTouch.get(sighting.region);
    return touched === undefined || sighting.at < touched;
  });
  const checks: ExpectationResult[] = [
    {
      name: 'no failure before a fault',
      pass: early === undefined,
      expected: 'a region fails only after a fault touched it',
      actual:
        early === undefined
          ? 'none'
          : `${early.region} failed from ${early.observer} at T+${((early.at - input.startedAt) / 1000).toFixed(1)} s (${early.reasons.join('; ')}) before any fault touched it`,
    },
  ];
  if (input.detectionMs !== undefined) {
    checks.push({
      name: 'detection within physics',
      pass: input.detectionMs >= input.minDetectionMs,
      expected: `≥ ${formatDuration(input.minDetectionMs)} (failure threshold − 1 probe intervals)`,
      actual: formatDuration(input.detectionMs),
    });
  }
  return checks;
}

import type { RegionHealth } from '../domain/types.js';

/**
 * What a pass must save, and what it may leave in the stored record until the next save: a pass that changes
 * nothing that decides anything writes nothing (issue #11: a quiet steady state).
 *
 * Left out of the comparison, and so possibly older in the stored record than in memory:
 * - the machine's `now`: every executor session starts with `CONFIGURE`, which sets it before anything reads it;
 * - the assessment's time, its proposed failover id (random per pass) and its reason texts ("measured 25 s ago"):
 *   the machine reads only the verdict, its since, the primary region, the candidate region and why none is eligible,
 *   and those are compared;
 * - a region's measurements that change on every round (last sign of life, replica lag and its measurement time,
 *   reason texts): each pass recomputes them from the observer reports before deciding, and the executor saves them
 *   at least every `STATE_REFRESH_MS` so `fcp status` never shows older ones.
 * Everything else is compared by value, whatever the key order (maps read back from DynamoDB come in another one).
 */

/** JSON with object keys sorted at every level and `undefined` members dropped, as DynamoDB stores them. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    return Object.fromEntries(
      Object.entries(member as Record<string, unknown>)
        .filter(([, child]) => child !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}

/**
 * True when the two values are equal as stored: same members, same values, any key order; `undefined` members count
 * as absent. The same answer as comparing their `canonicalJson`, without building two strings on every pass (the
 * executor compares the whole record after every step; the stringify was the simulator's largest share of CPU).
 *
 * @example
 * sameStored({ a: 1, b: undefined, c: [1, 2] }, { c: [1, 2], a: 1 }); // true
 */
export function sameStored(a: unknown, b: unknown): boolean {
  return storedEqual(a, b, false);
}

function storedEqual(rawA: unknown, rawB: unknown, inArray: boolean): boolean {
  const a = asStored(rawA, inArray);
  const b = asStored(rawB, inArray);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((member, index) => storedEqual(member, b[index], true));
  }
  if (hasToJson(a) || hasToJson(b)) return canonicalJson(a) === canonicalJson(b);
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let members = 0;
  for (const key of Object.keys(left)) {
    if (asStored(left[key], false) === undefined) continue;
    members += 1;
    if (!Object.hasOwn(right, key) || !storedEqual(left[key], right[key], false)) return false;
  }
  for (const key of Object.keys(right)) if (asStored(right[key], false) !== undefined) members -= 1;
  return members === 0;
}

/** A value as JSON writes it: a non-finite number is null; undefined, a function or a symbol is absent (null in an array). */
function asStored(value: unknown, inArray: boolean): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return inArray ? null : undefined;
  return value;
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

interface PersistedLike {
  readonly context?: Record<string, unknown> & { readonly assessment?: Record<string, unknown> };
}

/** The part of a persisted machine snapshot that decides anything (see the module comment). */
export function decisiveSnapshot(snapshot: unknown): unknown {
  if (snapshot === null || typeof snapshot !== 'object') return snapshot;
  const { context, ...rest } = snapshot as PersistedLike & Record<string, unknown>;
  if (context === undefined) return rest;
  const { now: _now, assessment, ...decisive } = context;
  const ineligible = assessment?.ineligible as readonly { region: string }[] | undefined;
  const candidate = assessment?.candidate as { region: string } | undefined;
  return {
    ...rest,
    context: {
      ...decisive,
      assessment: assessment && {
        primaryRegion: assessment.primaryRegion,
        primaryVerdict: assessment.primaryVerdict,
        primaryVerdictSince: assessment.primaryVerdictSince,
        candidate: candidate?.region,
        ineligible: ineligible?.map((entry) => entry.region),
        noCandidateReason: assessment.noCandidateReason,
      },
    },
  };
}

/** The part of the group's health that decides anything (see the module comment). */
export function decisiveHealth(health: Readonly<Record<string, RegionHealth>>): unknown {
  return Object.fromEntries(
    Object.entries(health).map(([region, regionHealth]) => {
      const { lastHealthyAt: _seen, replicaLagSeconds: _lag, replicaLagMeasuredAt: _measured, reasons: _reasons, ...decisive } = regionHealth;
      return [region, decisive];
    }),
  );
}

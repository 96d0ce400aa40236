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

/** True when the two values are equal as stored: same members, same values, any key order. */
export function sameStored(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
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

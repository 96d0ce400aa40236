import type { FailoverRecord, RegionName } from '../domain/types.js';
import { formatDuration } from './format.js';
import type { ScenarioExpectation } from './scenarios/types.js';

/** What a drill measured at its end, for the checks of its scenario. */
export interface DrillFacts {
  /** The machine state (`failedOver`, `monitoring`, `failingOver.promoting`...). */
  readonly state: string;
  readonly primaryRegion: RegionName;
  /** The latest failover, if any started. */
  readonly failover?: FailoverRecord;
  readonly rtoMs?: number;
  readonly lostWrites?: number;
  /** promote calls that answered `started`: promotions that took effect. */
  readonly promotions: number;
  readonly promoteCalls: number;
  /** DNS record changes made. */
  readonly trafficChanges: number;
  /** Every state the group was in, from the event log, in order of first visit. */
  readonly visited: readonly string[];
  readonly eventCounts: Readonly<Record<string, number>>;
}

/** One line of a scenario's verdict. */
export interface ExpectationResult {
  readonly name: string;
  readonly pass: boolean;
  readonly expected: string;
  readonly actual: string;
}

/** `failingOver` matches `failingOver.promoting`: a parent state names all of its children. */
export function isInState(state: string, expected: string): boolean {
  return state === expected || state.startsWith(`${expected}.`);
}

/**
 * Checks a drill's facts against its scenario's expectation, one result per bound. Pure.
 *
 * @example
 * const results = checkExpectations(scenario.expect, facts);
 * results.every((result) => result.pass); // the scenario ended as it should
 */
export function checkExpectations(expect: ScenarioExpectation, facts: DrillFacts): ExpectationResult[] {
  const results: ExpectationResult[] = [
    { name: 'end state', pass: isInState(facts.state, expect.endState), expected: expect.endState, actual: facts.state },
    { name: 'primary', pass: facts.primaryRegion === expect.primaryRegion, expected: expect.primaryRegion, actual: facts.primaryRegion },
  ];
  if (expect.failover) {
    const outcome = facts.failover?.outcome ?? 'no failover';
    results.push({ name: 'failover', pass: outcome === 'completed', expected: 'completed', actual: outcome });
  } else {
    results.push({
      name: 'no failover',
      pass: facts.promoteCalls === 0 && facts.trafficChanges === 0,
      expected: 'promote never called, DNS unchanged',
      actual: `${facts.promoteCalls} promote call(s), ${facts.trafficChanges} DNS change(s)`,
    });
  }
  if (expect.maxRtoSeconds !== undefined) {
    results.push({
      name: 'rto',
      pass: facts.rtoMs !== undefined && facts.rtoMs <= expect.maxRtoSeconds * 1000,
      expected: `≤ ${formatDuration(expect.maxRtoSeconds * 1000)}`,
      actual: facts.rtoMs === undefined ? 'did not complete' : formatDuration(facts.rtoMs),
    });
  }
  if (expect.maxLostWrites !== undefined) {
    results.push({
      name: 'lost writes',
      pass: facts.lostWrites !== undefined && facts.lostWrites <= expect.maxLostWrites,
      expected: `≤ ${expect.maxLostWrites}`,
      actual: facts.lostWrites === undefined ? 'no promotion' : String(facts.lostWrites),
    });
  }
  if (expect.minLostWrites !== undefined) {
    results.push({
      name: 'data loss reported',
      pass: facts.lostWrites !== undefined && facts.lostWrites >= expect.minLostWrites,
      expected: `≥ ${expect.minLostWrites} lost writes`,
      actual: facts.lostWrites === undefined ? 'no promotion' : `${facts.lostWrites} lost writes`,
    });
  }
  if (expect.promotions !== undefined) {
    results.push({
      name: 'promotions',
      pass: facts.promotions === expect.promotions,
      expected: `exactly ${expect.promotions}`,
      actual: `${facts.promotions} (${facts.promoteCalls} promote call(s))`,
    });
  }
  for (const state of expect.visits ?? []) {
    const seen = facts.visited.some((visited) => isInState(visited, state));
    results.push({ name: `visits ${state}`, pass: seen, expected: 'visited', actual: seen ? 'visited' : 'never' });
  }
  for (const [type, minimum] of Object.entries(expect.events ?? {})) {
    const count = facts.eventCounts[type] ?? 0;
    results.push({ name: `${type} events`, pass: count >= minimum, expected: `≥ ${minimum}`, actual: String(count) });
  }
  return results;
}

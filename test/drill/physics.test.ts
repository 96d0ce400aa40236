import { describe, expect, it } from 'vitest';
import { minimumDetectionMs, physicsChecks, type ProbeSighting } from '../../src/drill/physics.js';
import type { SimFaultLogEntry } from '../../src/adapters/sim/SimWorld.js';

const START = 1_000_000;
const outageAt10s: SimFaultLogEntry[] = [{ at: START + 10_000, action: 'injected', fault: { kind: 'region-outage', region: 'eu-west-1' } }];

function sighting(seconds: number, region: string, ok: boolean, reasons: string[] = []): ProbeSighting {
  return { at: START + seconds * 1000, observer: 'us-east-1', region, ok, reasons };
}

describe('what physics allows a drill to have seen', () => {
  it('needs failure threshold − 1 probe intervals for a detection', () => {
    // Act
    const floor = minimumDetectionMs({ failureThreshold: 3, probeIntervalSeconds: 5 });

    // Assess
    expect(floor).toBe(10_000);
  });

  it('passes a drill whose region failed only after its fault and whose detection took the probe schedule', () => {
    // Prepare
    const sightings = [sighting(5, 'eu-west-1', true), sighting(10, 'eu-west-1', false, ['connection refused'])];

    // Act
    const checks = physicsChecks({ sightings, faultLog: outageAt10s, startedAt: START, detectionMs: 10_100, minDetectionMs: 10_000 });

    // Assess
    expect(checks.map((check) => [check.name, check.pass])).toEqual([
      ['no failure before a fault', true],
      ['detection within physics', true],
    ]);
  });

  it('fails a drill that saw a region fail before any fault touched it, and says when and why', () => {
    // Prepare
    const sightings = [sighting(5, 'eu-west-1', false, ['timeout after 250 ms']), sighting(10, 'eu-west-1', false)];

    // Act
    const [early] = physicsChecks({ sightings, faultLog: outageAt10s, startedAt: START, minDetectionMs: 10_000 });

    // Assess
    expect(early?.pass).toBe(false);
    expect(early?.actual).toBe('eu-west-1 failed from us-east-1 at T+5.0 s (timeout after 250 ms) before any fault touched it');
  });

  it('fails a detection faster than three rounds five seconds apart allow', () => {
    // Act
    const checks = physicsChecks({ sightings: [], faultLog: outageAt10s, startedAt: START, detectionMs: 700, minDetectionMs: 10_000 });

    // Assess
    expect(checks.find((check) => check.name === 'detection within physics')).toMatchObject({ pass: false, actual: '700 ms' });
  });

  it('counts a failure of a region no fault ever touched as before a fault', () => {
    // Act
    const [early] = physicsChecks({ sightings: [sighting(30, 'us-east-1', false, ['status 503'])], faultLog: outageAt10s, startedAt: START, minDetectionMs: 0 });

    // Assess
    expect(early?.pass).toBe(false);
  });

  it('does not judge a failure once an operator or the control plane changed the world (a fenced old primary)', () => {
    // Act
    const [early] = physicsChecks({
      sightings: [sighting(30, 'us-east-1', false, ['database is read-only'])],
      faultLog: outageAt10s,
      startedAt: START,
      worldChangedAt: START + 15_000,
      minDetectionMs: 0,
    });

    // Assess
    expect(early?.pass).toBe(true);
  });
});

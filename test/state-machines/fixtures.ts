import type { Assessment, FailoverInput, MachineSettings } from '../../state-machines/types.js';

export const settings: MachineSettings = {
  mode: 'automatic',
  maxStepAttempts: 3,
  stepTimeoutsMs: {
    reserving: 60_000,
    fencing: 60_000,
    draining: 300_000,
    promoting: 900_000,
    awaitingPromotion: 900_000,
    switchingTraffic: 60_000,
    awaitingDnsSync: 180_000,
    verifying: 120_000,
  },
};

export const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);

export const input: FailoverInput = { groupId: 'orders', primaryRegion: 'eu-west-1', settings, now: T0 };

export function healthy(at: number, overrides: Partial<Assessment> = {}): Assessment {
  return {
    at,
    primaryRegion: 'eu-west-1',
    primaryVerdict: 'healthy',
    primaryVerdictSince: T0,
    candidate: { region: 'us-east-1', replicaLagSeconds: 2 },
    ineligible: [{ region: 'ap-southeast-2', reason: 'lower priority' }],
    proposedFailoverId: `fo-${at}`,
    ...overrides,
  };
}

export function primaryDown(at: number, overrides: Partial<Assessment> = {}): Assessment {
  return healthy(at, { primaryVerdict: 'unhealthy', primaryVerdictSince: at - 15_000, ...overrides });
}

/** Who sent an operator command, as the CLI fills it in. */
export const operator = {
  principalArn: 'arn:aws:iam::123456789012:role/oncall',
  reason: 'test',
  commandId: 'cmd-1',
} as const;

/** The two regions of the fixture group: the one that is not `region`. */
export function otherRegion(region: string): string {
  return region === 'eu-west-1' ? 'us-east-1' : 'eu-west-1';
}

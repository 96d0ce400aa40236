import type { GroupConfig } from '../config/schema.js';
import type { MachineSettings } from '../../state-machines/types.js';

/** The machine's view of a group's policy, in milliseconds. */
export function machineSettingsFor(group: GroupConfig): MachineSettings {
  const { policy } = group;
  const seconds = policy.stepTimeouts;
  return {
    mode: group.mode,
    maxStepAttempts: policy.maxStepAttempts,
    stepTimeoutsMs: {
      reserving: seconds.fencingSeconds * 1000,
      fencing: seconds.fencingSeconds * 1000,
      draining: seconds.drainingSeconds * 1000,
      promoting: seconds.promotionSeconds * 1000,
      awaitingPromotion: seconds.promotionSeconds * 1000,
      switchingTraffic: seconds.trafficSwitchSeconds * 1000,
      awaitingDnsSync: seconds.dnsSyncSeconds * 1000,
      verifying: seconds.verificationSeconds * 1000,
    },
  };
}

import type { SimFault } from '../adapters/sim/SimWorld.js';

/**
 * A fault in words, for the live output.
 *
 * @example
 * describeFault({ kind: 'region-outage', region: 'eu-west-1' }); // 'region-outage eu-west-1'
 */
export function describeFault(fault: SimFault): string {
  switch (fault.kind) {
    case 'dns-throttle':
      return `dns-throttle (next ${fault.calls} record changes fail with ${fault.code ?? 'Throttling'})`;
    case 'route53-control-plane-outage':
      return 'route53-control-plane-outage (record changes and GetChange fail; DNS answers carry on)';
    case 'partition':
      return `partition (observer ${fault.observer} cannot reach ${fault.region})`;
    case 'http':
      return `http ${fault.region} (${fault.behaviour.kind})`;
    case 'replica-lag':
      return `replica-lag ${fault.region}${fault.extraLagSeconds === undefined ? '' : ` (+${fault.extraLagSeconds} s)`}`;
    case 'promotion-invalid-state':
      return `promotion-invalid-state ${fault.region} (${fault.attempts} attempts)`;
    default:
      return `${fault.kind} ${fault.region}`;
  }
}

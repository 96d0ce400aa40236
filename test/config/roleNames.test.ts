import { describe, expect, it } from 'vitest';
import { roleName } from '../../src/config/roleNames.js';

describe('roleName', () => {
  it('names a role by stage, function and region', () => {
    // Act
    const name = roleName('production', 'probe', 'ap-southeast-2');

    // Assess
    expect(name).toBe('fcp-production-probe-ap-southeast-2');
  });

  it('refuses a stage that makes the name longer than IAM allows, naming the stage', () => {
    // Act
    const act = () => roleName('s'.repeat(40), 'orchestrate', 'ap-southeast-2');

    // Assess
    expect(act).toThrow(/^stage s+: the role name fcp-s+-orchestrate-ap-southeast-2 is not a valid IAM role name/);
  });
});

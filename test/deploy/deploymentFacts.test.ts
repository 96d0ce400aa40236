import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { deploymentFacts } from '../../scripts/deployment-facts.js';
import { repositoryRoot } from './packageStack.js';

const request = { service: 'failover-control-plane', stage: 'staging', configPath: 'config/example.yaml', observer: '' };

describe('deploymentFacts', () => {
  it('sends the control-plane stack to the configured control-plane region', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));

    // Act
    const facts = deploymentFacts(config, request);

    // Assess
    expect(facts.stack).toBe('control-plane');
    expect(facts.region).toBe('us-west-2');
    expect(facts.tableName).toBe('failover-control-plane-staging');
  });

  it('refuses an observer region the configuration does not list', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));

    // Act
    const act = () => deploymentFacts(config, { ...request, observer: 'sa-east-1' });

    // Assess
    expect(act).toThrow(/observer=sa-east-1 is not one of fleet.observerRegions/);
  });

  it('refuses a --region that contradicts the control-plane region', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));

    // Act
    const act = () => deploymentFacts(config, { ...request, cliRegion: 'eu-west-1' });

    // Assess
    expect(act).toThrow(/--region eu-west-1 contradicts fleet.controlPlaneRegion \(us-west-2\)/);
  });

  it('leaves out the Aurora statements when no group uses Aurora, as IAM rejects a statement without resources', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));

    // Act
    const sids = deploymentFacts(config, request).iam.orchestrate.map((statement) => statement.Sid);

    // Assess
    expect(sids).toContain('RdsInstanceFailover');
    expect(sids).not.toContain('AuroraGlobalFailover');
    expect(sids).not.toContain('AuroraDescribeGlobalClusters');
  });
});

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

  it('schedules the orchestrator once a minute per shard the groups name, each invocation told its shard', async () => {
    // Prepare: the example's group names no shard; then a copy of it in shard east, and another in the default shard.
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));
    const [group] = config.groups;
    const sharded = { ...config, groups: [group!, { ...group!, id: 'east-1', shard: 'east' }, { ...group!, id: 'other', shard: 'default' }] };

    // Act
    const single = deploymentFacts(config, request).orchestrateSchedules;
    const split = deploymentFacts(sharded, request).orchestrateSchedules;

    // Assess
    expect(single).toEqual([{ schedule: { rate: 'rate(1 minute)', input: { shard: 'default' } } }]);
    expect(split.map((event) => event.schedule.input.shard)).toEqual(['default', 'east']);
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

describe('deploymentFacts with the control plane in three regions', () => {
  const threeRegions = 'test/deploy/fixtures/three-regions.yaml';

  it('sends a replica stack to its region, on the table replica there, with a new table name', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, threeRegions));

    // Act
    const facts = deploymentFacts(config, { ...request, configPath: threeRegions, controlPlane: 'us-east-2' });

    // Assess
    expect(facts).toMatchObject({
      stack: 'control-plane-replica',
      region: 'us-east-2',
      tableRegion: 'us-east-2',
      tableName: 'failover-control-plane-staging-mrsc',
      threeRegions: 'true',
      controlPlaneRegions: ['us-west-2', 'us-east-2', 'us-east-1'],
    });
  });

  it('lets an observer in a control-plane region write to the replica in its own region, and others to the first', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, threeRegions));

    // Act
    const inside = deploymentFacts(config, { ...request, configPath: threeRegions, observer: 'us-east-1' });
    const outside = deploymentFacts(config, { ...request, configPath: threeRegions, observer: 'eu-west-1' });

    // Assess
    expect(inside.tableRegion).toBe('us-east-1');
    expect(outside.tableRegion).toBe('us-west-2');
  });

  it('refuses a replica stack for a region that is not a configured replica region', async () => {
    // Prepare
    const [three, one] = await Promise.all([
      loadConfig(join(repositoryRoot, threeRegions)),
      loadConfig(join(repositoryRoot, 'config/example.yaml')),
    ]);

    // Act
    const elsewhere = () => deploymentFacts(three, { ...request, configPath: threeRegions, controlPlane: 'eu-west-2' });
    const noReplicas = () => deploymentFacts(one, { ...request, controlPlane: 'us-east-2' });
    const both = () => deploymentFacts(three, { ...request, configPath: threeRegions, controlPlane: 'us-east-2', observer: 'us-east-1' });

    // Assess
    expect(elsewhere).toThrow(/controlPlane=eu-west-2 is not one of fleet.controlPlaneReplicaRegions \(us-east-2, us-east-1\)/);
    expect(noReplicas).toThrow(/controlPlane=us-east-2: config\/example.yaml configures one control-plane region/);
    expect(both).toThrow(/an observer or a control plane, not both/);
  });

  it('grants the ARC data-plane actions on the configured routing controls only', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, threeRegions));

    // Act
    const statement = deploymentFacts(config, { ...request, configPath: threeRegions }).iam.orchestrate.find(
      (candidate) => candidate.Sid === 'ArcRoutingControls',
    );

    // Assess
    expect(statement?.Action).toEqual([
      'route53-recovery-cluster:GetRoutingControlState',
      'route53-recovery-cluster:UpdateRoutingControlState',
      'route53-recovery-cluster:UpdateRoutingControlStates',
    ]);
    expect(statement?.Resource).toEqual([
      'arn:aws:route53-recovery-control::111122223333:controlpanel/ledgerpanel/routingcontrol/ledgereuc1',
      'arn:aws:route53-recovery-control::111122223333:controlpanel/ledgerpanel/routingcontrol/ledgeruse1',
    ]);
  });
});

describe('deploymentFacts for database.connectionCheck', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments-probe-AbCdEf';
  const base = { host: 'payments.abc.rds.amazonaws.com', port: 5432, database: 'payments', tls: 'verify-full', timeoutMs: 2_000 } as const;

  it('grants the probe no Secrets Manager or RDS IAM login when no region configures a check', async () => {
    // Prepare
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));

    // Act
    const facts = deploymentFacts(config, { ...request, observer: 'eu-west-1' });

    // Assess
    const actions = [...facts.iam.probe, ...facts.iam.orchestrate, ...facts.iam.operator].flatMap((statement) => statement.Action);
    expect(actions.filter((action) => action.startsWith('secretsmanager:') || action.startsWith('rds-db:'))).toEqual([]);
  });

  it('lets the probe alone read exactly the configured secrets and log in as the configured IAM users', async () => {
    // Prepare: eu-west-1 and a second group's eu-west-1 read one secret; us-east-1 logs in with an IAM token.
    const config = await loadConfig(join(repositoryRoot, 'config/example.yaml'));
    const [group] = config.groups;
    const withCheck = (region: string, connectionCheck: object) => ({
      ...group!.regions[region]!,
      database: { ...group!.regions[region]!.database, connectionCheck },
    });
    const checked = {
      ...group!,
      regions: {
        ...group!.regions,
        'eu-west-1': withCheck('eu-west-1', { ...base, user: 'fcp_probe', passwordFrom: { kind: 'secrets-manager', secretArn } }),
        'us-east-1': withCheck('us-east-1', { ...base, user: 'fcp_iam', passwordFrom: { kind: 'rds-iam' } }),
        'ap-southeast-2': withCheck('ap-southeast-2', { ...base, user: 'fcp_env', passwordFrom: { kind: 'environment', variable: 'PAYMENTS_PASSWORD' } }),
      },
    };
    const twoGroups = { ...config, groups: [checked, { ...checked, id: 'payments-copy' }] } as typeof config;

    // Act
    const facts = deploymentFacts(twoGroups, { ...request, observer: 'eu-west-1' });

    // Assess
    const bySid = new Map(facts.iam.probe.map((statement) => [statement.Sid, statement]));
    expect(bySid.get('ConnectionCheckSecrets')).toEqual({ Sid: 'ConnectionCheckSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] });
    expect(bySid.get('ConnectionCheckIamLogin')).toEqual({
      Sid: 'ConnectionCheckIamLogin',
      Effect: 'Allow',
      Action: ['rds-db:connect'],
      Resource: ['arn:aws:rds-db:us-east-1:123456789012:dbuser:*/fcp_iam'],
    });
    const orchestration = [...facts.iam.orchestrate, ...facts.iam.operator].flatMap((statement) => statement.Action);
    expect(orchestration.filter((action) => action.startsWith('secretsmanager:') || action.startsWith('rds-db:'))).toEqual([]);
  });
});

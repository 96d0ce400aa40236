import {
  AccessDeniedException,
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArcRoutingControlTraffic, type ClusterEndpoint } from '../../../../src/adapters/aws/arc/ArcRoutingControlTraffic.js';
import { AuthoritativeAnswers } from '../../../../src/adapters/dns/AuthoritativeAnswers.js';
import { GroupSchema, type GroupConfig } from '../../../../src/config/schema.js';
import { FatalStepError, RetryableStepError } from '../../../../src/domain/errors.js';
import { startDnsServer, type TestDnsServer } from '../../../support/dnsServer.js';
import { rdsGroup } from '../fixtures.js';

const CONTROL = (id: string) => `arn:aws:route53-recovery-control::123456789012:controlpanel/panel1/routingcontrol/${id}`;
const CONTROLS = { 'eu-west-1': CONTROL('euw1'), 'eu-central-1': CONTROL('euc1') };
const ENDPOINTS: ClusterEndpoint[] = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-2'].map((region) => ({
  region,
  endpoint: `https://host-${region}.example.route53-recovery-cluster.aws/v1`,
}));

let dns: TestDnsServer;
let group: GroupConfig;
let clients: Map<string, AwsClientStub<Route53RecoveryClusterClient>>;
let traffic: ArcRoutingControlTraffic;

beforeAll(async () => {
  dns = await startDnsServer();
  group = GroupSchema.parse({
    ...rdsGroup,
    dns: {
      ...rdsGroup.dns,
      switch: 'arc-routing-control',
      arc: { clusterEndpoints: ENDPOINTS, routingControls: CONTROLS },
      nameServers: [dns.address],
    },
  });
});

afterAll(async () => {
  await dns.close();
});

beforeEach(() => {
  clients = new Map();
  dns.answer('orders.example.com', 'CNAME', ['eu-west.orders.example.com']);
});

/** The mocked client instance of each endpoint, built when the adapter first asks for it. */
const instances = new Map<string, Route53RecoveryClusterClient>();

function stub(endpoint: ClusterEndpoint): AwsClientStub<Route53RecoveryClusterClient> {
  return clients.get(endpoint.endpoint)!;
}

function states(stubbed: AwsClientStub<Route53RecoveryClusterClient>, on: string): void {
  for (const [region, arn] of Object.entries(CONTROLS)) {
    stubbed.on(GetRoutingControlStateCommand, { RoutingControlArn: arn }).resolves({
      RoutingControlArn: arn,
      RoutingControlState: region === on ? 'On' : 'Off',
    });
  }
}

function unavailable(): EndpointTemporarilyUnavailableException {
  return new EndpointTemporarilyUnavailableException({ message: 'endpoint in maintenance', $metadata: {} });
}

describe('the ARC routing control switch', () => {
  beforeEach(() => {
    instances.clear();
    traffic = new ArcRoutingControlTraffic({
      client: (endpoint) => {
        let instance = instances.get(endpoint.endpoint);
        if (instance === undefined) {
          instance = new Route53RecoveryClusterClient({ region: endpoint.region, endpoint: endpoint.endpoint });
          instances.set(endpoint.endpoint, instance);
          clients.set(endpoint.endpoint, mockClient(instance));
          pending.get(endpoint.endpoint)?.(clients.get(endpoint.endpoint)!);
        }
        return instance;
      },
      dns: new AuthoritativeAnswers({ timeoutMs: 500, tries: 1 }),
      groups: (id) => (id === group.id ? group : undefined),
    });
    pending.clear();
  });

  /** Stubs set before the adapter first builds an endpoint's client are applied when it does. */
  const pending = new Map<string, (stubbed: AwsClientStub<Route53RecoveryClusterClient>) => void>();
  function onEndpoint(endpoint: ClusterEndpoint, setUp: (stubbed: AwsClientStub<Route53RecoveryClusterClient>) => void): void {
    pending.set(endpoint.endpoint, setUp);
  }

  it('turns the target On and every other region Off in one UpdateRoutingControlStates call', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => {
      states(stubbed, 'eu-west-1');
      stubbed.on(UpdateRoutingControlStatesCommand).resolves({});
    });

    // Act
    const result = await traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Assess
    expect(result).toEqual({ changed: true, changeId: 'arc:orders:eu-central-1' });
    const updates = stub(ENDPOINTS[0]!).commandCalls(UpdateRoutingControlStatesCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input.UpdateRoutingControlStateEntries).toEqual([
      { RoutingControlArn: CONTROLS['eu-west-1'], RoutingControlState: 'Off' },
      { RoutingControlArn: CONTROLS['eu-central-1'], RoutingControlState: 'On' },
    ]);
  });

  it('changes nothing when only the target is On already', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => states(stubbed, 'eu-central-1'));

    // Act
    const result = await traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Assess
    expect(result).toEqual({ changed: false });
    expect(stub(ENDPOINTS[0]!).commandCalls(UpdateRoutingControlStatesCommand)).toHaveLength(0);
  });

  it('rotates to the next cluster endpoint when one is unavailable, and starts there next time', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => stubbed.onAnyCommand().rejects(unavailable()));
    onEndpoint(ENDPOINTS[1]!, (stubbed) => {
      states(stubbed, 'eu-west-1');
      stubbed.on(UpdateRoutingControlStatesCommand).resolves({});
    });

    // Act
    await traffic.pointTo(group, 'eu-central-1', 'failover fo-1');
    const firstCallsAfterRotation = stub(ENDPOINTS[0]!).calls().length;
    await traffic.routingControlStates(group);

    // Assess
    expect(stub(ENDPOINTS[1]!).commandCalls(UpdateRoutingControlStatesCommand)).toHaveLength(1);
    expect(stub(ENDPOINTS[0]!).calls().length).toBe(firstCallsAfterRotation);
  });

  it('answers a retryable error naming every endpoint when none of the five answers', async () => {
    // Prepare
    for (const endpoint of ENDPOINTS) onEndpoint(endpoint, (stubbed) => stubbed.onAnyCommand().rejects(unavailable()));

    // Act
    const switching = traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Assess
    await expect(switching).rejects.toThrow(RetryableStepError);
    await expect(switching).rejects.toThrow(/no cluster endpoint answered \(us-east-1: .*us-west-2: .*eu-west-1: .*ap-northeast-1: .*ap-southeast-2: /);
  });

  it('stops at once, naming the IAM action, when the control plane role may not update routing controls', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => {
      states(stubbed, 'eu-west-1');
      stubbed.on(UpdateRoutingControlStatesCommand).rejects(new AccessDeniedException({ message: 'no', $metadata: {} }));
    });

    // Act
    const switching = traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Assess
    await expect(switching).rejects.toThrow(FatalStepError);
    await expect(switching).rejects.toThrow(/grant route53-recovery-cluster:UpdateRoutingControlStates/);
    expect(instances.size).toBe(1);
  });

  it('stops at once when a safety rule refuses the switch', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => {
      states(stubbed, 'eu-west-1');
      stubbed.on(UpdateRoutingControlStatesCommand).rejects(new ConflictException({ message: 'assertion rule failed', $metadata: {}, resourceId: 'x', resourceType: 'y' }));
    });

    // Act
    const switching = traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Assess
    await expect(switching).rejects.toThrow(/refused: assertion rule failed \(a safety rule/);
  });

  it('is in sync once the zone\'s name servers answer the new target, asked by DNS', async () => {
    // Prepare
    onEndpoint(ENDPOINTS[0]!, (stubbed) => {
      states(stubbed, 'eu-west-1');
      stubbed.on(UpdateRoutingControlStatesCommand).resolves({});
    });
    const { changeId } = await traffic.pointTo(group, 'eu-central-1', 'failover fo-1');

    // Act
    const before = await traffic.changeStatus(changeId!);
    dns.answer('orders.example.com', 'CNAME', ['eu-central.orders.example.com.']);
    const after = await traffic.changeStatus(changeId!);
    const current = await traffic.currentRegion(group);

    // Assess
    expect(before).toBe('PENDING');
    expect(after).toBe('INSYNC');
    expect(current).toBe('eu-central-1');
    expect(dns.questions).toContain('CNAME orders.example.com');
  });
});

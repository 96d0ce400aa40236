import 'aws-sdk-client-mock-vitest/extend';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientConfig } from '../../../../src/adapters/aws/clientConfig.js';
import { ROUTE53_API_REGION, Route53Traffic } from '../../../../src/adapters/aws/route53/Route53Traffic.js';
import { FatalStepError, RetryableStepError } from '../../../../src/domain/errors.js';
import { AURORA_PRIMARY, AURORA_SECONDARY, PRIMARY, SECONDARY, auroraGroup, awsError, rdsGroup } from '../fixtures.js';

const route53 = mockClient(Route53Client);

const cnameRecord = (value: string, name = 'orders.example.com.'): ResourceRecordSet => ({
  Name: name,
  Type: 'CNAME',
  TTL: 30,
  ResourceRecords: [{ Value: value }],
});

const aliasRecord = (dnsName: string): ResourceRecordSet => ({
  Name: 'ledger.example.com.',
  Type: 'A',
  AliasTarget: { HostedZoneId: 'Z3AADJGX6KTTL2', DNSName: dnsName, EvaluateTargetHealth: false },
});

function build() {
  const regionsAsked: string[] = [];
  const traffic = new Route53Traffic((region) => {
    regionsAsked.push(region);
    return new Route53Client({ region });
  });
  return { traffic, regionsAsked };
}

beforeEach(() => {
  route53.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Route53Traffic', () => {
  it('asks the client factory for us-east-1 only, where the Route 53 API lives', () => {
    // Act
    const { regionsAsked } = build();

    // Assess
    expect(ROUTE53_API_REGION).toBe('us-east-1');
    expect(regionsAsked).toEqual(['us-east-1']);
  });

  it('gets a us-east-1 client from the real configuration even when the Lambda runs elsewhere', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    const created: Route53Client[] = [];

    // Act
    new Route53Traffic((region) => {
      const client = new Route53Client(clientConfig(region));
      created.push(client);
      return client;
    });
    const clientRegion = await created[0]?.config.region();

    // Assess
    expect(created).toHaveLength(1);
    expect(clientRegion).toBe('us-east-1');
  });

  it('maps a CNAME value back to its region, ignoring case and the trailing dot', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('EU-Central.Orders.Example.com.')] });
    const { traffic } = build();

    // Act
    const region = await traffic.currentRegion(rdsGroup);

    // Assess
    expect(region).toBe(SECONDARY);
    expect(route53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      StartRecordName: 'orders.example.com',
      StartRecordType: 'CNAME',
      MaxItems: 1,
    });
  });

  it('maps an alias DNS name back to its region', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [aliasRecord('ledger-east-123.us-east-2.elb.amazonaws.com.')],
    });
    const { traffic } = build();

    // Act
    const region = await traffic.currentRegion(auroraGroup);

    // Assess
    expect(region).toBe(AURORA_PRIMARY);
  });

  it('answers undefined when the listing starts at a different record', async () => {
    // Prepare: ListResourceRecordSets starts at the name and returns the next record when it does not exist.
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [cnameRecord('eu-west.orders.example.com', 'orders2.example.com.')],
    });
    const { traffic } = build();

    // Act
    const region = await traffic.currentRegion(rdsGroup);

    // Assess
    expect(region).toBeUndefined();
  });

  it('answers undefined when the record points at no region of the group', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('maintenance.example.com')] });
    const { traffic } = build();

    // Act
    const region = await traffic.currentRegion(rdsGroup);

    // Assess
    expect(region).toBeUndefined();
  });

  it('does not call ChangeResourceRecordSets when the record already points at the region', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-central.orders.example.com.')] });
    const { traffic } = build();

    // Act
    const result = await traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42');

    // Assess
    expect(result).toEqual({ changed: false });
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('replaces the CNAME in one conditional batch (DELETE of the value read, CREATE of the new one) with the group TTL and a comment naming the failover', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-west.orders.example.com.')] });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'PENDING', SubmittedAt: new Date() },
    });
    const { traffic } = build();

    // Act
    const result = await traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42: eu-west-1 -> eu-central-1');

    // Assess
    expect(result).toEqual({ changed: true, changeId: '/change/C2682N5HXP0BZ4' });
    expect(route53).toHaveReceivedCommandExactlyOnceWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABC',
      ChangeBatch: {
        Comment: 'failover f-42: eu-west-1 -> eu-central-1',
        Changes: [
          { Action: 'DELETE', ResourceRecordSet: cnameRecord('eu-west.orders.example.com.') },
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: 'orders.example.com',
              Type: 'CNAME',
              TTL: 30,
              ResourceRecords: [{ Value: 'eu-central.orders.example.com' }],
            },
          },
        ],
      },
    });
  });

  it('replaces an alias A record with the target load balancer and no target health evaluation, deleting the alias read', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [aliasRecord('ledger-east-123.us-east-2.elb.amazonaws.com.')],
    });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() },
    });
    const { traffic } = build();

    // Act
    await traffic.pointTo(auroraGroup, AURORA_SECONDARY, 'failover f-7');

    // Assess
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: {
        Comment: 'failover f-7',
        Changes: [
          { Action: 'DELETE', ResourceRecordSet: aliasRecord('ledger-east-123.us-east-2.elb.amazonaws.com.') },
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: 'ledger.example.com.',
              Type: 'A',
              AliasTarget: {
                HostedZoneId: 'Z1H1FL5HABSF5',
                DNSName: 'ledger-west-456.us-west-2.elb.amazonaws.com',
                EvaluateTargetHealth: false,
              },
            },
          },
        ],
      },
    });
  });

  it('creates the record when it does not exist yet', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() },
    });
    const { traffic } = build();

    // Act
    const result = await traffic.pointTo(rdsGroup, PRIMARY, 'initial');

    // Assess
    expect(result).toEqual({ changed: true, changeId: '/change/C2' });
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: {
        Comment: 'initial',
        Changes: [{ Action: 'CREATE', ResourceRecordSet: expect.objectContaining({ Name: 'orders.example.com' }) }],
      },
    });
  });

  it('changes nothing and answers a retryable error when the record changed between the read and the change', async () => {
    // Prepare: Route 53 refuses the batch because the DELETE no longer matches the record's value.
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-west.orders.example.com.')] });
    route53.on(ChangeResourceRecordSetsCommand).rejects(
      awsError('InvalidChangeBatch', 400, 'Tried to delete resource record set [name=orders.example.com., type=CNAME] but the values provided do not match the current values'),
    );
    const { traffic } = build();

    // Act
    const outcome = traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42');

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
    await expect(outcome).rejects.toThrow(/changed while it was being pointed at eu-central-1/);
  });

  it('gives the effect abort signal to the change call', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-west.orders.example.com.')] });
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C3', Status: 'PENDING', SubmittedAt: new Date() } });
    const { traffic } = build();
    const signal = new AbortController().signal;

    // Act
    await traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42', { signal, deadline: Date.now() + 10_000 });

    // Assess
    expect((route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: signal });
  });

  it('turns a change already in progress into a retryable error', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-west.orders.example.com.')] });
    route53.on(ChangeResourceRecordSetsCommand).rejects(awsError('PriorRequestNotComplete'));
    const { traffic } = build();

    // Act
    const outcome = traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42');

    // Assess
    await expect(outcome).rejects.toThrow(RetryableStepError);
  });

  it('turns a missing hosted zone into a fatal error naming the zone ARN and the action', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).rejects(awsError('NoSuchHostedZone', 404));
    const { traffic } = build();

    // Act
    const outcome = traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42');

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow('route53:ListResourceRecordSets on arn:aws:route53:::hostedzone/Z0123456789ABC');
  });

  it('turns access denied on the change into a fatal error naming route53:ChangeResourceRecordSets', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [cnameRecord('eu-west.orders.example.com.')] });
    route53.on(ChangeResourceRecordSetsCommand).rejects(awsError('AccessDenied', 403));
    const { traffic } = build();

    // Act
    const outcome = traffic.pointTo(rdsGroup, SECONDARY, 'failover f-42');

    // Assess
    await expect(outcome).rejects.toThrow('route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z0123456789ABC');
  });

  it.each(['PENDING', 'INSYNC'] as const)('reports a %s change status from GetChange', async (status) => {
    // Prepare
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: status, SubmittedAt: new Date() } });
    const { traffic } = build();

    // Act
    const result = await traffic.changeStatus('/change/C1');

    // Assess
    expect(result).toBe(status);
    expect(route53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C1' });
  });
});

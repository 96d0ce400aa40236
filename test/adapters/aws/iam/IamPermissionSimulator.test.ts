import 'aws-sdk-client-mock-vitest/extend';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IamPermissionSimulator } from '../../../../src/adapters/aws/iam/IamPermissionSimulator.js';

const iam = mockClient(IAMClient);
const ROLE = 'arn:aws:iam::123456789012:role/fcp-staging-orchestrate-us-west-2';
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:orders';
const INSTANCE = 'arn:aws:rds:eu-west-1:123456789012:db:orders';

beforeEach(() => {
  iam.reset();
});

describe('IamPermissionSimulator', () => {
  it('reads every page of the simulation, per resource, and answers one decision per query in order', async () => {
    // Prepare
    iam
      .on(SimulatePrincipalPolicyCommand)
      .resolvesOnce({
        IsTruncated: true,
        Marker: 'page-2',
        EvaluationResults: [
          {
            EvalActionName: 'rds:PromoteReadReplica',
            EvalDecision: 'allowed',
            ResourceSpecificResults: [
              { EvalResourceName: INSTANCE, EvalResourceDecision: 'allowed' },
              { EvalResourceName: TOPIC, EvalResourceDecision: 'implicitDeny' },
            ],
          },
        ],
      })
      .resolvesOnce({
        IsTruncated: false,
        EvaluationResults: [
          {
            EvalActionName: 'sns:Publish',
            EvalDecision: 'explicitDeny',
            ResourceSpecificResults: [
              { EvalResourceName: INSTANCE, EvalResourceDecision: 'implicitDeny' },
              { EvalResourceName: TOPIC, EvalResourceDecision: 'explicitDeny' },
            ],
          },
        ],
      });
    const simulator = new IamPermissionSimulator(new IAMClient({ region: 'us-east-1' }));

    // Act
    const decisions = await simulator.simulate(ROLE, [
      { action: 'sns:Publish', resource: TOPIC },
      { action: 'rds:PromoteReadReplica', resource: INSTANCE },
    ]);

    // Assess
    expect(decisions).toEqual([
      { action: 'sns:Publish', resource: TOPIC, allowed: false, decision: 'explicitDeny' },
      { action: 'rds:PromoteReadReplica', resource: INSTANCE, allowed: true, decision: 'allowed' },
    ]);
    expect(iam).toHaveReceivedCommandTimes(SimulatePrincipalPolicyCommand, 2);
    expect(iam).toHaveReceivedNthCommandWith(SimulatePrincipalPolicyCommand, 2, { Marker: 'page-2', PolicySourceArn: ROLE });
  });

  it('counts a pair IAM did not answer for as denied, never allowed', async () => {
    // Prepare
    iam.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [] });
    const simulator = new IamPermissionSimulator(new IAMClient({ region: 'us-east-1' }));

    // Act
    const [decision] = await simulator.simulate(ROLE, [{ action: 'sns:Publish', resource: TOPIC }]);

    // Assess
    expect(decision).toEqual({ action: 'sns:Publish', resource: TOPIC, allowed: false, decision: 'not evaluated' });
  });
});

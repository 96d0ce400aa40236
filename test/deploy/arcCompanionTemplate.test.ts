import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';
import { repositoryRoot } from './packageStack.js';

/** CloudFormation's short-form intrinsics, read as their long forms. */
const intrinsics: (ScalarTag | CollectionTag)[] = [
  ...['Ref', 'Sub', 'GetAtt'].map((name): ScalarTag => ({
    tag: `!${name}`,
    resolve: (value: string) => (name === 'Ref' ? { Ref: value } : name === 'GetAtt' ? { 'Fn::GetAtt': value.split('.') } : { 'Fn::Sub': value }),
  })),
  ...['If', 'Equals'].map((name): CollectionTag => ({ tag: `!${name}`, collection: 'seq', resolve: (value) => ({ [`Fn::${name}`]: value.toJSON() }) })),
];

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

describe('the ARC companion template (deploy/arc-routing-control.yaml)', () => {
  it('wires each region: a routing control, its RECOVERY_CONTROL health check, and a weighted record answered while it is On', async () => {
    // Prepare
    const text = await readFile(join(repositoryRoot, 'deploy', 'arc-routing-control.yaml'), 'utf8');

    // Act
    const template = parse(text, { customTags: intrinsics }) as { Resources: Record<string, Resource> };
    const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

    // Assess
    const controls = ofType('AWS::Route53RecoveryControl::RoutingControl').map(([id]) => id);
    const healthChecks = ofType('AWS::Route53::HealthCheck').map(([, resource]) => resource.Properties.HealthCheckConfig);
    const records = ofType('AWS::Route53::RecordSet').map(([, resource]) => resource.Properties);
    expect(controls).toEqual(['PrimaryRoutingControl', 'SecondaryRoutingControl']);
    expect(healthChecks).toEqual(
      controls.map((id) => ({ Type: 'RECOVERY_CONTROL', RoutingControlArn: { 'Fn::GetAtt': [id, 'RoutingControlArn'] } })),
    );
    expect(records.map((record) => [record.Weight, record.HealthCheckId])).toEqual([
      [1, { Ref: 'PrimaryHealthCheck' }],
      [1, { Ref: 'SecondaryHealthCheck' }],
    ]);
    expect(ofType('AWS::Route53RecoveryControl::SafetyRule')[0]?.[1].Properties.RuleConfig).toEqual({ Type: 'ATLEAST', Threshold: 1, Inverted: false });
  });
});

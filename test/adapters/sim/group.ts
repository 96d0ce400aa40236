import { GroupSchema } from '../../../src/config/schema.js';
import type { GroupConfig } from '../../../src/config/schema.js';

/** A three-region group: eu-west-1 primary, replicas in eu-central-1 and eu-north-1. */
export function threeRegionGroup(): GroupConfig {
  const region = (name: string, priority: number, initialPrimary = false) => ({
    database: {
      kind: 'rds-instance' as const,
      instanceId: `shop-${name}`,
      instanceArn: `arn:aws:rds:${name}:123456789012:db:shop-${name}`,
    },
    healthEndpoints: [{ url: `https://${name}.shop.example.com/health`, timeoutMs: 5_000, bodyContains: 'ok' }],
    dnsTarget: { type: 'CNAME' as const, value: `${name}.shop.example.com` },
    failoverPriority: priority,
    initialPrimary,
  });
  return GroupSchema.parse({
    id: 'shop',
    environment: 'production',
    mode: 'automatic',
    regions: {
      'eu-west-1': region('eu-west-1', 100, true),
      'eu-central-1': region('eu-central-1', 50),
      'eu-north-1': region('eu-north-1', 10),
    },
    dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'db.shop.example.com', type: 'CNAME', ttlSeconds: 30 },
    notifications: { topicArn: 'arn:aws:sns:us-east-1:123456789012:failover' },
  });
}

import { GroupSchema } from '../../../src/config/schema.js';
import type { GroupConfig } from '../../../src/config/schema.js';
import type { Clock } from '../../../src/ports/Clock.js';
import type { Notification } from '../../../src/domain/types.js';

export const ACCOUNT = '123456789012';
export const PRIMARY = 'eu-west-1';
export const SECONDARY = 'eu-central-1';
export const PRIMARY_INSTANCE_ARN = `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:orders-eu-west`;
export const SECONDARY_INSTANCE_ARN = `arn:aws:rds:${SECONDARY}:${ACCOUNT}:db:orders-eu-central`;
export const TOPIC_ARN = `arn:aws:sns:eu-north-1:${ACCOUNT}:failover-alerts`;
export const NOW = Date.parse('2025-03-01T12:00:00Z');

/** An RDS read-replica group with CNAME traffic, fenced with a read-only parameter group. */
export const rdsGroup: GroupConfig = GroupSchema.parse({
  id: 'orders',
  environment: 'production',
  mode: 'automatic',
  regions: {
    [PRIMARY]: {
      database: {
        kind: 'rds-instance',
        instanceId: 'orders-eu-west',
        instanceArn: PRIMARY_INSTANCE_ARN,
        readOnlyParameterGroup: 'orders-read-only',
      },
      healthEndpoints: [{ url: 'https://eu-west.orders.example.com/health' }],
      dnsTarget: { type: 'CNAME', value: 'eu-west.orders.example.com' },
      failoverPriority: 100,
      initialPrimary: true,
    },
    [SECONDARY]: {
      database: {
        kind: 'rds-instance',
        instanceId: 'orders-eu-central',
        instanceArn: SECONDARY_INSTANCE_ARN,
        readOnlyParameterGroup: 'orders-read-only',
      },
      healthEndpoints: [{ url: 'https://eu-central.orders.example.com/health' }],
      dnsTarget: { type: 'CNAME', value: 'eu-central.orders.example.com' },
      failoverPriority: 50,
    },
  },
  dns: { hostedZoneId: 'Z0123456789ABC', recordName: 'orders.example.com', type: 'CNAME', ttlSeconds: 30 },
  notifications: { topicArn: TOPIC_ARN },
  policy: { fencing: 'read-only-parameter-group' },
});

export const AURORA_PRIMARY = 'us-east-2';
export const AURORA_SECONDARY = 'us-west-2';
export const AURORA_PRIMARY_CLUSTER_ARN = `arn:aws:rds:${AURORA_PRIMARY}:${ACCOUNT}:cluster:ledger-east`;
export const AURORA_SECONDARY_CLUSTER_ARN = `arn:aws:rds:${AURORA_SECONDARY}:${ACCOUNT}:cluster:ledger-west`;
export const GLOBAL_CLUSTER_ARN = `arn:aws:rds::${ACCOUNT}:global-cluster:ledger-global`;

/** An Aurora Global Database group with alias A records to regional load balancers. */
export const auroraGroup: GroupConfig = GroupSchema.parse({
  id: 'ledger',
  environment: 'production',
  mode: 'approval',
  regions: {
    [AURORA_PRIMARY]: {
      database: { kind: 'aurora-global', globalClusterId: 'ledger-global', clusterArn: AURORA_PRIMARY_CLUSTER_ARN },
      healthEndpoints: [{ url: 'https://east.ledger.example.com/health' }],
      dnsTarget: {
        type: 'A',
        aliasHostedZoneId: 'Z3AADJGX6KTTL2',
        aliasDnsName: 'ledger-east-123.us-east-2.elb.amazonaws.com',
      },
      failoverPriority: 100,
      initialPrimary: true,
    },
    [AURORA_SECONDARY]: {
      database: { kind: 'aurora-global', globalClusterId: 'ledger-global', clusterArn: AURORA_SECONDARY_CLUSTER_ARN },
      healthEndpoints: [{ url: 'https://west.ledger.example.com/health' }],
      dnsTarget: {
        type: 'A',
        aliasHostedZoneId: 'Z1H1FL5HABSF5',
        aliasDnsName: 'ledger-west-456.us-west-2.elb.amazonaws.com',
      },
      failoverPriority: 50,
    },
  },
  dns: { hostedZoneId: 'Z0987654321XYZ', recordName: 'ledger.example.com.', type: 'A' },
  notifications: { topicArn: TOPIC_ARN },
});

export const notification: Notification = {
  groupId: 'orders',
  environment: 'production',
  type: 'failover-started',
  severity: 'critical',
  subject: '[production] orders: failover eu-west-1 -> eu-central-1 started',
  text: 'Failover f-42 of orders started: eu-west-1 failed its health checks from 2 of 3 observers.',
  details: { failoverId: 'f-42', from: PRIMARY, to: SECONDARY, replicaLagSeconds: 3 },
  dedupeKey: 'orders/f-42/failover-started',
};

/** A clock whose `sleep` advances its time at once, so waiting loops run instantly and deterministically. */
export function instantClock(start = NOW): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** An error shaped like the SDK's service exceptions: a name (the AWS code), a fault and HTTP metadata. */
export function awsError(name: string, status = 400, message = `${name} from the mock`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** An error shaped like a socket failure inside the SDK's HTTP handler. */
export function networkError(code = 'ECONNREFUSED'): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

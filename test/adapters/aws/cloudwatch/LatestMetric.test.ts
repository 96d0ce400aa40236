import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LatestMetric } from '../../../../src/adapters/aws/cloudwatch/LatestMetric.js';
import { TestClock } from '../../../doubles/TestClock.js';

const cloudWatch = mockClient(CloudWatchClient);
const START = Date.UTC(2026, 10, 30, 12, 0, 30);
const LAG = [{ namespace: 'AWS/RDS', metricName: 'ReplicaLag', dimensions: { DBInstanceIdentifier: 'orders-us-east-1' } }];

/** CloudWatch's answer at `now`: the datapoint of the minute before the current one. */
function answerAt(clock: TestClock) {
  cloudWatch.on(GetMetricDataCommand).callsFake(() => {
    const minute = Math.floor(clock.now() / 60_000) * 60_000 - 60_000;
    return { MetricDataResults: [{ Id: 'm0', Values: [3], Timestamps: [new Date(minute)] }] };
  });
}

beforeEach(() => {
  cloudWatch.reset();
});

describe('LatestMetric reusing a one-minute metric', () => {
  it('asks CloudWatch once a minute per replica over six probe rounds, each answer keeping its datapoint time', async () => {
    // Prepare
    const clock = new TestClock(START);
    answerAt(clock);
    const latest = new LatestMetric(() => new CloudWatchClient({ region: 'us-east-1' }), { clock, reuseUntilNewDatapoint: true });

    // Act
    const answers = [];
    for (let round = 0; round < 12; round += 1) {
      answers.push(await latest.read('us-east-1', LAG));
      clock.advance(10_000);
    }

    // Assess
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect(answers[0]).toEqual({ metricName: 'ReplicaLag', value: 3, at: Date.UTC(2026, 10, 30, 11, 59, 0) });
    expect(answers[5]?.at).toBe(Date.UTC(2026, 10, 30, 11, 59, 0));
    expect(answers[6]?.at).toBe(Date.UTC(2026, 10, 30, 12, 0, 0));
  });

  it('asks every time when not told to reuse (the executor, before it acts)', async () => {
    // Prepare
    const clock = new TestClock(START);
    answerAt(clock);
    const latest = new LatestMetric(() => new CloudWatchClient({ region: 'us-east-1' }), { clock });

    // Act
    for (let round = 0; round < 3; round += 1) await latest.read('us-east-1', LAG);

    // Assess
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(3);
  });

  it('answers a remembered reading with its own datapoint time and no request, and nothing before the first read', async () => {
    // Prepare
    const clock = new TestClock(START);
    answerAt(clock);
    const latest = new LatestMetric(() => new CloudWatchClient({ region: 'us-east-1' }), { clock, reuseUntilNewDatapoint: true });
    const before = await latest.read('us-east-1', LAG, 'orders', 'remembered');
    await latest.read('us-east-1', LAG, 'orders', 'read');

    // Act: ten minutes later, a newer datapoint exists, but the caller asked for the remembered one.
    clock.advance(600_000);
    const remembered = await latest.read('us-east-1', LAG, 'orders', 'remembered');

    // Assess
    expect(before).toBeUndefined();
    expect(remembered).toEqual({ metricName: 'ReplicaLag', value: 3, at: Date.UTC(2026, 10, 30, 11, 59, 0) });
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });
});

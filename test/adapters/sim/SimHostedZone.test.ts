import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/sim/ManualClock.js';
import { SimHostedZone } from '../../../src/adapters/sim/SimHostedZone.js';
import { SimTopic } from '../../../src/adapters/sim/SimTopic.js';
import { FatalStepError, RetryableStepError } from '../../../src/domain/errors.js';
import type { Notification } from '../../../src/domain/types.js';
import { threeRegionGroup } from './group.js';

const group = threeRegionGroup();

function build() {
  const clock = new ManualClock(0);
  return { clock, zone: new SimHostedZone(group, clock, { dnsSyncSeconds: 40, apiLatencyMs: 0 }) };
}

describe('SimHostedZone', () => {
  it('starts pointing at the initial primary with the configured TTL', async () => {
    // Prepare
    const { zone } = build();

    // Act
    const region = await zone.currentRegion(group);

    // Assess
    expect(region).toBe('eu-west-1');
    expect(zone.ttlSeconds).toBe(30);
  });

  it('keeps a change PENDING for dnsSyncSeconds, then INSYNC', async () => {
    // Prepare
    const { clock, zone } = build();

    // Act
    const result = await zone.pointTo(group, 'eu-central-1', 'failover f-1');
    const changeId = result.changeId as string;
    const pending = await zone.changeStatus(changeId);
    await clock.advance(39_999);
    const almost = await zone.changeStatus(changeId);
    await clock.advance(1);
    const inSync = await zone.changeStatus(changeId);

    // Assess
    expect(result.changed).toBe(true);
    expect([pending, almost, inSync]).toEqual(['PENDING', 'PENDING', 'INSYNC']);
    expect(await zone.currentRegion(group)).toBe('eu-central-1');
    expect(zone.changes()).toEqual([
      { id: changeId, region: 'eu-central-1', value: 'eu-central-1.shop.example.com', comment: 'failover f-1', submittedAt: 0, inSyncAt: 40_000 },
    ]);
  });

  it('makes no change when the record already points at the region', async () => {
    // Prepare
    const { zone } = build();

    // Act
    const result = await zone.pointTo(group, 'eu-west-1', 'no-op');

    // Assess
    expect(result).toEqual({ changed: false });
    expect(zone.changes()).toHaveLength(0);
  });

  it('throttles the first calls with a RetryableStepError, then succeeds', async () => {
    // Prepare
    const { zone } = build();
    zone.throttle(2, 'PriorRequestNotComplete');

    // Act
    const first = await zone.pointTo(group, 'eu-central-1', 'failover').catch((error: unknown) => error);
    const second = await zone.pointTo(group, 'eu-central-1', 'failover').catch((error: unknown) => error);
    const third = await zone.pointTo(group, 'eu-central-1', 'failover');

    // Assess
    expect(first).toBeInstanceOf(RetryableStepError);
    expect((second as Error).message).toMatch(/PriorRequestNotComplete/);
    expect(third.changed).toBe(true);
    expect(zone.calls.pointTo).toBe(3);
  });

  it('tells the stretch its API refused calls from the start of the first refused call, its round trip included, to the return', async () => {
    // Prepare: calls take 250 ms; the control plane is down from 1 s.
    const clock = new ManualClock(0);
    const zone = new SimHostedZone(group, clock, { dnsSyncSeconds: 40, apiLatencyMs: 250 });
    await clock.advance(1_000);
    zone.setControlPlaneDown(true);

    // Act: a record change starts at 1 s and is refused at 1.25 s; the API returns at 5 s.
    const refused = zone.pointTo(group, 'eu-central-1', 'failover').then(() => 'accepted', () => 'refused');
    await clock.advance(250);
    const outcome = await refused;
    await clock.advance(3_750);
    zone.setControlPlaneDown(false);

    // Assess
    expect(outcome).toBe('refused');
    expect(zone.unavailability()).toEqual([{ startedAt: 1_000, endedAt: 5_000 }]);
  });

  it('tells the stretch it throttled record changes: from the first throttled call to the start of the next call it accepted', async () => {
    // Prepare
    const { clock, zone } = build();
    zone.throttle(2);

    // Act: throttled at 1 s and 2 s, accepted at 3.5 s
    await clock.advance(1_000);
    const before = zone.throttling();
    await zone.pointTo(group, 'eu-central-1', 'failover').catch(() => undefined);
    await clock.advance(1_000);
    await zone.pointTo(group, 'eu-central-1', 'failover').catch(() => undefined);
    const during = zone.throttling();
    await clock.advance(1_500);
    await zone.pointTo(group, 'eu-central-1', 'failover');
    await clock.advance(1_000);
    await zone.pointTo(group, 'eu-west-1', 'failback');

    // Assess
    expect(before).toEqual([]);
    expect(during).toEqual([{ startedAt: 1_000 }]);
    expect(zone.throttling()).toEqual([{ startedAt: 1_000, endedAt: 3_500 }]);
  });

  it('refuses an unknown change id as fatal', async () => {
    // Prepare
    const { zone } = build();

    // Act
    const error = await zone.changeStatus('/change/NOPE').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(FatalStepError);
  });
});

describe('SimTopic', () => {
  it('keeps every published message with its topic and time', async () => {
    // Prepare
    const clock = new ManualClock(5_000);
    const topic = new SimTopic(clock);
    const notification: Notification = {
      groupId: 'shop',
      environment: 'production',
      type: 'failover-started',
      severity: 'critical',
      subject: 'shop: failing over',
      text: 'eu-west-1 is down',
      details: {},
      dedupeKey: 'f-1:started',
    };

    // Act
    await topic.publish(notification, group.notifications.topicArn);

    // Assess
    expect(topic.messages()).toEqual([{ topicArn: group.notifications.topicArn, publishedAt: 5_000, notification }]);
  });
});

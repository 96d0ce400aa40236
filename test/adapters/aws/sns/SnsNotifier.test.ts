import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_SUBJECT_LENGTH, SnsNotifier, publishInput, safeSubject } from '../../../../src/adapters/aws/sns/SnsNotifier.js';
import { FatalStepError } from '../../../../src/domain/errors.js';
import { TOPIC_ARN, awsError, notification } from '../fixtures.js';

const sns = mockClient(SNSClient);

function build() {
  const regionsAsked: string[] = [];
  const notifier = new SnsNotifier((region) => {
    regionsAsked.push(region);
    return new SNSClient({ region });
  });
  return { notifier, regionsAsked };
}

beforeEach(() => {
  sns.reset();
});

describe('SnsNotifier.publish', () => {
  it('publishes once to the topic, in the topic region, with the filterable attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { notifier, regionsAsked } = build();

    // Act
    await notifier.publish(notification, TOPIC_ARN);

    // Assess
    expect(regionsAsked).toEqual(['eu-north-1']);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: '[production] orders: failover eu-west-1 -> eu-central-1 started',
      MessageStructure: 'json',
      MessageAttributes: {
        group: { DataType: 'String', StringValue: 'orders' },
        eventType: { DataType: 'String', StringValue: 'failover-started' },
        severity: { DataType: 'String', StringValue: 'critical' },
        environment: { DataType: 'String', StringValue: 'production' },
        dedupeKey: { DataType: 'String', StringValue: 'orders/f-42/failover-started' },
      },
    });
  });

  it('sends people the text followed by the details, and programs one JSON document', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { notifier } = build();

    // Act
    await notifier.publish(notification, TOPIC_ARN);

    // Assess
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as Record<string, string>;
    expect(message['default']).toMatch(/^Failover f-42 of orders started: .*\n\n--- details ---\n\{\n {2}"failoverId": "f-42"/s);
    expect(message['email']).toBe(message['default']);
    expect(JSON.parse(message['sqs'] ?? '{}')).toEqual({
      groupId: 'orders',
      environment: 'production',
      type: 'failover-started',
      severity: 'critical',
      subject: notification.subject,
      text: notification.text,
      details: notification.details,
      dedupeKey: 'orders/f-42/failover-started',
    });
    expect(message['lambda']).toBe(message['sqs']);
  });

  it('turns a missing topic into a fatal error naming sns:Publish and the topic ARN', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(awsError('NotFound', 404));
    const { notifier } = build();

    // Act
    const outcome = notifier.publish(notification, TOPIC_ARN);

    // Assess
    await expect(outcome).rejects.toThrow(FatalStepError);
    await expect(outcome).rejects.toThrow(`sns:Publish on ${TOPIC_ARN}`);
  });

  it('turns an authorization error into a fatal error naming sns:Publish', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(awsError('AuthorizationError', 403));
    const { notifier } = build();

    // Act
    const outcome = notifier.publish(notification, TOPIC_ARN);

    // Assess
    await expect(outcome).rejects.toThrow(/access denied: sns:Publish on arn:aws:sns:eu-north-1:/);
  });
});

describe('publishInput', () => {
  it('adds a group id and a bounded deduplication id for a FIFO topic', () => {
    // Prepare
    const fifoTopic = `${TOPIC_ARN}.fifo`;

    // Act
    const input = publishInput(notification, fifoTopic);

    // Assess
    expect(input.MessageGroupId).toBe('orders');
    expect(input.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(publishInput(notification, fifoTopic).MessageDeduplicationId).toBe(input.MessageDeduplicationId);
  });

  it('sets no FIFO fields for a standard topic', () => {
    // Act
    const input = publishInput(notification, TOPIC_ARN);

    // Assess
    expect(input.MessageGroupId).toBeUndefined();
    expect(input.MessageDeduplicationId).toBeUndefined();
  });

  it('replaces details too large for SNS with a note', () => {
    // Prepare
    const large = { ...notification, details: { log: 'x'.repeat(64 * 1024) } };

    // Act
    const input = publishInput(large, TOPIC_ARN);

    // Assess
    expect(Buffer.byteLength(input.Message ?? '', 'utf8')).toBeLessThan(256 * 1024);
    expect(input.Message).toContain('more than SNS allows');
  });
});

describe('safeSubject', () => {
  it('keeps a short ASCII subject as it is', () => {
    // Act
    const subject = safeSubject('[staging] orders: drill completed');

    // Assess
    expect(subject).toBe('[staging] orders: drill completed');
  });

  it('removes accents, line breaks and characters outside ASCII', () => {
    // Act
    const subject = safeSubject('Bascule réussie\nvers eu-central-1 ✅');

    // Assess
    expect(subject).toBe('Bascule reussie vers eu-central-1 ?');
  });

  it('cuts a long subject at a word boundary under the SNS limit', () => {
    // Prepare
    const long = `[production] orders: ${'failover stalled waiting for DNS '.repeat(6)}`;

    // Act
    const subject = safeSubject(long);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(MAX_SUBJECT_LENGTH).toBeLessThan(100);
    expect(subject).toMatch(/^\[production\] orders: failover stalled .* \w+\.\.\.$/);
  });

  it('falls back to a generic subject when nothing printable is left', () => {
    // Act
    const subject = safeSubject('\n\t');

    // Assess
    expect(subject).toBe('failover notification');
  });
});

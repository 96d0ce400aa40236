import { createHash } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, RegionName } from '../../../domain/types.js';
import { FatalStepError } from '../../../domain/errors.js';
import type { EffectOptions } from '../../../ports/EffectOptions.js';
import type { Notifier } from '../../../ports/Notifier.js';
import { parseArn } from '../arn.js';
import { perRegion, sendOptions } from '../clientConfig.js';
import { mapAwsErrors } from '../errors.js';

/** SNS requires subjects shorter than 100 characters, ASCII, without line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;
/**
 * SNS messages may be at most 256 KiB, and the JSON message structure carries the details six times (once per
 * protocol, escaped): details beyond this budget are replaced by a note.
 */
export const MAX_DETAILS_BYTES = 16 * 1024;

/**
 * The Notifier port on an SNS topic: one `Publish` per notification, in the topic's own region.
 *
 * The message uses `MessageStructure: 'json'` so that each kind of subscriber gets what suits it:
 * - `default` and `email`: the human-readable text, then the details as indented JSON;
 * - `sqs`, `lambda`, `http`, `https`: one JSON document (`{ groupId, environment, type, severity,
 *   subject, text, details, dedupeKey }`) that a program can parse without cutting the text off first.
 * Message attributes (`group`, `eventType`, `severity`, `environment`, `dedupeKey`) allow subscription filter
 * policies such as "only critical". On a FIFO topic the `dedupeKey` also becomes the deduplication id.
 */
export class SnsNotifier implements Notifier {
  readonly #sns: (region: RegionName) => SNSClient;

  /**
   * @example
   * const notifier = new SnsNotifier((region) => new SNSClient(clientConfig(region)));
   */
  constructor(sns: (region: RegionName) => SNSClient) {
    this.#sns = perRegion(sns);
  }

  /**
   * Publishes `notification` to `topicArn`.
   *
   * @example
   * await notifier.publish(notification, 'arn:aws:sns:eu-north-1:123456789012:failover-alerts');
   */
  async publish(notification: Notification, topicArn: string, effect?: EffectOptions): Promise<void> {
    const region = parseArn(topicArn)?.region;
    if (region === undefined || region === '') {
      throw new FatalStepError(`notifications.topicArn ${topicArn} is not an SNS topic ARN`, {
        groupId: notification.groupId,
      });
    }
    const context = { action: 'sns:Publish', resource: topicArn, groupId: notification.groupId, region };
    await mapAwsErrors(context, () => this.#sns(region).send(new PublishCommand(publishInput(notification, topicArn)), sendOptions(effect)));
  }
}

/**
 * The Publish request for a notification; exported for tests and for the drill report's dry runs.
 *
 * @example
 * publishInput(notification, topicArn).Subject; // '[production] app: failover to eu-central-1 started'
 */
export function publishInput(notification: Notification, topicArn: string): PublishCommandInput {
  const details = boundedDetails(notification.details);
  const human = `${notification.text}\n\n--- details ---\n${JSON.stringify(details, null, 2)}\n`;
  const machine = JSON.stringify({
    groupId: notification.groupId,
    environment: notification.environment,
    type: notification.type,
    severity: notification.severity,
    subject: notification.subject,
    text: notification.text,
    details,
    dedupeKey: notification.dedupeKey,
  });
  const input: PublishCommandInput = {
    TopicArn: topicArn,
    Subject: safeSubject(notification.subject),
    MessageStructure: 'json',
    Message: JSON.stringify({
      default: human,
      email: human,
      sqs: machine,
      lambda: machine,
      http: machine,
      https: machine,
    }),
    MessageAttributes: {
      group: { DataType: 'String', StringValue: notification.groupId },
      eventType: { DataType: 'String', StringValue: notification.type },
      severity: { DataType: 'String', StringValue: notification.severity },
      environment: { DataType: 'String', StringValue: notification.environment },
      dedupeKey: { DataType: 'String', StringValue: notification.dedupeKey },
    },
  };
  if (!topicArn.endsWith('.fifo')) return input;
  return {
    ...input,
    MessageGroupId: notification.groupId,
    // FIFO deduplication ids are at most 128 characters: a hash keeps any dedupeKey within that.
    MessageDeduplicationId: createHash('sha256').update(notification.dedupeKey).digest('hex'),
  };
}

/**
 * An SNS-safe subject: non-ASCII letters lose their accents or become `?`, line breaks and control characters
 * become spaces, and a subject that is too long is cut at a word boundary with an ellipsis.
 *
 * @example
 * safeSubject('Bascule réussie\nvers eu-central-1'); // 'Bascule reussie vers eu-central-1'
 */
export function safeSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/[^\u0020-\u007e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  const text = ascii === '' ? 'failover notification' : ascii;
  if (text.length <= MAX_SUBJECT_LENGTH) return text;
  const room = text.slice(0, MAX_SUBJECT_LENGTH - 3);
  const lastSpace = room.lastIndexOf(' ');
  return `${(lastSpace > MAX_SUBJECT_LENGTH / 2 ? room.slice(0, lastSpace) : room).trimEnd()}...`;
}

function boundedDetails(details: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const size = Buffer.byteLength(JSON.stringify(details), 'utf8');
  return size <= MAX_DETAILS_BYTES
    ? details
    : { truncated: `details were ${size} bytes, more than SNS allows; see the group's event log` };
}

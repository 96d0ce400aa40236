import type { EpochMs, Notification } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';
import type { Notifier } from '../../ports/Notifier.js';

export interface SimMessage {
  readonly topicArn: string;
  readonly publishedAt: EpochMs;
  readonly notification: Notification;
}

/**
 * A simulated SNS topic that keeps every message it is given, in order.
 *
 * @example
 * const topic = new SimTopic(clock);
 * await topic.publish(notification, topicArn);
 * topic.messages().map((message) => message.notification.type); // ['failover-started']
 */
export class SimTopic implements Notifier {
  private readonly published: SimMessage[] = [];

  constructor(private readonly clock: Clock) {}

  async publish(notification: Notification, topicArn: string): Promise<void> {
    this.published.push({ topicArn, publishedAt: this.clock.now(), notification: structuredClone(notification) });
  }

  /** How many messages were published. */
  get count(): number {
    return this.published.length;
  }

  messages(): readonly SimMessage[] {
    return [...this.published];
  }
}

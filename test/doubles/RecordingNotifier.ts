import type { Notification } from '../../src/domain/types.js';
import type { Notifier } from '../../src/ports/Notifier.js';

/** Keeps every published notification. */
export class RecordingNotifier implements Notifier {
  readonly published: { notification: Notification; topicArn: string }[] = [];
  readonly calls = { publish: 0 };

  async publish(notification: Notification, topicArn: string): Promise<void> {
    this.calls.publish += 1;
    this.published.push({ notification: structuredClone(notification), topicArn });
  }

  types(): string[] {
    return this.published.map(({ notification }) => notification.type);
  }
}

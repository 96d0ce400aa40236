import type { Notification } from '../domain/types.js';

/** Tells people. At-least-once: a crash between publish and save may publish again (same `dedupeKey`). */
export interface Notifier {
  publish(notification: Notification, topicArn: string): Promise<void>;
}

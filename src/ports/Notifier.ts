import type { Notification } from '../domain/types.js';
import type { EffectOptions } from './EffectOptions.js';

/**
 * Tells people. At-least-once: a crash between publish and save may publish again (same `dedupeKey`).
 *
 * @example
 * await notifier.publish(notification, group.notifications.topicArn, await holdLease());
 */
export interface Notifier {
  /** An effect: it lands by `effect.deadline` or not at all. */
  publish(notification: Notification, topicArn: string, effect?: EffectOptions): Promise<void>;
}

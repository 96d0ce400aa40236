/** A notification's subject at most: an e-mail subject line (SNS refuses 100 characters or more; its adapter cuts again). */
export const NOTIFICATION_SUBJECT_LENGTH = 100;

/**
 * The subject every notification of a group carries: environment and group first, so an inbox sorts and filters on
 * them, cut to `NOTIFICATION_SUBJECT_LENGTH`.
 *
 * @example
 * notificationSubject({ id: 'orders', environment: 'prod' }, 'failed over to eu-west-1'); // '[prod] orders: failed over to eu-west-1'
 */
export function notificationSubject(group: { readonly id: string; readonly environment: string }, text: string): string {
  return `[${group.environment}] ${group.id}: ${text}`.slice(0, NOTIFICATION_SUBJECT_LENGTH);
}

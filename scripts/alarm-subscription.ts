/**
 * The `alarmEndpoint` deployment parameter: who the alarm topic notifies, besides whatever already subscribes to it.
 * Empty: nobody (the topic is created or named by `notificationTopicArn` all the same). An e-mail address: an `email`
 * subscription (AWS sends a confirmation link first). An `https://` URL: an `https` subscription (the endpoint must
 * confirm it: a pager's or chat tool's SNS integration does).
 */
export interface AlarmSubscription {
  /** 'true' when a subscription is created (a CloudFormation condition). */
  readonly enabled: 'true' | 'false';
  readonly protocol: 'email' | 'https';
  readonly endpoint: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Reads `alarmEndpoint`; throws naming the parameter when it is neither an e-mail address nor an https URL.
 *
 * @example
 * alarmSubscription('oncall@example.com'); // { enabled: 'true', protocol: 'email', endpoint: 'oncall@example.com' }
 */
export function alarmSubscription(value: string): AlarmSubscription {
  const endpoint = value.trim();
  if (endpoint === '') return { enabled: 'false', protocol: 'email', endpoint: '' };
  if (EMAIL.test(endpoint)) return { enabled: 'true', protocol: 'email', endpoint };
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol === 'https:') return { enabled: 'true', protocol: 'https', endpoint };
  throw new Error(`alarmEndpoint=${endpoint.slice(0, 80)}: must be an e-mail address or an https:// URL (SNS sends alarms to it), or empty`);
}

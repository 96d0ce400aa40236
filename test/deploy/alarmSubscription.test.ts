import { describe, expect, it } from 'vitest';
import { alarmSubscription } from '../../scripts/alarm-subscription.js';

describe('the alarmEndpoint deployment parameter', () => {
  it('subscribes an e-mail address by email and an https URL by https, and nothing when empty', () => {
    // Act
    const results = [alarmSubscription('oncall@example.com'), alarmSubscription(' https://events.pagerduty.com/integration/x/enqueue '), alarmSubscription('')];

    // Assess
    expect(results).toEqual([
      { enabled: 'true', protocol: 'email', endpoint: 'oncall@example.com' },
      { enabled: 'true', protocol: 'https', endpoint: 'https://events.pagerduty.com/integration/x/enqueue' },
      { enabled: 'false', protocol: 'email', endpoint: '' },
    ]);
  });

  it.each(['http://hooks.example.com/sns', 'oncall', 'sms:+15555550100'])('refuses %s, naming the parameter', (value) => {
    // Act
    const act = () => alarmSubscription(value);

    // Assess
    expect(act).toThrow(/^alarmEndpoint=.*: must be an e-mail address or an https:\/\/ URL/);
  });
});

import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { TopicInspector, TopicSubscriptions } from '../../../ports/TopicInspector.js';

/**
 * A topic's subscription counts from `GetTopicAttributes` (`SubscriptionsConfirmed`, `SubscriptionsPending`), with a
 * client in the topic's own region.
 *
 * @example
 * await new SnsTopicInspector((region) => new SNSClient({ region })).subscriptions(topicArn); // { confirmed: 2, pending: 0 }
 */
export class SnsTopicInspector implements TopicInspector {
  constructor(private readonly client: (region: string) => SNSClient) {}

  async subscriptions(topicArn: string): Promise<TopicSubscriptions> {
    const region = topicArn.split(':')[3] ?? '';
    const { Attributes: attributes = {} } = await this.client(region).send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    return { confirmed: Number(attributes.SubscriptionsConfirmed ?? 0), pending: Number(attributes.SubscriptionsPending ?? 0) };
  }
}

import type { TopicInspector, TopicSubscriptions } from '../../src/ports/TopicInspector.js';

/** Every topic has the same subscriptions; counts reads. */
export class InMemoryTopicInspector implements TopicInspector {
  readonly calls = { subscriptions: 0 };

  constructor(private readonly counts: TopicSubscriptions = { confirmed: 1, pending: 0 }) {}

  async subscriptions(_topicArn: string): Promise<TopicSubscriptions> {
    this.calls.subscriptions += 1;
    return this.counts;
  }
}

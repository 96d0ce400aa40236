/** Who an SNS topic reaches: its confirmed and pending subscriptions. */
export interface TopicSubscriptions {
  readonly confirmed: number;
  readonly pending: number;
}

/** Reads an SNS topic's subscriptions, so a preflight can tell a topic nobody listens to. */
export interface TopicInspector {
  subscriptions(topicArn: string): Promise<TopicSubscriptions>;
}

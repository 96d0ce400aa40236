import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/drill/dynamodbLocal.js';

// The starter itself is the drill's (src/drill/dynamodbLocal.ts): one way to run AWS's DynamoDB Local in this project.
export { startDynamoDbLocal, type DynamoDbLocal } from '../../src/drill/dynamodbLocal.js';

export const localClientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } as const;

/**
 * A client for DynamoDB Local with dummy credentials.
 *
 * @example
 * const client = localClient(inject('dynamodbEndpoint'));
 */
export function localClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ ...localClientConfig, endpoint, maxAttempts });
}

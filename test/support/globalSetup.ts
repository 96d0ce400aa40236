import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from './dynamodbLocal.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** Endpoint of the DynamoDB Local instance shared by the run; each test file makes its own table. */
    dynamodbEndpoint: string;
  }
}

/** Starts one DynamoDB Local for the `dynamodb` test project and stops it when the run ends, failed or not. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', local.endpoint);
  return () => local.stop();
}

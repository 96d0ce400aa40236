import { defineConfig } from 'vitest/config';

// Files named *.dynamodb.test.ts run against one DynamoDB Local (a JVM) started by the `dynamodb` project's
// globalSetup; vitest starts it only when such a file is selected, so unit runs stay JVM-free.
const needsDynamoDb = 'test/**/*.dynamodb.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the pool small.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [needsDynamoDb] },
      },
      {
        extends: true,
        test: { name: 'dynamodb', include: [needsDynamoDb], globalSetup: ['test/support/globalSetup.ts'] },
      },
    ],
  },
});

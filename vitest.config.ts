import { defineConfig } from 'vitest/config';

// Files named *.dynamodb.test.ts run against one DynamoDB Local (a JVM) started by the `dynamodb` project's
// globalSetup; vitest starts it only when such a file is selected, so unit runs stay JVM-free.
const needsDynamoDb = 'test/**/*.dynamodb.test.ts';
// Real-time drills on real PostgreSQL servers (*.postgres.test.ts): they also use DynamoDB Local, and run after the
// other projects (groupOrder) so their processes do not starve the simulated drills' timings on a two-core machine.
const realDatabases = 'test/**/*.postgres.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the pool small.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [needsDynamoDb, realDatabases] },
      },
      {
        extends: true,
        test: { name: 'dynamodb', include: [needsDynamoDb], globalSetup: ['test/support/globalSetup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [realDatabases],
          globalSetup: ['test/support/globalSetup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

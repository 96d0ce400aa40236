/**
 * Public list prices, us-east-1, on-demand, without free tiers, as read on the pages below (2026-11). The cost model
 * (bench/cost.ts) multiplies measured request counts by these; update them here, in one place, when AWS changes them.
 */
export const PRICES = {
  region: 'us-east-1',
  dynamodb: {
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    /** Per write request unit (1 KB of item per write; a refused conditional write is billed too). */
    writeRequestUnitUsd: 0.625 / 1e6,
    /** Per read request unit (4 KB strongly consistent, or 8 KB eventually consistent). */
    readRequestUnitUsd: 0.125 / 1e6,
  },
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    /** Arm (Graviton), the architecture serverless.yml deploys. */
    arm64GbSecondUsd: 0.0000133334,
    requestUsd: 0.2 / 1e6,
  },
  cloudwatch: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    /** GetMetricData, per metric requested. */
    getMetricDataPerMetricUsd: 0.01 / 1_000,
    /** A custom metric (one name and set of dimensions) for a month, first 10,000 metrics. */
    customMetricMonthUsd: 0.3,
    /** Logs ingested (the embedded-metric-format lines that carry the custom metrics). */
    logsIngestedPerGbUsd: 0.5,
  },
  rds: {
    source: 'https://aws.amazon.com/rds/pricing/',
    /** DescribeDBInstances and the other RDS API calls are not billed. */
    apiCallUsd: 0,
  },
  sns: {
    source: 'https://aws.amazon.com/sns/pricing/',
    publishUsd: 0.5 / 1e6,
  },
} as const;

/** Minutes in the month the model prices (30 days). */
export const MINUTES_PER_MONTH = 30 * 24 * 60;

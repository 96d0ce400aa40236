import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

/** One CloudWatch embedded-metric-format line, flattened: its namespace, dimensions and metric values. */
export interface EmfRecord {
  readonly namespace: string;
  readonly dimensions: Record<string, string>;
  readonly values: Record<string, number | number[]>;
}

interface EmfLine {
  readonly _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  readonly [key: string]: unknown;
}

/**
 * Captures what Powertools writes to stdout and stderr (it writes through its own Console, not the global one):
 * EMF metric lines and JSON log lines, parsed.
 */
export function captureOutput() {
  const lines: string[] = [];
  const record = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  const parsed = () => lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return {
    metrics(): EmfRecord[] {
      return parsed()
        .filter((line): line is EmfLine => '_aws' in line)
        .flatMap((line) =>
          line._aws.CloudWatchMetrics.map((directive) => ({
            namespace: directive.Namespace,
            dimensions: Object.fromEntries((directive.Dimensions[0] ?? []).map((name) => [name, String(line[name])])),
            values: Object.fromEntries(directive.Metrics.map(({ Name }) => [Name, line[Name] as number | number[]])),
          })),
        );
    },
    logs(): Record<string, unknown>[] {
      return parsed().filter((line) => !('_aws' in line));
    },
    restore(): void {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}

/** The values of metric `name` across all records whose dimensions include `dimensions`. */
export function valuesOf(records: readonly EmfRecord[], name: string, dimensions: Record<string, string> = {}): number[] {
  return records
    .filter((record) => name in record.values)
    .filter((record) => Object.entries(dimensions).every(([key, value]) => record.dimensions[key] === value))
    .flatMap((record) => record.values[name] ?? []);
}

/** A Lambda context whose remaining time is `remainingMs`. */
export function lambdaContext(remainingMs: number, awsRequestId = 'request-1'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'failover-control-plane-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-west-2:111122223333:function:failover-control-plane-test',
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: '/aws/lambda/failover-control-plane-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ExecutorLogger } from '../../src/application/executor.js';

/** The Powertools service name: the `service` dimension of every metric, which the FailoverStalled alarm matches. */
export const SERVICE_NAME = 'failover-control-plane';
/** The CloudWatch namespace of the control plane's own metrics (EMF, written to the function's log). */
export const METRICS_NAMESPACE = 'FailoverControlPlane';

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The Powertools logger (JSON lines with the Lambda context) and metrics (CloudWatch embedded metric format) of one
 * handler. Log level comes from POWERTOOLS_LOG_LEVEL (INFO by default).
 *
 * @example
 * const { logger, metrics } = createTelemetry();
 * metrics.addMetric('ProbeRounds', MetricUnit.Count, 5);
 * metrics.publishStoredMetrics();
 */
export function createTelemetry(): Telemetry {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}

export interface MetricValue {
  readonly name: string;
  readonly unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  readonly value: number;
}

/**
 * Publishes metrics with extra dimensions (group, region...) at once, apart from the invocation's stored metrics,
 * whose only dimension is `service` (the alarms match on exactly that).
 * Powertools clears a single metric's dimensions when it publishes, so each value gets its own single metric.
 *
 * @example
 * publishWithDimensions(metrics, { group: 'payments', region: 'eu-west-1' }, [{ name: 'ProbeFailed', unit: MetricUnit.Count, value: 2 }]);
 */
export function publishWithDimensions(metrics: Metrics, dimensions: Readonly<Record<string, string>>, values: readonly MetricValue[]): void {
  for (const { name, unit, value } of values) {
    const single = metrics.singleMetric();
    for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, dimensionValue);
    single.addMetric(name, unit, value);
  }
}

/**
 * The executor's logger, written through Powertools so its lines carry the invocation's context.
 *
 * @example
 * await orchestrate({ ...deps, logger: executorLogger(logger) }, { owner, deadline });
 */
export function executorLogger(logger: Logger): ExecutorLogger {
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
  };
}

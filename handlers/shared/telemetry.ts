import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
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
 * export const handler = createProbeHandler({ load: () => buildProbeDeps(process.env), ...createTelemetry() });
 */
export function createTelemetry(): Telemetry {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}

/**
 * A handler with the control plane's middleware (middy): Powertools' `injectLambdaContext` (every log line carries
 * the invocation), `logMetrics` (the stored metrics are published when the invocation ends, failed or not), and a
 * last line at error level, `failure`, before a thrown error goes back to Lambda (so the Errors alarm counts it).
 *
 * @example
 * export const handler = withTelemetry(createTelemetry(), 'probe invocation failed', async (event, context) => ...);
 */
export function withTelemetry<TEvent, TResult>(
  { logger, metrics }: Telemetry,
  failure: string,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): middy.MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>(handler)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use({
      onError: async (request) => {
        logger.error(failure, request.error as Error);
      },
    });
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

import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import type { ExecutorDeps } from '../src/application/executor.js';
import { handleOperatorRequest, parseOperatorBody, type OperatorResponse } from '../src/application/operatorApi.js';
import { buildExecutorDeps } from '../src/composition.js';
import { once } from './shared/lazy.js';
import { executorLogger, SERVICE_NAME } from './shared/telemetry.js';
import { OPERATOR_INLINE_BUDGET_MS, OPERATOR_SAFETY_MARGIN_MS } from '../src/domain/timing.js';

/** Margins and budgets live with the lease arithmetic in src/domain/timing.ts. */
export { OPERATOR_INLINE_BUDGET_MS, OPERATOR_SAFETY_MARGIN_MS };

export interface OperatorHandlerOptions {
  readonly load: () => Promise<ExecutorDeps>;
  readonly logger: Logger;
  readonly inlineBudgetMs?: number;
}

/**
 * The operator API behind a Lambda function URL with AWS_IAM auth. The caller's identity is the IAM principal that
 * signed the request (`requestContext.authorizer.iam.userArn`); a request without one answers 403.
 *
 * @example
 * export const handler = createOperatorHandler({ load: () => buildExecutorDeps(process.env), logger: new Logger() });
 */
export function createOperatorHandler(options: OperatorHandlerOptions) {
  const runtime = once(options.load);
  const { logger } = options;
  return async (event: LambdaFunctionURLEventWithIAMAuthorizer, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.addContext(context);
    // The authorizer is absent when the URL is (mis)configured with auth NONE: that must answer 403, not fail.
    const principalArn = event.requestContext.authorizer?.iam?.userArn;
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    try {
      const body = parseOperatorBody(event.body, event.isBase64Encoded);
      if ('status' in body) return reply(body);
      const loaded = await runtime();
      const deps: ExecutorDeps = { ...loaded, logger: executorLogger(logger) };
      const now = deps.clock.now();
      const budget = Math.min(options.inlineBudgetMs ?? OPERATOR_INLINE_BUDGET_MS, context.getRemainingTimeInMillis() - OPERATOR_SAFETY_MARGIN_MS);
      const response = await handleOperatorRequest(
        deps,
        {
          principalArn,
          method,
          path,
          query: event.queryStringParameters ?? {},
          body: body.value,
          idempotencyKey: header(event.headers, 'idempotency-key'),
          requestId: context.awsRequestId,
        },
        { deadline: now + budget },
      );
      logger.info('operator request', { principalArn, method, path, status: response.status });
      return reply(response);
    } catch (error) {
      logger.error('operator request failed', { principalArn, method, path, error: error as Error });
      return reply({
        status: 500,
        body: { error: { code: 'internal', message: `${(error as Error).name}: ${(error as Error).message}`, requestId: context.awsRequestId } },
      });
    }
  };
}

function header(headers: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

function reply(response: OperatorResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(response.body),
  };
}

export const handler = createOperatorHandler({
  load: () => buildExecutorDeps(process.env),
  logger: new Logger({ serviceName: SERVICE_NAME }),
});

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithIAMAuthorizer as Event, APIGatewayProxyStructuredResultV2 as Result, Context } from 'aws-lambda';
import type { OperatorDeps } from '../src/application/operatorApi.js';
import { serveOperatorHttp } from '../src/application/operatorHttp.js';
import { buildOperatorDeps } from '../src/composition/lambda.js';
import { OPERATOR_INLINE_BUDGET_MS, OPERATOR_SAFETY_MARGIN_MS } from '../src/domain/timing.js';
import { once } from './shared/lazy.js';
import { executorLogger, SERVICE_NAME } from './shared/telemetry.js';

/** Margins and budgets live with the lease arithmetic in src/domain/timing.ts. */
export { OPERATOR_INLINE_BUDGET_MS, OPERATOR_SAFETY_MARGIN_MS };

export interface OperatorHandlerOptions {
  readonly load: () => Promise<OperatorDeps>;
  readonly logger: Logger;
  readonly inlineBudgetMs?: number;
}

/** The operator API behind an HTTP API with IAM authorization on every route (operatorRoutes.ts); answers JSON. */
export function createOperatorHandler({ load, logger, inlineBudgetMs = OPERATOR_INLINE_BUDGET_MS }: OperatorHandlerOptions) {
  const runtime = once(async (): Promise<OperatorDeps> => ({ ...(await load()), logger: executorLogger(logger) }));
  return middy(async (event: Event, context: Context): Promise<Result> => {
    const iam = event.requestContext.authorizer?.iam as (Event['requestContext']['authorizer']['iam'] & { sourceIdentity?: unknown }) | undefined;
    const request = { method: event.requestContext.http.method, path: event.rawPath, userArn: iam?.userArn };
    const budgetMs = Math.min(inlineBudgetMs, context.getRemainingTimeInMillis() - OPERATOR_SAFETY_MARGIN_MS);
    try {
      const { status, body } = await serveOperatorHttp(runtime, { ...request, query: event.queryStringParameters, headers: event.headers, body: event.body,
        isBase64Encoded: event.isBase64Encoded, sourceIdentity: iam?.sourceIdentity, requestId: context.awsRequestId }, { budgetMs });
      logger.info('operator request', { ...request, principalArn: iam?.userArn, status });
      return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    } catch (error) {
      logger.error('operator request failed', { ...request, error: error as Error });
      const internal = { code: 'internal', message: `${(error as Error).name}: ${(error as Error).message}`, requestId: context.awsRequestId };
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: internal }) };
    }
  }).use(injectLambdaContext(logger));
}

export const handler = createOperatorHandler({ load: () => buildOperatorDeps(process.env), logger: new Logger({ serviceName: SERVICE_NAME }) });

import { callerIdentity, handleOperatorRequest, parseOperatorBody, type OperatorDeps, type OperatorResponse } from './operatorApi.js';

/** One HTTP request to the operator API, as API Gateway (HTTP API, payload 2.0) hands it over. */
export interface OperatorHttpRequest {
  readonly method: string;
  /** The raw path, without the stage (the API serves the `$default` stage). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** `requestContext.authorizer.iam.userArn`: absent when the route was (mis)deployed without IAM authorization. */
  readonly userArn?: string;
  /** The STS source identity of the signing session, where API Gateway passes one. */
  readonly sourceIdentity?: unknown;
  readonly requestId: string;
}

/**
 * Serves one operator API request: the body is bounded and parsed before anything is loaded, the caller is the signing
 * IAM principal (`callerIdentity`), and a command runs the executor inline for at most `budgetMs`.
 *
 * @example
 * const response = await serveOperatorHttp(() => buildExecutorDeps(process.env), request, { budgetMs: 20_000 });
 */
export async function serveOperatorHttp(
  load: () => Promise<OperatorDeps>,
  request: OperatorHttpRequest,
  options: { budgetMs: number },
): Promise<OperatorResponse> {
  const body = parseOperatorBody(request.body, request.isBase64Encoded);
  if ('status' in body) return body;
  const deps = await load();
  return handleOperatorRequest(
    deps,
    {
      principalArn: callerIdentity(request.userArn, request.sourceIdentity),
      method: request.method,
      path: request.path,
      query: request.query ?? {},
      body: body.value,
      idempotencyKey: Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'idempotency-key')?.[1],
      requestId: request.requestId,
    },
    { deadline: deps.clock.now() + options.budgetMs },
  );
}

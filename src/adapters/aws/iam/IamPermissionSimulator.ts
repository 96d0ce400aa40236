import { paginateSimulatePrincipalPolicy, type ContextEntry, type EvaluationResult, type IAMClient } from '@aws-sdk/client-iam';
import type { PermissionDecision, PermissionQuery, PermissionSimulator } from '../../../ports/PermissionSimulator.js';

/** IAM takes at most this many resource ARNs in one simulation. */
const MAX_RESOURCES_PER_CALL = 100;

/**
 * `iam:SimulatePrincipalPolicy` for a role's identity policies (inline and attached, with its permission boundary):
 * queries with the same condition keys go in one simulation of their actions over their resources, paginated.
 * A pair IAM did not answer for is a denial, never a pass.
 *
 * @example
 * const simulator = new IamPermissionSimulator(new IAMClient(clientConfig('us-east-1')));
 * await simulator.simulate(roleArn, [{ action: 'rds:PromoteReadReplica', resource: instanceArn }]);
 */
export class IamPermissionSimulator implements PermissionSimulator {
  constructor(private readonly client: IAMClient) {}

  async simulate(principalArn: string, queries: readonly PermissionQuery[]): Promise<PermissionDecision[]> {
    const decisions = new Map<string, string>();
    const byContext = new Map<string, PermissionQuery[]>();
    for (const query of queries) {
      const key = JSON.stringify(query.context ?? {});
      byContext.set(key, [...(byContext.get(key) ?? []), query]);
    }
    for (const [contextKey, batch] of byContext) {
      const context = JSON.parse(contextKey) as Record<string, string[]>;
      const actions = [...new Set(batch.map((query) => query.action))];
      const resources = [...new Set(batch.map((query) => query.resource))];
      for (let start = 0; start < resources.length; start += MAX_RESOURCES_PER_CALL) {
        const pages = paginateSimulatePrincipalPolicy(
          { client: this.client },
          {
            PolicySourceArn: principalArn,
            ActionNames: actions,
            ResourceArns: resources.slice(start, start + MAX_RESOURCES_PER_CALL),
            ContextEntries: contextEntries(context),
          },
        );
        for await (const page of pages) {
          for (const result of page.EvaluationResults ?? []) record(decisions, contextKey, result);
        }
      }
    }
    return queries.map((query) => {
      const decision = decisions.get(keyOf(JSON.stringify(query.context ?? {}), query.action, query.resource)) ?? 'not evaluated';
      return { ...query, allowed: decision === 'allowed', decision };
    });
  }
}

function record(decisions: Map<string, string>, contextKey: string, result: EvaluationResult): void {
  const action = result.EvalActionName ?? '';
  if (result.ResourceSpecificResults !== undefined && result.ResourceSpecificResults.length > 0) {
    for (const specific of result.ResourceSpecificResults) {
      decisions.set(keyOf(contextKey, action, specific.EvalResourceName ?? ''), specific.EvalResourceDecision ?? 'not evaluated');
    }
    return;
  }
  decisions.set(keyOf(contextKey, action, result.EvalResourceName ?? ''), result.EvalDecision ?? 'not evaluated');
}

function keyOf(contextKey: string, action: string, resource: string): string {
  return `${contextKey}\u0000${action}\u0000${resource}`;
}

function contextEntries(context: Record<string, string[]>): ContextEntry[] {
  return Object.entries(context).map(([key, values]) => ({ ContextKeyName: key, ContextKeyType: 'stringList', ContextKeyValues: values }));
}

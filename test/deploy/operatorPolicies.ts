import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repositoryRoot, resourcesOfType, type Template } from './packageStack.js';

/** The example operator policies shipped in deploy/operator-policies/: least to most privileged, then the drill runner's (apart). */
export const POLICY_NAMES = ['reader', 'approver', 'operator', 'break-glass', 'drill-runner'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

interface PolicyDocument {
  readonly Statement: readonly { readonly Effect: string; readonly Action: string | readonly string[]; readonly Resource: string | readonly string[] }[];
}

/** The execute-api ARNs one example policy allows, with its placeholders filled in. */
export async function policyResources(name: PolicyName, values: { region: string; account: string; apiId: string; group: string }): Promise<string[]> {
  const text = await readFile(join(repositoryRoot, 'deploy', 'operator-policies', `${name}.json`), 'utf8');
  const document = JSON.parse(
    text.replaceAll('REGION', values.region).replaceAll('ACCOUNT_ID', values.account).replaceAll('API_ID', values.apiId).replaceAll('GROUP', values.group),
  ) as PolicyDocument;
  return document.Statement.flatMap((statement) => {
    const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
    if (statement.Effect !== 'Allow' || !actions.every((action) => action === 'execute-api:Invoke')) {
      throw new Error(`${name}.json: every statement must allow execute-api:Invoke only`);
    }
    return typeof statement.Resource === 'string' ? [statement.Resource] : [...statement.Resource];
  });
}

/** IAM's resource matching: `*` matches any run of characters (`/` included), `?` any one character. */
export function iamMatches(pattern: string, arn: string): boolean {
  const source = pattern.split('').map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(arn);
}

/** Every route key (`POST /groups/{group}/commands/failover`) of the template's HTTP API, with its authorization type. */
export function templateRoutes(template: Template): { routeKey: string; authorization: unknown }[] {
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => ({
    routeKey: String(route.Properties?.RouteKey),
    authorization: route.Properties?.AuthorizationType,
  }));
}

/** The ARN IAM checks for a call of `routeKey` on group `group`, on the `$default` stage. */
export function invokeArn(routeKey: string, values: { region: string; account: string; apiId: string; group: string }): string {
  const [method, path] = routeKey.split(' ') as [string, string];
  const concrete = path.replace('{group}', values.group).replace('{commandId}', 'c0ffee-command-0001').replace('{drillId}', 'c0ffee-drill-0001');
  return `arn:aws:execute-api:${values.region}:${values.account}:${values.apiId}/$default/${method}${concrete}`;
}

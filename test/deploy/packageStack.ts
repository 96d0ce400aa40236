import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A CloudFormation template as osls writes it; only the parts the tests read are typed. */
export interface Template {
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string } & Record<string, unknown>>;
  readonly Outputs?: Record<string, unknown>;
}

export interface PackagedStack {
  readonly template: Template;
  readonly region: string;
  readonly stackName: string;
}

/**
 * Runs `osls package` offline, without AWS credentials, into a fresh directory and reads the stack it produced.
 * The repository's local plugin bundles the handlers into .esbuild/ on the way.
 *
 * @example
 * const { template } = await packageStack({ config: 'test/deploy/fixtures/two-groups.yaml' });
 */
export async function packageStack(params: Record<string, string>, stage = 'staging'): Promise<PackagedStack> {
  const directory = await mkdtemp(join(tmpdir(), 'failover-package-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  const args = ['package', '--stage', stage, '--package', directory];
  for (const [name, value] of Object.entries(params)) args.push('--param', `${name}=${value}`);
  try {
    await run(join(repositoryRoot, 'node_modules', '.bin', 'osls'), args, { cwd: repositoryRoot, env, timeout: 180_000 });
    const template = JSON.parse(
      await readFile(join(directory, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    const state = JSON.parse(await readFile(join(directory, 'serverless-state.json'), 'utf8')) as {
      service: { provider: { region: string; stackName: string } };
    };
    return { template, region: state.service.provider.region, stackName: state.service.provider.stackName };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every Allow statement of the inline policies of role `logicalId`. */
export function statementsOf(template: Template, logicalId: string): Statement[] {
  const role = template.Resources[logicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${logicalId} is not an IAM role in the template`);
  const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The resources of the one statement that grants `action`, sorted when they are strings. */
export function resourcesFor(template: Template, roleId: string, action: string): unknown[] {
  const statements = statementsOf(template, roleId).filter((statement) => actionsOf(statement).includes(action));
  if (statements.length !== 1) throw new Error(`${roleId}: expected one statement granting ${action}, found ${statements.length}`);
  return [...resourcesOf(statements[0] as Statement)].sort();
}

export function resourcesOfType(template: Template, type: string): [string, Template['Resources'][string]][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

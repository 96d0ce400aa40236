/** The functions of the control plane, each with its own IAM role. */
export type ControlPlaneFunction = 'orchestrate' | 'operator' | 'probe';

/** IAM's limit on a role name. */
const MAX_ROLE_NAME_LENGTH = 64;

/**
 * The name of a function's IAM role in one region: fixed by the deployment (serverless.yml, through
 * scripts/sls-config.cjs) so that `fcp doctor` can find the role and simulate its permissions. Role names are global
 * in an account, hence the region.
 *
 * @example
 * roleName('staging', 'orchestrate', 'us-west-2'); // 'fcp-staging-orchestrate-us-west-2'
 */
export function roleName(stage: string, fn: ControlPlaneFunction, region: string): string {
  const name = `fcp-${stage}-${fn}-${region}`;
  if (name.length > MAX_ROLE_NAME_LENGTH || !/^[\w+=,.@-]+$/.test(name)) {
    throw new Error(`stage ${stage}: the role name ${name} is not a valid IAM role name (at most ${MAX_ROLE_NAME_LENGTH} of letters, digits and +=,.@_-); use a shorter stage`);
  }
  return name;
}

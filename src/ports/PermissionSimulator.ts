/** One call a role must be allowed to make: an IAM action on one resource, with the condition keys it is made with. */
export interface PermissionQuery {
  readonly action: string;
  readonly resource: string;
  /** Condition keys and their values as the call sends them (e.g. the record names of a Route 53 change). */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

export interface PermissionDecision extends PermissionQuery {
  readonly allowed: boolean;
  /** IAM's word for it: `allowed`, `implicitDeny` or `explicitDeny`. */
  readonly decision: string;
}

/** Asks IAM whether a principal's policies allow calls, without making them (`iam:SimulatePrincipalPolicy`). */
export interface PermissionSimulator {
  /** One decision per query, in the order asked. */
  simulate(principalArn: string, queries: readonly PermissionQuery[]): Promise<PermissionDecision[]>;
}

import type { PermissionDecision, PermissionQuery, PermissionSimulator } from '../../src/ports/PermissionSimulator.js';

/** Allows every call except the denied actions; counts simulations. */
export class InMemoryPermissionSimulator implements PermissionSimulator {
  readonly calls = { simulate: 0 };

  constructor(private readonly denied: readonly string[] = []) {}

  async simulate(_principalArn: string, queries: readonly PermissionQuery[]): Promise<PermissionDecision[]> {
    this.calls.simulate += 1;
    return queries.map((query) => {
      const allowed = !this.denied.includes(query.action);
      return { ...query, allowed, decision: allowed ? 'allowed' : 'implicitDeny' };
    });
  }
}

/**
 * What every in-memory port double records: how often each method was called, and a failure a test injects into the
 * next call of one method. A double extends it and calls `enter(method)` first in every method, so a test can say
 * "save was called exactly once" or make the next save lose a race.
 *
 * @example
 * class InMemoryFaultStore extends CallLog<'put' | 'active' | 'clear'> implements FaultStore {
 *   constructor() { super(['put', 'active', 'clear']); }
 *   async clear(groupId: GroupId, region: RegionName) { this.enter('clear'); ... }
 * }
 * store.failNext('clear', new Error('throttled')); // the next clear throws, and is counted
 * expect(store.calls.clear).toBe(1);
 */
export class CallLog<Method extends string> {
  /** Calls per method, the failing ones included. */
  readonly calls: Record<Method, number>;
  private readonly failures = new Map<Method, unknown>();

  constructor(methods: readonly Method[]) {
    this.calls = Object.fromEntries(methods.map((method) => [method, 0])) as Record<Method, number>;
  }

  /** Makes the next call of `method` throw `error` without touching what the double holds. */
  failNext(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  /** Counts a call of `method`, and throws the failure injected for it, once. */
  protected enter(method: Method): void {
    this.calls[method] += 1;
    if (this.failures.has(method)) {
      const error = this.failures.get(method);
      this.failures.delete(method);
      throw error;
    }
  }
}

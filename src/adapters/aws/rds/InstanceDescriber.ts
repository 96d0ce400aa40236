import { DescribeDBInstancesCommand, paginateDescribeDBInstances } from '@aws-sdk/client-rds';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { RegionName } from '../../../domain/types.js';
import { isAccessDeniedError } from '../errors.js';

/**
 * Identifiers one coalesced DescribeDBInstances asks for: its `db-instance-id` filter's values, as many as the most
 * records one page answers (`MaxRecords` ≤ 100), so a batch is normally one request; more pages are still followed.
 */
export const DESCRIBE_BATCH_SIZE = 100;

interface Waiter {
  readonly resolve: (instance: DBInstance | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * DescribeDBInstances for many callers: the instances of one region asked for within one tick of the event loop are
 * described together, with one request per `DESCRIBE_BATCH_SIZE` identifiers (a `db-instance-id` filter), instead of
 * one request each. A fleet of 1,000 groups probed from 3 observers every 10 s would otherwise send ~900 requests a
 * second, far beyond the RDS API's rate limits. Each caller gets its own instance, or `undefined` when RDS does not
 * know it; an API error fails every caller of that request alike, as its own request would have. A lone identifier
 * is asked for by `DBInstanceIdentifier`, as before (RDS then answers `DBInstanceNotFound` for an unknown one).
 *
 * IAM authorizes a filtered describe against `arn:…:rds:<region>:<account>:db:*`, not the instances named: a role that
 * allows only the named instances is refused. Then that region's describes are sent one by one, as before, for the
 * life of this describer (the deployed roles allow `db:*` for DescribeDBInstances: scripts/deployment-facts.ts).
 *
 * @example
 * const describer = new InstanceDescriber((region) => rdsClients(region));
 * const [a, b] = await Promise.all([describer.describe('eu-west-1', 'orders-eu'), describer.describe('eu-west-1', 'billing-eu')]); // one request
 */
export class InstanceDescriber {
  readonly #rds: (region: RegionName) => RDSClient;
  /** Per region, the identifiers (lower case, as RDS keeps them) asked for since the last flush, with their callers. */
  readonly #pending = new Map<RegionName, Map<string, Waiter[]>>();
  /** Regions where the role was refused a filtered describe: their instances are described one by one. */
  readonly #oneByOne = new Set<RegionName>();

  constructor(rds: (region: RegionName) => RDSClient) {
    this.#rds = rds;
  }

  /** The instance `identifier` in `region`, or undefined when RDS describes no such instance. */
  describe(region: RegionName, identifier: string): Promise<DBInstance | undefined> {
    return new Promise((resolve, reject) => {
      let waiting = this.#pending.get(region);
      if (waiting === undefined) {
        waiting = new Map();
        this.#pending.set(region, waiting);
        // Callers of this tick join the batch; it is sent once they have all asked.
        setImmediate(() => this.#flush(region));
      }
      const key = identifier.toLowerCase();
      const waiters = waiting.get(key);
      if (waiters === undefined) waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
    });
  }

  #flush(region: RegionName): void {
    const waiting = this.#pending.get(region);
    this.#pending.delete(region);
    if (waiting === undefined) return;
    const identifiers = [...waiting.keys()];
    const settle = (batch: readonly string[], answer: Promise<Map<string, DBInstance>>): void => {
      answer.then(
        (instances) => {
          for (const identifier of batch) for (const waiter of waiting.get(identifier)!) waiter.resolve(instances.get(identifier));
        },
        (error: unknown) => {
          for (const identifier of batch) for (const waiter of waiting.get(identifier)!) waiter.reject(error);
        },
      );
    };
    if (this.#oneByOne.has(region) || identifiers.length === 1) {
      for (const identifier of identifiers) settle([identifier], this.#describeOne(region, identifier));
      return;
    }
    for (let start = 0; start < identifiers.length; start += DESCRIBE_BATCH_SIZE) {
      const batch = identifiers.slice(start, start + DESCRIBE_BATCH_SIZE);
      this.#describeBatch(region, batch).then(
        (instances) => settle(batch, Promise.resolve(instances)),
        (error: unknown) => {
          if (!isAccessDeniedError(error)) return settle(batch, Promise.reject(error));
          this.#oneByOne.add(region);
          for (const identifier of batch) settle([identifier], this.#describeOne(region, identifier));
        },
      );
    }
  }

  /** The lone instance, asked for by its identifier: RDS answers `DBInstanceNotFound` (thrown) for an unknown one. */
  async #describeOne(region: RegionName, identifier: string): Promise<Map<string, DBInstance>> {
    const instance = (await this.#rds(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
    return new Map(instance === undefined ? [] : [[identifier, instance]]);
  }

  async #describeBatch(region: RegionName, identifiers: readonly string[]): Promise<Map<string, DBInstance>> {
    const client = this.#rds(region);
    const found = new Map<string, DBInstance>();
    const pages = paginateDescribeDBInstances(
      { client, pageSize: DESCRIBE_BATCH_SIZE },
      { Filters: [{ Name: 'db-instance-id', Values: [...identifiers] }] },
    );
    for await (const page of pages) {
      for (const instance of page.DBInstances ?? []) {
        if (instance.DBInstanceIdentifier !== undefined) found.set(instance.DBInstanceIdentifier.toLowerCase(), instance);
      }
    }
    return found;
  }
}

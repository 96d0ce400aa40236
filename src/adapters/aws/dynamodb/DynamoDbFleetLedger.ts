import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RetryableStepError } from '../../../domain/errors.js';
import type { EpochMs, GroupId } from '../../../domain/types.js';
import type { FleetLedger } from '../../../ports/FleetLedger.js';
import { isConditionFailed, isReplicatedWriteConflict, keys } from './table.js';

interface Reservation {
  readonly failoverId: string;
  readonly groupId: GroupId;
  readonly at: EpochMs;
}

/** Reservations older than this (or the window, if longer) are dropped when the ledger is rewritten. */
const MINIMUM_RETENTION_MS = 24 * 60 * 60 * 1000;
const MAX_ATTEMPTS = 20;

/**
 * The fleet brake's ledger: one item (`FLEET` / `LEDGER`) holding the recent reservations of all groups and a
 * `version`. A reservation rewrites the item on the condition that `version` has not moved, so concurrent executors
 * of different groups cannot both take the last slot; the loser re-reads and decides again.
 * A reservation counts against the window when `at >= now - windowMs`; a failover that ends before it promotes
 * releases its reservation (`releasesFleetSlot`), so only failovers that happened count.
 *
 * @example
 * const ledger = new DynamoDbFleetLedger(documents, 'failover-control-plane');
 * const answer = await ledger.tryReserve({ failoverId, groupId: 'orders', now, windowMs: 3_600_000, max: 2 });
 */
export class DynamoDbFleetLedger implements FleetLedger {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tryReserve(input: {
    failoverId: string;
    groupId: GroupId;
    now: EpochMs;
    windowMs: number;
    max: number;
  }): Promise<'reserved' | 'brake-engaged'> {
    const answer = await this.rewrite(input.groupId, `reserve for failover ${input.failoverId}`, (reservations) => {
      if (reservations.some((reservation) => reservation.failoverId === input.failoverId)) return 'reserved';
      const inWindow = reservations.filter((reservation) => reservation.at >= input.now - input.windowMs).length;
      if (inWindow >= input.max) return 'brake-engaged';
      const keepSince = input.now - Math.max(input.windowMs, MINIMUM_RETENTION_MS);
      return [
        ...reservations.filter((reservation) => reservation.at >= keepSince),
        { failoverId: input.failoverId, groupId: input.groupId, at: input.now },
      ];
    });
    return answer === 'brake-engaged' ? 'brake-engaged' : 'reserved';
  }

  async release(failoverId: string): Promise<void> {
    await this.rewrite(undefined, `release failover ${failoverId}`, (reservations) =>
      reservations.some((reservation) => reservation.failoverId === failoverId)
        ? reservations.filter((reservation) => reservation.failoverId !== failoverId)
        : 'unchanged',
    );
  }

  /**
   * Reads the ledger, lets `decide` answer a new list of reservations (written if `version` has not moved) or a
   * verdict that needs no write, and retries on contention.
   */
  private async rewrite<Verdict extends string>(
    groupId: GroupId | undefined,
    what: string,
    decide: (reservations: Reservation[]) => Reservation[] | Verdict,
  ): Promise<Verdict | 'written'> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const { version, reservations } = await this.read();
      const next = decide(reservations);
      if (!Array.isArray(next)) return next;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: keys.fleet, sk: keys.ledger, version: version + 1, reservations: next },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === 0
              ? {}
              : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return 'written';
      } catch (error) {
        // A conflict is a reservation from another region at the same moment: a lost race like a failed condition.
        if (!isConditionFailed(error) && !isReplicatedWriteConflict(error)) throw error;
        // Another group reserved in between: back off a little (jittered, so racers spread out) and decide again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
    throw new RetryableStepError(`fleet ledger: could not ${what} after ${MAX_ATTEMPTS} contended attempts`, {
      groupId,
      step: 'reserving',
    });
  }

  async countSince(since: EpochMs): Promise<number> {
    const { reservations } = await this.read();
    return reservations.filter((reservation) => reservation.at >= since).length;
  }

  private async read(): Promise<{ version: number; reservations: Reservation[] }> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keys.fleet, sk: keys.ledger }, ConsistentRead: true }),
    );
    return {
      version: Number(Item?.version ?? 0),
      reservations: (Item?.reservations ?? []) as Reservation[],
    };
  }
}

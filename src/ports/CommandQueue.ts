import type { EpochMs, GroupId, RegionName } from '../domain/types.js';

export type OperatorCommandType =
  | 'failover'
  | 'switchover'
  | 'approve'
  | 'reject'
  | 'abort'
  | 'retry'
  | 'pause'
  | 'resume'
  | 'acknowledge'
  /** Create a new replica of the primary in `targetRegion` (src/application/reprotect.ts, not the failover machine). */
  | 'reprotect'
  /** Cancels the pending command `targetCommandId`: taken before any other command, recorded with its caller. */
  | 'cancel';

/** An operator's command, waiting for the executor. `id` is the caller's idempotency key. */
export interface OperatorCommand {
  readonly id: string;
  readonly groupId: GroupId;
  readonly type: OperatorCommandType;
  readonly principalArn: string;
  readonly reason: string;
  readonly requestedAt: EpochMs;
  readonly targetRegion?: RegionName;
  readonly allowDataLoss?: boolean;
  /** For a cancel: the id of the pending command it cancels. */
  readonly targetCommandId?: string;
  /** Set for drill-triggered commands. */
  readonly drillScenario?: string;
}

export type CommandStatus = 'pending' | 'accepted' | 'refused';

export interface StoredCommand extends OperatorCommand {
  readonly status: CommandStatus;
  readonly outcome?: string;
  readonly processedAt?: EpochMs;
}

/**
 * Operator commands per group, waiting for the executor; each is completed once, as accepted or refused.
 *
 * @example
 * const { result } = await queue.enqueue({ id: key, groupId: 'orders', type: 'pause', principalArn, reason, requestedAt: now });
 * for (const command of await queue.pending('orders')) await queue.complete('orders', command.id, 'accepted', 'paused', now);
 */
export interface CommandQueue {
  /** `duplicate` when a command with the same id exists (the stored one is returned). */
  enqueue(command: OperatorCommand): Promise<{ result: 'queued' | 'duplicate'; stored: StoredCommand }>;
  /** Oldest first. */
  pending(groupId: GroupId): Promise<StoredCommand[]>;
  get(groupId: GroupId, id: string): Promise<StoredCommand | undefined>;
  /** Idempotent. */
  complete(groupId: GroupId, id: string, status: 'accepted' | 'refused', outcome: string, at: EpochMs): Promise<void>;
}

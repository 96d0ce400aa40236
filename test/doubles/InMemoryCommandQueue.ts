import type { EpochMs, GroupId } from '../../src/domain/types.js';
import type { CommandQueue, OperatorCommand, StoredCommand } from '../../src/ports/CommandQueue.js';
import { CallLog } from './CallLog.js';

type Method = 'enqueue' | 'pending' | 'get' | 'complete';

/**
 * CommandQueue in memory: enqueue is idempotent by command id, pending lists oldest first,
 * the first completion wins and later ones change nothing.
 *
 * @example
 * const queue = new InMemoryCommandQueue();
 * await queue.enqueue(command);
 * expect((await queue.enqueue(command)).result).toBe('duplicate');
 */
export class InMemoryCommandQueue extends CallLog<Method> implements CommandQueue {
  constructor() {
    super(['enqueue', 'pending', 'get', 'complete']);
  }

  private readonly commands = new Map<string, StoredCommand>();

  async enqueue(command: OperatorCommand): Promise<{ result: 'queued' | 'duplicate'; stored: StoredCommand }> {
    this.enter('enqueue');
    const key = keyOf(command.groupId, command.id);
    const existing = this.commands.get(key);
    if (existing !== undefined) return { result: 'duplicate', stored: structuredClone(existing) };
    const stored: StoredCommand = { ...structuredClone(command), status: 'pending' };
    this.commands.set(key, stored);
    return { result: 'queued', stored: structuredClone(stored) };
  }

  async pending(groupId: GroupId): Promise<StoredCommand[]> {
    this.enter('pending');
    return structuredClone(
      [...this.commands.values()]
        .filter((command) => command.groupId === groupId && command.status === 'pending')
        .sort((a, b) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    );
  }

  async get(groupId: GroupId, id: string): Promise<StoredCommand | undefined> {
    this.enter('get');
    return structuredClone(this.commands.get(keyOf(groupId, id)));
  }

  async complete(
    groupId: GroupId,
    id: string,
    status: 'accepted' | 'refused',
    outcome: string,
    at: EpochMs,
  ): Promise<void> {
    this.enter('complete');
    const key = keyOf(groupId, id);
    const existing = this.commands.get(key);
    if (existing === undefined) throw new Error(`group ${groupId}: command ${id} was never enqueued`);
    if (existing.status === 'pending') this.commands.set(key, { ...existing, status, outcome, processedAt: at });
  }
}

function keyOf(groupId: GroupId, id: string): string {
  return `${groupId}\u0000${id}`;
}

import type { EpochMs, LoggedEvent } from '../domain/types.js';
import type { EventLog } from '../ports/EventLog.js';
import { isInState } from './expectations.js';
import type { DrillTrigger } from './scenarios/types.js';

/**
 * What a drill has read of its group's event log: every event, oldest first, the state the group is in and when it
 * first entered each state. Script triggers (`{ state, plusSeconds }`) and the facts of the result are read from it.
 *
 * @example
 * const trail = new EventTrail();
 * for (const event of await trail.collect(deps.eventLog, group.id)) console.log(event.type);
 * trail.state; // 'failingOver.promoting'
 */
export class EventTrail {
  readonly events: LoggedEvent[] = [];
  state = 'monitoring';
  private readonly firstVisits = new Map<string, EpochMs>();

  /** Appends the events logged since the last look, records each state's first visit; answers the new events. */
  async collect(eventLog: EventLog, groupId: string): Promise<readonly LoggedEvent[]> {
    const lastSeq = this.events.at(-1)?.seq ?? 0;
    const fresh = (await eventLog.list(groupId)).filter((event) => event.seq > lastSeq).reverse();
    for (const event of fresh) {
      this.events.push(event);
      this.state = event.state;
      if (!this.firstVisits.has(event.state)) this.firstVisits.set(event.state, event.at);
    }
    return fresh;
  }

  /** Whether `trigger` has come: its seconds since `startedAt`, or its time after the first visit of its state. */
  isDue(trigger: DrillTrigger, startedAt: EpochMs, now: EpochMs): boolean {
    if ('seconds' in trigger) return now - startedAt >= trigger.seconds * 1000;
    const visitedAt = [...this.firstVisits].find(([state]) => isInState(state, trigger.state))?.[1];
    return visitedAt !== undefined && now >= visitedAt + (trigger.plusSeconds ?? 0) * 1000;
  }

  /** Every state the group was in, `monitoring` first, in order of first visit. */
  visited(): string[] {
    return ['monitoring', ...[...this.firstVisits.keys()].filter((state) => state !== 'monitoring')];
  }

  /** When the group first moved out of `monitoring`, if it has. */
  firstMoveAt(): EpochMs | undefined {
    const moves = [...this.firstVisits].filter(([state]) => state !== 'monitoring').map(([, at]) => at);
    return moves.length === 0 ? undefined : Math.min(...moves);
  }

  /** How many events of each type were logged. */
  eventCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const event of this.events) counts[event.type] = (counts[event.type] ?? 0) + 1;
    return counts;
  }
}

import type { GroupId } from '../../src/domain/types.js';
import type { DrillReportStore, StoredDrill } from '../../src/ports/DrillReportStore.js';

/**
 * DrillReportStore in memory: upsert by (group, id), listed newest first by start time.
 *
 * @example
 * const drills = new InMemoryDrillReportStore();
 * await drills.save(drill);
 * expect(await drills.list(drill.groupId)).toEqual([drill]);
 */
export class InMemoryDrillReportStore<Report = unknown> implements DrillReportStore<Report> {
  readonly calls = { save: 0, get: 0, list: 0 };
  private readonly drills = new Map<string, StoredDrill<Report>>();

  async save(drill: StoredDrill<Report>): Promise<void> {
    this.calls.save += 1;
    this.drills.set(`${drill.groupId}\u0000${drill.id}`, structuredClone(drill));
  }

  async get(groupId: GroupId, id: string): Promise<StoredDrill<Report> | undefined> {
    this.calls.get += 1;
    const drill = this.drills.get(`${groupId}\u0000${id}`);
    return drill === undefined ? undefined : structuredClone(drill);
  }

  async list(groupId: GroupId, options: { limit?: number } = {}): Promise<StoredDrill<Report>[]> {
    this.calls.list += 1;
    const drills = [...this.drills.values()]
      .filter((drill) => drill.groupId === groupId)
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1));
    return structuredClone(drills.slice(0, options.limit ?? drills.length));
  }
}

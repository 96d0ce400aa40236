import type { GroupConfig } from '../config/schema.js';
import type { RegionName } from '../domain/types.js';

export interface PointToResult {
  /** False when the record already pointed at the region's target: no change was made. */
  readonly changed: boolean;
  readonly changeId?: string;
}

export type ChangeStatus = 'PENDING' | 'INSYNC';

/** Where clients are sent: the group's DNS record. */
export interface Traffic {
  /** The region whose DNS target the record points at now, or undefined if it points elsewhere. */
  currentRegion(group: GroupConfig): Promise<RegionName | undefined>;
  /** Point the record at `region`'s target; idempotent (observes the record first). */
  pointTo(group: GroupConfig, region: RegionName, comment: string): Promise<PointToResult>;
  changeStatus(changeId: string): Promise<ChangeStatus>;
}

import type { FailoverGroup } from '../domain/group.js';
import type { RegionName } from '../domain/types.js';
import type { EffectOptions } from './EffectOptions.js';

export interface PointToResult {
  /** False when the record already pointed at the region's target: no change was made. */
  readonly changed: boolean;
  readonly changeId?: string;
}

export type ChangeStatus = 'PENDING' | 'INSYNC';

/**
 * Where clients are sent: the group's DNS record (or routing controls).
 *
 * @example
 * const { changed, changeId } = await traffic.pointTo(group, 'us-east-1', `failover ${failover.id}`, await holdLease());
 * if (changeId !== undefined && (await traffic.changeStatus(changeId)) === 'INSYNC') ...;
 */
export interface Traffic {
  /** The region whose DNS target the record points at now, or undefined if it points elsewhere. */
  currentRegion(group: FailoverGroup): Promise<RegionName | undefined>;
  /**
   * Point the record at `region`'s target; idempotent (observes the record first). The change is conditional on
   * the value observed: if the record changed in between, nothing changes and the call throws a retryable error.
   * An effect: it lands by `effect.deadline` or not at all.
   */
  pointTo(group: FailoverGroup, region: RegionName, comment: string, effect?: EffectOptions): Promise<PointToResult>;
  changeStatus(changeId: string): Promise<ChangeStatus>;
}

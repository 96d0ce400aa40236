/** Change ids ArcRoutingControlTraffic hands out start with this, so a composite Traffic can route `changeStatus` there. */
export const ARC_CHANGE_PREFIX = 'arc:';

/** True for the change ids the ARC routing-control switch hands out. */
export function isRoutingControlChange(changeId: string): boolean {
  return changeId.startsWith(ARC_CHANGE_PREFIX);
}

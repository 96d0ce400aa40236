import type { DnsTarget, GroupConfig } from '../../config/schema.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';
import type { EpochMs, RegionName } from '../../domain/types.js';
import type { Clock } from '../../ports/Clock.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../ports/Traffic.js';

/** One change submitted to the simulated hosted zone. */
export interface SimDnsChange {
  readonly id: string;
  readonly region: RegionName;
  readonly value: string;
  readonly comment: string;
  readonly submittedAt: EpochMs;
  /** When the change reaches every name server (status INSYNC from then on). */
  readonly inSyncAt: EpochMs;
}

export type DnsThrottleCode = 'Throttling' | 'PriorRequestNotComplete';

export type TrafficMethod = 'currentRegion' | 'pointTo' | 'changeStatus';

/**
 * The group's DNS record in a simulated Route 53 hosted zone: a change is PENDING for `dnsSyncSeconds`
 * of simulated time, then INSYNC. `throttle(n)` makes the next n `pointTo` calls fail as Route 53 does
 * under load, with a RetryableStepError.
 *
 * @example
 * const zone = new SimHostedZone(group, clock, { dnsSyncSeconds: 60, apiLatencyMs: 0 });
 * const { changeId } = await zone.pointTo(group, 'eu-central-1', 'failover');
 * await zone.changeStatus(changeId!); // 'PENDING' for the next 60 simulated seconds
 */
export class SimHostedZone implements Traffic {
  readonly calls: Record<TrafficMethod, number> = { currentRegion: 0, pointTo: 0, changeStatus: 0 };
  readonly ttlSeconds: number;
  private value: string;
  private readonly changeLog: SimDnsChange[] = [];
  private throttled: { remaining: number; code: DnsThrottleCode } = { remaining: 0, code: 'Throttling' };
  private controlPlaneDown = false;
  /** Change ids made through a data-plane switch (ARC): their status comes from DNS answers, not the Route 53 API. */
  private readonly dataPlaneChanges = new Set<string>();
  private deniedCalls = 0;
  /** Stretches during which the Route 53 API refused record changes: from the first refusal to the API's return. */
  private readonly refusals: { startedAt: EpochMs; endedAt?: EpochMs }[] = [];
  /** Stretches of throttled record changes: from the first throttled call's start to the start of the call accepted next. */
  private readonly throttledStretches: { startedAt: EpochMs; endedAt?: EpochMs }[] = [];

  constructor(
    group: GroupConfig,
    private readonly clock: Clock,
    private readonly timings: { readonly dnsSyncSeconds: number; readonly apiLatencyMs: number },
  ) {
    const primary = Object.values(group.regions).find((region) => region.initialPrimary);
    if (primary === undefined) throw new Error(`group ${group.id} has no initial primary`);
    this.value = valueOf(primary.dnsTarget);
    this.ttlSeconds = group.dns.ttlSeconds;
  }

  /** The record's value right now (a CNAME target or an alias DNS name). */
  get recordValue(): string {
    return this.value;
  }

  /** Every change made, oldest first. */
  changes(): readonly SimDnsChange[] {
    return [...this.changeLog];
  }

  /** The next `calls` pointTo calls fail with `code`; 0 lifts the throttle. */
  throttle(calls: number, code: DnsThrottleCode = 'Throttling'): void {
    this.throttled = { remaining: calls, code };
  }

  /**
   * The Route 53 API is impaired (true) or back (false): a record flip (`dns.switch: record`) fails to change the
   * record or read a change's status; a data-plane switch (ARC routing controls, answered by DNS) carries on.
   */
  setControlPlaneDown(down: boolean): void {
    this.controlPlaneDown = down;
    const open = this.refusals.at(-1);
    if (!down && open !== undefined && open.endedAt === undefined) open.endedAt = this.clock.now();
  }

  /** When the Route 53 API refused this zone's calls: from the start of the first refused call to the API's return (open: still down). */
  unavailability(): readonly { readonly startedAt: EpochMs; readonly endedAt?: EpochMs }[] {
    return this.refusals.map((refusal) => ({ ...refusal }));
  }

  /**
   * When Route 53 throttled this zone's record changes: from the start of the first call it refused with throttling to
   * the start of the next call it accepted (open: none accepted yet). The refused round trips and the retry's backoff
   * in between are the provider's rate limit at work; the accepted call's own round trip is not in it.
   */
  throttling(): readonly { readonly startedAt: EpochMs; readonly endedAt?: EpochMs }[] {
    return this.throttledStretches.map((stretch) => ({ ...stretch }));
  }

  /** The next `calls` pointTo calls fail with AccessDenied (a FatalStepError, as the Route 53 adapter maps it); 0 lifts it. */
  denyAccess(calls: number): void {
    this.deniedCalls = calls;
  }

  async currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    this.calls.currentRegion += 1;
    await this.latency();
    return Object.entries(group.regions).find(([, region]) => valueOf(region.dnsTarget) === this.value)?.[0];
  }

  async pointTo(group: GroupConfig, region: RegionName, comment: string): Promise<PointToResult> {
    this.calls.pointTo += 1;
    const calledAt = this.clock.now();
    await this.latency();
    const target = group.regions[region];
    if (target === undefined) {
      throw new FatalStepError(`pointTo: group ${group.id} has no region ${region}`, { groupId: group.id, region, step: 'switchingTraffic' });
    }
    const dataPlane = group.dns.switch !== 'record';
    if (this.controlPlaneDown && !dataPlane) throw this.refused('ChangeResourceRecordSets', group, region, calledAt);
    if (this.deniedCalls > 0) {
      this.deniedCalls -= 1;
      throw new FatalStepError(
        `ChangeResourceRecordSets ${group.dns.recordName}: AccessDenied: not authorized to perform route53:ChangeResourceRecordSets`,
        { groupId: group.id, region, step: 'switchingTraffic' },
      );
    }
    const stretch = this.throttledStretches.at(-1);
    const throttling = stretch !== undefined && stretch.endedAt === undefined;
    if (this.throttled.remaining > 0) {
      this.throttled.remaining -= 1;
      if (!throttling) this.throttledStretches.push({ startedAt: calledAt });
      const message =
        this.throttled.code === 'Throttling'
          ? 'Throttling: Rate exceeded'
          : 'PriorRequestNotComplete: The request was rejected because Route 53 was still processing a prior request';
      throw new RetryableStepError(`ChangeResourceRecordSets ${group.dns.recordName}: ${message}`, {
        groupId: group.id,
        region,
        step: 'switchingTraffic',
      });
    }
    if (throttling) stretch.endedAt = calledAt;
    const value = valueOf(target.dnsTarget);
    if (value === this.value) return { changed: false };
    const submittedAt = this.clock.now();
    const change: SimDnsChange = {
      id: `/change/C${String(this.changeLog.length + 1).padStart(6, '0')}SIM`,
      region,
      value,
      comment,
      submittedAt,
      inSyncAt: submittedAt + this.timings.dnsSyncSeconds * 1000,
    };
    this.changeLog.push(change);
    if (dataPlane) this.dataPlaneChanges.add(change.id);
    this.value = value;
    return { changed: true, changeId: change.id };
  }

  async changeStatus(changeId: string): Promise<ChangeStatus> {
    this.calls.changeStatus += 1;
    const calledAt = this.clock.now();
    await this.latency();
    const change = this.changeLog.find((candidate) => candidate.id === changeId);
    if (change === undefined) throw new FatalStepError(`NoSuchChange: ${changeId} is not a change of the simulated hosted zone`);
    if (this.controlPlaneDown && !this.dataPlaneChanges.has(changeId)) throw this.refused('GetChange', undefined, change.region, calledAt);
    return this.clock.now() >= change.inSyncAt ? 'INSYNC' : 'PENDING';
  }

  /** A refused call: an unavailability stretch opens at the start of the first refused call (its round trip is the provider's). */
  private refused(action: string, group: GroupConfig | undefined, region: RegionName, calledAt: EpochMs): RetryableStepError {
    const open = this.refusals.at(-1);
    if (open === undefined || open.endedAt !== undefined) this.refusals.push({ startedAt: calledAt });
    return controlPlaneUnavailable(action, group, region);
  }

  private async latency(): Promise<void> {
    if (this.timings.apiLatencyMs > 0) await this.clock.sleep(this.timings.apiLatencyMs);
  }
}

function controlPlaneUnavailable(action: string, group: GroupConfig | undefined, region: RegionName): RetryableStepError {
  return new RetryableStepError(`unreachable: route53:${action} (the Route 53 control plane in us-east-1 is impaired)`, {
    groupId: group?.id,
    region,
    step: action === 'GetChange' ? 'awaitingDnsSync' : 'switchingTraffic',
  });
}

function valueOf(target: DnsTarget): string {
  return target.type === 'CNAME' ? target.value : target.aliasDnsName;
}

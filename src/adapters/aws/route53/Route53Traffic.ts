import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import type { DnsTarget, GroupConfig } from '../../../config/schema.js';
import type { RegionName } from '../../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../../domain/errors.js';
import type { EffectOptions } from '../../../ports/EffectOptions.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../../ports/Traffic.js';
import { abandonedIfAborted, sendOptions } from '../clientConfig.js';
import { mapAwsErrors, throwMapped } from '../errors.js';
import type { AwsCallContext } from '../errors.js';

/**
 * Route 53 is a global service whose control-plane API is served from us-east-1 only: the client is created for
 * us-east-1 whatever region the Lambda runs in. (Its data plane, the DNS answers, does not depend on us-east-1.)
 */
export const ROUTE53_API_REGION = 'us-east-1';

/** Route 53 rejects change comments longer than this. */
const MAX_COMMENT_LENGTH = 256;

/**
 * The Traffic port on a Route 53 record: a simple (non-weighted) CNAME, or an alias A/AAAA record, whose value is
 * the dnsTarget of the region that should receive clients.
 */
export class Route53Traffic implements Traffic {
  readonly #route53: Route53Client;

  /**
   * @example
   * const traffic = new Route53Traffic((region) => new Route53Client(clientConfig(region)));
   */
  constructor(route53: (region: RegionName) => Route53Client) {
    this.#route53 = route53(ROUTE53_API_REGION);
  }

  /**
   * The region whose dnsTarget the record points at, or undefined when the record is missing or points elsewhere.
   *
   * @example
   * await traffic.currentRegion(group); // 'eu-west-1'
   */
  async currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    const record = await this.#readRecord(group);
    return record === undefined ? undefined : regionOf(group, record);
  }

  /**
   * Points the record at `region`'s dnsTarget, unless it already points there (then no change is sent and `changed`
   * is false). The change is conditional on what was read: one batch that DELETEs the record exactly as listed and
   * CREATEs the new value. Route 53 applies a batch atomically, so if anyone changed the record in between, the
   * DELETE no longer matches, nothing changes, and this throws a retryable error (the next attempt reads again).
   * A missing record is CREATEd, which fails the same way if someone created it meanwhile. A bare UPSERT would
   * overwrite whatever was there. `comment` names the failover in Route 53's change history.
   *
   * @example
   * const { changed, changeId } = await traffic.pointTo(group, 'eu-central-1', 'failover f-123: eu-west-1 -> eu-central-1');
   */
  async pointTo(group: GroupConfig, region: RegionName, comment: string, effect?: EffectOptions): Promise<PointToResult> {
    const target = group.regions[region]?.dnsTarget;
    if (target === undefined) {
      throw new FatalStepError(`group ${group.id} has no region ${region}`, { groupId: group.id, region });
    }
    const where = { groupId: group.id, region, step: 'switchingTraffic' };
    const record = await this.#readRecord(group, effect);
    if (record !== undefined && regionOf(group, record) === region) return { changed: false };
    const changes: Change[] = [
      ...(record === undefined ? [] : [{ Action: 'DELETE' as const, ResourceRecordSet: record }]),
      { Action: 'CREATE', ResourceRecordSet: recordSetFor(group, target) },
    ];
    abandonedIfAborted(effect, where);
    let output;
    try {
      output = await this.#route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: group.dns.hostedZoneId,
          ChangeBatch: { Comment: comment.slice(0, MAX_COMMENT_LENGTH), Changes: changes },
        }),
        sendOptions(effect),
      );
    } catch (error) {
      abandonedIfAborted(effect, where, error);
      if (isInvalidChangeBatch(error)) {
        throw new RetryableStepError(
          `record ${group.dns.recordName} changed while it was being pointed at ${region} (${messageOf(error)}); nothing was changed`,
          { ...where, cause: error },
        );
      }
      throwMapped(error, this.#context(group, 'route53:ChangeResourceRecordSets', region));
    }
    const changeId = output.ChangeInfo?.Id;
    return changeId === undefined ? { changed: true } : { changed: true, changeId };
  }

  /**
   * Whether a change has reached all Route 53 name servers.
   *
   * @example
   * await traffic.changeStatus('/change/C2682N5HXP0BZ4'); // 'INSYNC'
   */
  async changeStatus(changeId: string): Promise<ChangeStatus> {
    const context = {
      action: 'route53:GetChange',
      resource: `arn:aws:route53:::change/${changeId.replace(/^\/?change\//, '')}`,
    };
    const output = await mapAwsErrors(context, () => this.#route53.send(new GetChangeCommand({ Id: changeId })));
    return output.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
  }

  /** The group's record, or undefined: the listing starts at the name and type, so check that it is this record. */
  async #readRecord(group: GroupConfig, effect?: EffectOptions): Promise<ResourceRecordSet | undefined> {
    const output = await mapAwsErrors(this.#context(group, 'route53:ListResourceRecordSets'), async () => {
      try {
        return await this.#route53.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: group.dns.hostedZoneId,
            StartRecordName: group.dns.recordName,
            StartRecordType: group.dns.type,
            MaxItems: 1,
          }),
          sendOptions(effect),
        );
      } catch (error) {
        abandonedIfAborted(effect, { groupId: group.id, step: 'switchingTraffic' }, error);
        throw error;
      }
    });
    const record = output.ResourceRecordSets?.[0];
    if (record === undefined) return undefined;
    const sameRecord = normalizeName(record.Name ?? '') === normalizeName(group.dns.recordName) && record.Type === group.dns.type;
    return sameRecord ? record : undefined;
  }

  #context(group: GroupConfig, action: string, region?: RegionName): AwsCallContext {
    return {
      action,
      resource: `arn:aws:route53:::hostedzone/${group.dns.hostedZoneId}`,
      groupId: group.id,
      region,
      step: action === 'route53:ChangeResourceRecordSets' ? 'switchingTraffic' : undefined,
    };
  }
}

/** Route 53's answer when a batch does not apply: a DELETE that no longer matches, a CREATE of an existing record. */
function isInvalidChangeBatch(error: unknown): boolean {
  return error instanceof Error && (error.name === 'InvalidChangeBatch' || error.name === 'InvalidChangeBatchException');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** DNS names compare case-insensitively, and Route 53 answers them fully qualified (with a trailing dot). */
function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function valueOf(record: ResourceRecordSet): string | undefined {
  return record.AliasTarget?.DNSName ?? record.ResourceRecords?.[0]?.Value;
}

function targetValue(target: DnsTarget): string {
  return target.type === 'CNAME' ? target.value : target.aliasDnsName;
}

function regionOf(group: GroupConfig, record: ResourceRecordSet): RegionName | undefined {
  const value = valueOf(record);
  if (value === undefined) return undefined;
  const entry = Object.entries(group.regions).find(
    ([, region]) => normalizeName(targetValue(region.dnsTarget)) === normalizeName(value),
  );
  return entry?.[0];
}

function recordSetFor(group: GroupConfig, target: DnsTarget): ResourceRecordSet {
  if (target.type === 'CNAME') {
    return {
      Name: group.dns.recordName,
      Type: 'CNAME',
      TTL: group.dns.ttlSeconds,
      ResourceRecords: [{ Value: target.value }],
    };
  }
  return {
    Name: group.dns.recordName,
    Type: target.type,
    AliasTarget: { HostedZoneId: target.aliasHostedZoneId, DNSName: target.aliasDnsName, EvaluateTargetHealth: false },
  };
}

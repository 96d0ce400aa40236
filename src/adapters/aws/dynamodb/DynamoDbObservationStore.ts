import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withHeartbeats, type ObserverHeartbeat, type ReportVouch } from '../../../domain/heartbeats.js';
import { FUTURE_REPORT_TOLERANCE_MS, oneObserverAndGroup } from '../../../domain/observations.js';
import type { EpochMs, GroupId, ObserverReport, RegionName } from '../../../domain/types.js';
import type { ObservationStore } from '../../../ports/ObservationStore.js';
import { isConditionFailed, isReplicatedWriteConflict, keys, queryGroup, queryItems } from './table.js';

const REPORT = 'report#';
const OBSERVED_AT = 'observedAt#';

/**
 * One item per (group, observer), `GROUP#<id>` / `OBSERVER#<observer>`, holding that observer's report of each region
 * of the group: `report#<region>` (the report as deflated JSON: a report is ~400 bytes of JSON, three of them as
 * plain maps make a 2 KB item, two write units; deflated they fit in one) and `observedAt#<region>` (its time, which
 * the write's condition reads). A round saves a group with one UpdateItem whose condition is `replacesStoredReport`
 * for every region it carries; in the rare case one of them is refused (a slow overlapping invocation, or a stored
 * report from the future), each report is written again on its own, so the rule holds report by report.
 *
 * Heartbeats: one item per (shard, observer), `HEARTBEAT#<shard>` / `OBSERVER#<observer>`, replaced by each round
 * (PutItem, no condition: any heartbeat is true of the reports it names, and losing one only lets reports age), its
 * vouches as deflated JSON (~18 bytes a group: 1,000 groups are an 18 KB item, ~18 write units per round instead of
 * 1,000). A shard's heartbeats are one Query, eventually consistent: a read that lags only makes reports look older.
 *
 * @example
 * const observations = new DynamoDbObservationStore(documents, 'failover-control-plane');
 * await observations.putReports([euReport, usReport, apReport], clock.now());
 * const reports = await observations.listForGroup('orders', await observations.heartbeats('default'));
 */
export class DynamoDbObservationStore implements ObservationStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putReports(reports: readonly ObserverReport[], now?: EpochMs): Promise<void> {
    if (oneObserverAndGroup(reports) === undefined) return;
    const landed = await this.#update(reports, now);
    // Only this observer writes this item; a refusal is its own overlapping invocation or a report from the future,
    // and a one-report set that lost has lost for good (the next round writes again).
    if (!landed && reports.length > 1) for (const report of reports) await this.#update([report], now);
  }

  async put(report: ObserverReport, now?: EpochMs): Promise<void> {
    await this.putReports([report], now);
  }

  async getReports(groupId: GroupId, observerRegion: RegionName): Promise<ObserverReport[]> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keys.group(groupId), sk: keys.observations(observerRegion) }, ConsistentRead: true }),
    );
    return Item === undefined ? [] : reportsOf(Item).sort((a, b) => compare(a.region, b.region));
  }

  async get(groupId: GroupId, region: RegionName, observerRegion: RegionName): Promise<ObserverReport | undefined> {
    return (await this.getReports(groupId, observerRegion)).find((report) => report.region === region);
  }

  async listForGroup(groupId: GroupId, heartbeats: readonly ObserverHeartbeat[]): Promise<ObserverReport[]> {
    const items = await queryGroup(this.documents, this.tableName, groupId, keys.observationsPrefix);
    const reports = items.flatMap(reportsOf).sort((a, b) => compare(a.region, b.region) || compare(a.observerRegion, b.observerRegion));
    return withHeartbeats(reports, heartbeats);
  }

  async putHeartbeat(heartbeat: ObserverHeartbeat): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: keys.heartbeats(heartbeat.shard),
          sk: keys.observations(heartbeat.observerRegion),
          observerRegion: heartbeat.observerRegion,
          shard: heartbeat.shard,
          writtenAt: heartbeat.writtenAt,
          vouches: deflateRawSync(JSON.stringify(heartbeat.vouches)),
        },
      }),
    );
  }

  async heartbeats(shard: string): Promise<ObserverHeartbeat[]> {
    const items = await queryItems(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.heartbeats(shard) },
      ConsistentRead: false,
    });
    return items.flatMap((item) => {
      const heartbeat = heartbeatOf(item, shard);
      return heartbeat === undefined ? [] : [heartbeat];
    });
  }

  /** One conditional write of `reports` (one observer, one group); false when a stored report was newer. */
  async #update(reports: readonly ObserverReport[], now: EpochMs | undefined): Promise<boolean> {
    const { groupId, observerRegion } = reports[0]!;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const conditions: string[] = [];
    if (now !== undefined) values[':futureAfter'] = now + FUTURE_REPORT_TOLERANCE_MS;
    for (const [index, report] of reports.entries()) {
      names[`#r${index}`] = `${REPORT}${report.region}`;
      names[`#t${index}`] = `${OBSERVED_AT}${report.region}`;
      values[`:r${index}`] = deflateRawSync(JSON.stringify(report));
      values[`:t${index}`] = report.observedAt;
      sets.push(`#r${index} = :r${index}`, `#t${index} = :t${index}`);
      // replacesStoredReport (src/domain/observations.ts): newer wins, unless the stored one is from the future.
      conditions.push(`(attribute_not_exists(#t${index}) OR #t${index} <= :t${index}${now === undefined ? '' : ` OR #t${index} > :futureAfter`})`);
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.group(groupId), sk: keys.observations(observerRegion) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailed(error) && !isReplicatedWriteConflict(error)) throw error;
      return false;
    }
  }
}

function reportsOf(item: Record<string, unknown>): ObserverReport[] {
  return Object.entries(item)
    .filter(([name]) => name.startsWith(REPORT))
    .map(([, value]) => JSON.parse(inflateRawSync(value as Uint8Array).toString('utf8')) as ObserverReport);
}

/** A stored heartbeat, or undefined when it cannot be read: its observer's reports then keep their own time. */
function heartbeatOf(item: Record<string, unknown>, shard: string): ObserverHeartbeat | undefined {
  const { observerRegion, writtenAt, vouches } = item;
  if (typeof observerRegion !== 'string' || typeof writtenAt !== 'number' || !(vouches instanceof Uint8Array)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateRawSync(vouches).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const valid: Record<GroupId, ReportVouch> = {};
  for (const [groupId, vouch] of Object.entries(parsed)) {
    const { at, rounds, reports } = (vouch ?? {}) as { at?: unknown; rounds?: unknown; reports?: unknown };
    if (typeof at !== 'number' || !Number.isSafeInteger(rounds) || typeof reports !== 'object' || reports === null) continue;
    if (Object.values(reports).every((observedAt) => typeof observedAt === 'number')) {
      valid[groupId] = { at, rounds: rounds as number, reports: reports as Record<RegionName, EpochMs> };
    }
  }
  return { observerRegion, shard, writtenAt, vouches: valid };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

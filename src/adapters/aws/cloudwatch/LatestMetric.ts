import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../../ports/Clock.js';
import type { RegionName } from '../../../domain/types.js';
import { nextLagReadAt } from '../../../domain/replicaLag.js';
import { isUnreachableError, throwMapped } from '../errors.js';

/** One CloudWatch metric of one resource, e.g. `AWS/RDS ReplicaLag` of `DBInstanceIdentifier=app-eu`. */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface LatestMetricOptions {
  readonly clock: Clock;
  /** Only datapoints this recent count; an older one is treated as unknown. */
  readonly lookbackMs?: number;
  readonly periodSeconds?: number;
  /**
   * Answer a metric again from memory until a newer datapoint can exist (`nextLagReadAt`), instead of asking
   * CloudWatch every probe round. The answer keeps its datapoint's own time, so its age is never hidden. For the
   * probe; the executor asks afresh before it acts.
   */
  readonly reuseUntilNewDatapoint?: boolean;
}

export interface MetricValue {
  readonly metricName: string;
  readonly value: number;
  /**
   * The datapoint's timestamp, epoch ms: when the value was measured (the start of its period), not when it was read.
   * Callers pass it on as `replicaLagMeasuredAt`, so an old datapoint never decides a promotion.
   */
  readonly at: number;
}

export const DEFAULT_METRIC_LOOKBACK_MS = 5 * 60_000;

/**
 * Reads the newest datapoint of a metric from CloudWatch with `GetMetricData`, for replica lag.
 * Several metrics may be asked for in one call, in order of preference: the first with a usable datapoint wins.
 * A negative newest value (RDS reports `-1` when replication is not running) means unknown.
 */
export class LatestMetric {
  readonly #cloudWatch: (region: RegionName) => CloudWatchClient;
  readonly #clock: Clock;
  readonly #lookbackMs: number;
  readonly #periodSeconds: number;
  readonly #reuse: boolean;
  readonly #answers = new Map<string, { readonly value: MetricValue | undefined; readonly nextReadAt: number }>();

  constructor(cloudWatch: (region: RegionName) => CloudWatchClient, options: LatestMetricOptions) {
    this.#cloudWatch = cloudWatch;
    this.#clock = options.clock;
    this.#lookbackMs = options.lookbackMs ?? DEFAULT_METRIC_LOOKBACK_MS;
    this.#periodSeconds = options.periodSeconds ?? 60;
    this.#reuse = options.reuseUntilNewDatapoint ?? false;
  }

  /**
   * The newest usable value of the first metric that has one; undefined when none has, or when CloudWatch in
   * `region` cannot be reached (lag is then unknown, which the machine treats as not eligible).
   *
   * @example
   * const lag = await latest.read('eu-central-1', [{ namespace: 'AWS/RDS', metricName: 'ReplicaLag', dimensions: { DBInstanceIdentifier: 'app-eu' } }]);
   * await latest.read('eu-central-1', metrics, 'orders', 'remembered'); // the same answer again, no request
   */
  async read(region: RegionName, metrics: readonly MetricRef[], groupId?: string, mode: 'read' | 'remembered' = 'read'): Promise<MetricValue | undefined> {
    const now = this.#clock.now();
    const key = JSON.stringify([region, metrics]);
    const known = this.#answers.get(key);
    // `remembered`: the caller decided a request is not worth it now (src/domain/replicaLag.ts, `lagReadDue`).
    if (mode === 'remembered') return known?.value;
    if (this.#reuse && known !== undefined && now < known.nextReadAt) return known.value;
    const value = await this.#ask(region, metrics, now, groupId);
    this.#answers.set(key, { value, nextReadAt: nextLagReadAt({ readAt: now, measuredAt: value?.at }, this.#periodSeconds * 1_000) });
    return value;
  }

  async #ask(region: RegionName, metrics: readonly MetricRef[], now: number, groupId?: string): Promise<MetricValue | undefined> {
    const command = new GetMetricDataCommand({
      StartTime: new Date(now - this.#lookbackMs),
      EndTime: new Date(now),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: metrics.map((metric, index) => ({
        Id: `m${index}`,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: metric.namespace,
            MetricName: metric.metricName,
            Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: this.#periodSeconds,
          Stat: 'Maximum',
        },
      })),
    });
    let output: GetMetricDataCommandOutput;
    try {
      output = await this.#cloudWatch(region).send(command);
    } catch (error) {
      if (isUnreachableError(error)) return undefined;
      const described = metrics.map((metric) => `${metric.namespace} ${metric.metricName}`).join(', ');
      throwMapped(error, { action: 'cloudwatch:GetMetricData', resource: `* (${described})`, groupId, region });
    }
    for (const [index, metric] of metrics.entries()) {
      const result = output.MetricDataResults?.find((candidate) => candidate.Id === `m${index}`);
      const newest = newestUsable(result?.Values ?? [], result?.Timestamps ?? []);
      if (newest !== undefined) return { metricName: metric.metricName, ...newest };
    }
    return undefined;
  }
}

/** The newest datapoint, if it is usable: a negative newest value means "not replicating now", not "use an older one". */
function newestUsable(values: readonly number[], timestamps: readonly Date[]): { value: number; at: number } | undefined {
  let newest: { value: number; at: number } | undefined;
  values.forEach((value, index) => {
    const at = timestamps[index]?.getTime();
    if (at !== undefined && (newest === undefined || at > newest.at)) newest = { value, at };
  });
  return newest !== undefined && newest.value >= 0 && Number.isFinite(newest.value) ? newest : undefined;
}

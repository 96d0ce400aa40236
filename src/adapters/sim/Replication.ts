import type { EpochMs } from '../../domain/types.js';

interface RatePoint {
  readonly at: EpochMs;
  /** Writes accepted before `at`. */
  readonly seq: number;
  /** Writes per millisecond from `at` until the next point. */
  readonly rate: number;
}

/**
 * The primary's write sequence over simulated time: a piecewise-linear count of accepted writes.
 * The rate is `writesPerSecond` while the primary accepts writes and 0 while it is down, crashed or fenced.
 *
 * @example
 * const history = new WriteHistory(0, 10); // 10 writes per second from t = 0
 * history.setRate(5_000, 0);               // stops at t = 5 s
 * history.seqAt(9_000);                    // 50
 */
export class WriteHistory {
  private readonly points: RatePoint[];

  constructor(start: EpochMs, writesPerSecond: number) {
    this.points = [{ at: start, seq: 0, rate: writesPerSecond / 1000 }];
  }

  /** Changes the write rate from `at` on (`at` must not be before the last change). */
  setRate(at: EpochMs, writesPerSecond: number): void {
    const last = this.lastPoint();
    const rate = writesPerSecond / 1000;
    if (rate === last.rate) return;
    const when = Math.max(at, last.at);
    this.points.push({ at: when, seq: this.seqAt(when), rate });
  }

  /** Writes accepted by time `at` (fractional; floor it to count whole writes). */
  seqAt(at: EpochMs): number {
    const point = this.pointAt(at);
    if (point === undefined) return 0;
    return point.seq + (at - point.at) * point.rate;
  }

  /** The first time the count reached `seq`, or undefined if it has not by the last change and is not growing. */
  timeOfSeq(seq: number): EpochMs | undefined {
    for (let index = 0; index < this.points.length; index += 1) {
      const point = this.points[index] as RatePoint;
      const next = this.points[index + 1];
      const end = next === undefined ? Number.POSITIVE_INFINITY : next.seq;
      if (seq <= point.seq) return point.at;
      if (seq < end || (next === undefined && point.rate > 0)) {
        return point.rate > 0 ? point.at + (seq - point.seq) / point.rate : undefined;
      }
    }
    return undefined;
  }

  /** Times at which the rate changed, strictly between `from` and `to`. */
  changesBetween(from: EpochMs, to: EpochMs): EpochMs[] {
    return this.points.map((point) => point.at).filter((at) => at > from && at < to);
  }

  private lastPoint(): RatePoint {
    return this.points[this.points.length - 1] as RatePoint;
  }

  private pointAt(at: EpochMs): RatePoint | undefined {
    let found: RatePoint | undefined;
    for (const point of this.points) {
      if (point.at > at) break;
      found = point;
    }
    return found;
  }
}

export interface ReplicaStreamOptions {
  /** Transport delay: a write reaches the replica this long after the primary accepted it. */
  readonly delayMs: number;
  /** How fast the replica applies writes; below the primary's rate, the backlog (and the lag) grows. */
  readonly applyWritesPerSecond: number;
}

/**
 * One replica's applied position in its source's write sequence, as a fluid queue:
 * writes arrive `delayMs` after the source accepted them and are applied at most `applyWritesPerSecond`.
 * `advance(to)` must be called before anything that changes the source's rate or the link.
 *
 * @example
 * const stream = new ReplicaStream(history, 0, { delayMs: 1_000, applyWritesPerSecond: Infinity });
 * stream.advance(10_000);
 * stream.lagMs(10_000); // 1_000
 */
export class ReplicaStream {
  private appliedSeq = 0;
  private lastAt: EpochMs;
  private linkUp = true;
  private frozenLag: number | undefined;
  private options: ReplicaStreamOptions;

  constructor(
    private readonly source: WriteHistory,
    start: EpochMs,
    options: ReplicaStreamOptions,
  ) {
    this.lastAt = start;
    this.options = options;
  }

  /** Writes applied so far (fractional). */
  get applied(): number {
    return this.appliedSeq;
  }

  get connected(): boolean {
    return this.linkUp;
  }

  /** Brings the applied position up to `to`, given the source's history and the link state since the last call. */
  advance(to: EpochMs): void {
    if (to <= this.lastAt) return;
    if (this.linkUp) this.appliedSeq = Math.max(this.appliedSeq, this.reachableBy(to));
    this.lastAt = to;
  }

  /** Changes delay or apply rate from now on (call `advance` first). */
  reconfigure(options: Partial<ReplicaStreamOptions>): void {
    this.options = { ...this.options, ...options };
  }

  /** Breaks or restores replication; while broken the applied position and the reported lag stay frozen. */
  setLink(up: boolean, at: EpochMs): void {
    this.advance(at);
    if (up === this.linkUp) return;
    this.frozenLag = up ? undefined : this.liveLagMs(at);
    this.linkUp = up;
  }

  /** Replication lag as the replica reports it: time since the source accepted the oldest write not yet applied. */
  lagMs(at: EpochMs): number {
    this.advance(at);
    return this.frozenLag ?? this.liveLagMs(at);
  }

  private liveLagMs(at: EpochMs): number {
    if (this.appliedSeq >= this.source.seqAt(at) - 1e-9) return 0;
    const acceptedAt = this.source.timeOfSeq(this.appliedSeq);
    return acceptedAt === undefined ? 0 : Math.max(0, at - acceptedAt);
  }

  /**
   * The queue's output at `to`: the least of (arrived by s) + (apply rate × (to − s)) over the moments s
   * where the arrival curve bends, and of (applied at the last call) + (apply rate × elapsed).
   */
  private reachableBy(to: EpochMs): number {
    const { delayMs, applyWritesPerSecond } = this.options;
    const applyRate = applyWritesPerSecond / 1000;
    const arrived = (at: EpochMs) => this.source.seqAt(at - delayMs);
    const capacity = (from: EpochMs) => (applyRate === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : applyRate * (to - from));
    let best = Math.min(arrived(to), this.appliedSeq + capacity(this.lastAt));
    for (const bend of this.source.changesBetween(this.lastAt - delayMs, to - delayMs)) {
      best = Math.min(best, arrived(bend + delayMs) + capacity(bend + delayMs));
    }
    return best;
  }
}

import { SlidingWindow } from './window.js';

/** Which latency a sample measures: time to the answer (`ask`) or to the first chunk (`stream`). */
export type LatencyMode = 'ask' | 'stream';

/** How one request to a member ended, for its stats. */
export type MemberOutcome =
  /** It answered (`ask`) or completed (`stream`). */
  | 'success'
  /** It failed with an error the route falls back on. */
  | 'failure'
  /** Neither: cancelled, refused without a request (open circuit), or lost a hedged race. */
  | 'neutral';

/** How many samples each window keeps at most (the most recent ones). */
export const WINDOW_CAPACITY = 512;

/**
 * A route member's stats for `route()`'s strategies, in this process only: calls in flight now,
 * and over the sliding `window` the outcomes of its requests and its latencies (to the answer for
 * `ask`, to the first chunk for `stream`).
 */
export class MemberStats {
  #inFlight = 0;
  #requests = 0;
  readonly #outcomes: SlidingWindow;
  readonly #latency: Readonly<Record<LatencyMode, SlidingWindow>>;

  constructor(windowMs: number, now: () => number) {
    this.#outcomes = new SlidingWindow(windowMs, WINDOW_CAPACITY, now);
    this.#latency = {
      ask: new SlidingWindow(windowMs, WINDOW_CAPACITY, now),
      stream: new SlidingWindow(windowMs, WINDOW_CAPACITY, now),
    };
  }

  /** Calls to this member running now (`least-busy` picks the fewest). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests started on this member since the route was built (its traffic). */
  get requests(): number {
    return this.#requests;
  }

  /** A request to this member starts. */
  start(): void {
    this.#inFlight++;
    this.#requests++;
  }

  /** A request to this member ended. */
  end(): void {
    this.#inFlight--;
  }

  /** Records how a request ended (`neutral` records nothing). */
  outcome(outcome: MemberOutcome): void {
    if (outcome !== 'neutral') this.#outcomes.add(outcome === 'success' ? 1 : 0);
  }

  /**
   * Records a latency in ms: to the answer (`ask`) or to the first chunk (`stream`). `atLeast`: a
   * request a hedge overtook, cut after `ms` (it counts in the p95's ranks, not in the mean).
   */
  latency(mode: LatencyMode, ms: number, atLeast = false): void {
    this.#latency[mode].add(ms, atLeast);
  }

  /** The share of recent requests that succeeded; `undefined` without recent data. */
  successRate(): number | undefined {
    return this.#outcomes.mean();
  }

  /** How many recent outcomes the success rate rests on. */
  get outcomeSamples(): number {
    return this.#outcomes.count;
  }

  /** The recent mean latency of `mode`; `undefined` without recent data. */
  meanLatency(mode: LatencyMode): number | undefined {
    return this.#latency[mode].mean();
  }

  /** The recent p95 latency of `mode`; `undefined` with fewer than `minSamples` recent samples. */
  p95(mode: LatencyMode, minSamples: number): number | undefined {
    return this.#latency[mode].quantile(0.95, minSamples);
  }

  /** How many recent latency samples of `mode` there are. */
  latencySamples(mode: LatencyMode): number {
    return this.#latency[mode].count;
  }
}

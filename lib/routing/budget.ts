/**
 * The hedge budget of one router (as Finagle's retry budget and gRPC's hedging throttle): over
 * the stats `window`, hedges may be at most `share` of the calls started, plus a small
 * {@link HEDGE_ALLOWANCE} so a cold router can still hedge. Counts are kept in time buckets, so
 * the window holds any number of calls; nothing runs on a timer.
 */

/** Hedges a router may always start per window, whatever its traffic (a cold router's allowance). */
export const HEDGE_ALLOWANCE = 3;

/** Buckets a window is cut into: counts age out one bucket (a tenth of the window) at a time. */
const BUCKETS = 10;

/** A count of events over a sliding window, in {@link BUCKETS} time buckets. */
class BucketCount {
  readonly #bucketMs: number;
  readonly #now: () => number;
  readonly #counts = new Float64Array(BUCKETS);
  /** The bucket number (time / bucket length) `#counts` was last advanced to. */
  #at = -Infinity;

  constructor(windowMs: number, now: () => number) {
    this.#bucketMs = windowMs / BUCKETS;
    this.#now = now;
  }

  add(): void {
    this.#advance();
    this.#counts[((this.#at % BUCKETS) + BUCKETS) % BUCKETS]!++;
  }

  get total(): number {
    this.#advance();
    return this.#counts.reduce((sum, n) => sum + n, 0);
  }

  /** Empties the buckets that fell out of the window since the last read. */
  #advance(): void {
    const at = Math.floor(this.#now() / this.#bucketMs);
    if (at <= this.#at) return;
    const stale = Math.min(BUCKETS, at - this.#at);
    for (let k = 1; k <= stale; k++) this.#counts[(((at - k + 1) % BUCKETS) + BUCKETS) % BUCKETS] = 0;
    this.#at = at;
  }
}

/** How many hedges a router may start: at most `share` of its recent calls, plus the allowance. */
export class HedgeBudget {
  readonly #share: number;
  readonly #calls: BucketCount;
  readonly #hedges: BucketCount;

  constructor(share: number, windowMs: number, now: () => number) {
    this.#share = share;
    this.#calls = new BucketCount(windowMs, now);
    this.#hedges = new BucketCount(windowMs, now);
  }

  /** A call starts (it earns `share` of a hedge). */
  call(): void {
    this.#calls.add();
  }

  /** A hedge would start: whether the budget allows it; if so, it is spent. `share` 1 always allows. */
  spend(): boolean {
    if (this.#share < 1) {
      const allowed = Math.max(HEDGE_ALLOWANCE, this.#share * this.#calls.total);
      if (this.#hedges.total + 1 > allowed) return false;
    }
    this.#hedges.add();
    return true;
  }
}

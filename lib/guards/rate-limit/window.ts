/**
 * The limiter's state: counts of started calls in buckets of 1/100 of the window (requests and a
 * token sum per bucket), and the reservations of callers still waiting for their start. Memory is
 * O(window / resolution + waiting callers), not O(calls): about 100 small records however many
 * calls a window sees.
 *
 * **Guarantee** (the sliding log's, kept): every interval (t − W, t] of W = `windowMs` holds at
 * most the configured requests and tokens. A call may start at t only if the calls counted for
 * the window ending at t, plus itself, fit — and a bucket is counted whole until its latest start
 * has left the window, so every call that started in (t − W, t] is counted (with some that started
 * up to one bucket earlier). Each admission also counts every call reserved after t. So for any
 * window, the last call admitted into it saw every earlier one.
 *
 * **Price of the buckets**: leaving a bucket out means waiting for its latest start to leave the
 * window, so a call may wait up to one bucket (W / 100, 600 ms of a minute) longer than the exact
 * log would make it, never shorter; with at most one call per bucket the two agree exactly.
 * `__tests__/rate-limit-window.test.ts` checks both with fast-check against the exact log.
 *
 * A fixed window (what `rate-limiter-flexible` implements) would let twice the limit through
 * across a window boundary, and a token bucket a full bucket plus a window's refill in one window.
 */

/** How many buckets a window is split into. */
export const RESOLUTION = 100;

/** Requests and tokens of the calls that started within one bucket's span of time. */
interface Bucket {
  readonly index: number;
  requests: number;
  tokens: number;
  /** The latest start counted in it: the bucket has left every window ending at `last + W` or later. */
  last: number;
  /** Still counted (not pruned). */
  live: boolean;
}

/** One admitted call. `at` is when it starts (in the future while it waits). */
export interface WindowEntry {
  at: number;
  tokens: number;
  /** Its caller has started the request; it will not move any more. */
  readonly started: boolean;
}

/** The window's own record of an entry. */
interface Entry extends WindowEntry {
  started: boolean;
  /** Still counted (waiting, or in a live bucket). */
  live: boolean;
  bucket: Bucket | undefined;
}

/** Requests and tokens counted in the window ending now, and what is reserved after now. */
export interface WindowUsage {
  readonly requests: number;
  readonly tokens: number;
  readonly queued: number;
}

/** A bucketed sliding window with limits on requests and tokens (either may be `Infinity`). */
export class BucketedWindow {
  readonly #windowMs: number;
  readonly #width: number;
  readonly #maxRequests: number;
  readonly #maxTokens: number;
  /** Sorted by index; live ones from `#head`. */
  #buckets: Bucket[] = [];
  #head = 0;
  /** Waiting reservations, sorted by `at`. */
  readonly #waiting: Entry[] = [];
  /** Totals over live buckets and waiting entries. */
  #requests = 0;
  #tokens = 0;
  /** The latest start of a started call. */
  #lastStarted = -Infinity;

  constructor(windowMs: number, maxRequests: number, maxTokens: number) {
    this.#windowMs = windowMs;
    this.#width = windowMs / RESOLUTION;
    this.#maxRequests = maxRequests;
    this.#maxTokens = maxTokens;
  }

  /** Records held: live buckets and waiting calls (what the memory bound is about). */
  get size(): number {
    return this.#buckets.length - this.#head + this.#waiting.length;
  }

  /** Tokens counted now (live buckets and waiting calls): for the token estimate's headroom check. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Drops buckets that no window ending at `now` or later can contain. */
  prune(now: number): void {
    const buckets = this.#buckets;
    let head = this.#head;
    while (head < buckets.length && this.#leaves(buckets[head]!) <= now) {
      const bucket = buckets[head++]!;
      bucket.live = false;
      this.#requests -= bucket.requests;
      this.#tokens -= bucket.tokens;
    }
    if (head > 64 && head * 2 > buckets.length) {
      this.#buckets = buckets.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  /**
   * The earliest start, at or after `notBefore`, `now` and every call admitted so far (so queued
   * callers keep their order), at which one more call of `tokens` fits in the window ending
   * there. `Infinity` when it can never fit.
   */
  earliest(now: number, tokens: number, notBefore: number): number {
    if (tokens > this.#maxTokens || this.#maxRequests < 1) return Infinity;
    const waiting = this.#waiting;
    let at = Math.max(
      now,
      notBefore,
      this.#lastStarted,
      waiting.length > 0 ? waiting[waiting.length - 1]!.at : -Infinity,
    );
    let requests = this.#requests;
    let sum = this.#tokens;
    const fits = (): boolean => requests + 1 <= this.#maxRequests && sum + tokens <= this.#maxTokens;
    // Leave out the oldest until the call fits (an empty window always fits); each left out must
    // have left the window by the start.
    const buckets = this.#buckets;
    for (let i = this.#head; i < buckets.length && !fits(); i++) {
      const bucket = buckets[i]!;
      requests -= bucket.requests;
      sum -= bucket.tokens;
      at = Math.max(at, this.#leaves(bucket));
    }
    for (let i = 0; i < waiting.length && !fits(); i++) {
      const entry = waiting[i]!;
      requests--;
      sum -= entry.tokens;
      at = Math.max(at, entry.at + this.#windowMs);
    }
    return at;
  }

  /** Reserves a call at `at`, which must come from {@link earliest}; call {@link start} when it starts. */
  add(at: number, tokens: number): WindowEntry {
    const entry: Entry = { at, tokens, started: false, live: true, bucket: undefined };
    this.#waiting.push(entry);
    this.#requests++;
    this.#tokens += tokens;
    return entry;
  }

  /** The call of `entry` starts: it moves from the waiting list into the bucket of its start. */
  start(handle: WindowEntry): void {
    const entry = handle as Entry;
    if (!entry.live || entry.started) return;
    this.#unwait(entry);
    entry.started = true;
    const bucket = this.#bucketAt(Math.floor(entry.at / this.#width));
    bucket.requests++;
    bucket.tokens += entry.tokens;
    if (entry.at > bucket.last) bucket.last = entry.at;
    entry.bucket = bucket;
    if (entry.at > this.#lastStarted) this.#lastStarted = entry.at;
  }

  /** Takes a waiting entry out (its caller gave up). Removing only lowers counts, so others stay valid. */
  remove(handle: WindowEntry): void {
    const entry = handle as Entry;
    if (!entry.live || entry.started) return;
    this.#unwait(entry);
    entry.live = false;
    this.#requests--;
    this.#tokens -= entry.tokens;
  }

  /** Sets an entry's tokens to what the call really used. Affects later admissions only. */
  adjust(handle: WindowEntry, tokens: number): void {
    const entry = handle as Entry;
    const delta = tokens - entry.tokens;
    entry.tokens = tokens;
    if (entry.started ? entry.bucket?.live !== true : !entry.live) return;
    if (entry.bucket) entry.bucket.tokens += delta;
    this.#tokens += delta;
  }

  /**
   * Moves every waiting entry so that none starts before `until`, all by the same amount: a rigid
   * shift later keeps every window within its limits.
   */
  holdWaiting(until: number): void {
    const waiting = this.#waiting;
    if (waiting.length === 0) return;
    const delay = until - waiting[0]!.at;
    if (!(delay > 0)) return;
    for (const entry of waiting) entry.at += delay;
  }

  /** What the window ending at `now` holds (counting whole buckets at its old edge), and how many calls wait for a later start. */
  usage(now: number): WindowUsage {
    let requests = 0;
    let tokens = 0;
    let queued = 0;
    const buckets = this.#buckets;
    for (let i = this.#head; i < buckets.length; i++) {
      requests += buckets[i]!.requests;
      tokens += buckets[i]!.tokens;
    }
    for (const entry of this.#waiting) {
      if (entry.at <= now) {
        requests++;
        tokens += entry.tokens;
      } else queued++;
    }
    return { requests, tokens, queued };
  }

  /** When a bucket's calls have all left every window: its latest start plus the window. */
  #leaves(bucket: Bucket): number {
    return bucket.last + this.#windowMs;
  }

  #unwait(entry: Entry): void {
    const waiting = this.#waiting;
    const i = waiting[0] === entry ? 0 : waiting.indexOf(entry);
    if (i !== -1) waiting.splice(i, 1);
  }

  /** The live bucket of `index`, made if need be (at the tail, or in order for a late starter). */
  #bucketAt(index: number): Bucket {
    const buckets = this.#buckets;
    const last = buckets[buckets.length - 1];
    if (last && last.live && last.index === index) return last;
    if (!last || !last.live || last.index < index) {
      const bucket: Bucket = { index, requests: 0, tokens: 0, last: -Infinity, live: true };
      buckets.push(bucket);
      return bucket;
    }
    // A call started after a later one (its timer fired late): find its place.
    let lo = this.#head;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid]!.index < index) lo = mid + 1;
      else hi = mid;
    }
    if (lo < buckets.length && buckets[lo]!.index === index) return buckets[lo]!;
    const bucket: Bucket = { index, requests: 0, tokens: 0, last: -Infinity, live: true };
    buckets.splice(lo, 0, bucket);
    return bucket;
  }
}

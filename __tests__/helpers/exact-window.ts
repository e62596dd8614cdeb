/** The limiter's former exact sliding-window log, kept as the oracle of the bucketed window's property test. */
/** One call in the log. `at` is when it starts (in the future while it waits). */
export interface WindowEntry {
  at: number;
  tokens: number;
  /** Its caller has started the request; it will not move any more. */
  started: boolean;
  /** Still in the log (not expired, removed or given up). */
  live: boolean;
}

/** Requests and tokens counted in the window ending now, and what is reserved after now. */
export interface WindowUsage {
  readonly requests: number;
  readonly tokens: number;
  readonly queued: number;
}

/** A sliding-window log with limits on requests and tokens (either may be `Infinity`). */
export class ExactWindowLog {
  readonly #windowMs: number;
  readonly #maxRequests: number;
  readonly #maxTokens: number;
  /** Sorted by `at`; appended at the tail only. Live entries start at `#head`. */
  #entries: WindowEntry[] = [];
  #head = 0;
  #tokens = 0;

  constructor(windowMs: number, maxRequests: number, maxTokens: number) {
    this.#windowMs = windowMs;
    this.#maxRequests = maxRequests;
    this.#maxTokens = maxTokens;
  }

  /** Drops entries that no window ending at `now` or later can contain. */
  prune(now: number): void {
    const horizon = now - this.#windowMs;
    const entries = this.#entries;
    let head = this.#head;
    while (head < entries.length && entries[head]!.at <= horizon) {
      const entry = entries[head++]!;
      entry.live = false;
      this.#tokens -= entry.tokens;
    }
    // Compact now and then, not on every call: the hot path stays O(1).
    if (head > 1024 && head * 2 > entries.length) {
      this.#entries = entries.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  /**
   * The earliest start, at or after `notBefore`, `now` and every entry in the log (so queued
   * callers keep their order), at which one more call of `tokens` fits in the window ending
   * there. `Infinity` when it can never fit.
   */
  earliest(now: number, tokens: number, notBefore: number): number {
    if (tokens > this.#maxTokens || this.#maxRequests < 1) return Infinity;
    const entries = this.#entries;
    const head = this.#head;
    let at = Math.max(now, notBefore, entries.length > head ? entries[entries.length - 1]!.at : -Infinity);
    let requests = entries.length - head;
    let sum = this.#tokens;
    // Drop the oldest entries until the call fits (an empty window always fits); each dropped one
    // must have left the window.
    for (
      let i = head;
      i < entries.length && (requests + 1 > this.#maxRequests || sum + tokens > this.#maxTokens);
      i++
    ) {
      const entry = entries[i]!;
      requests--;
      sum -= entry.tokens;
      at = Math.max(at, entry.at + this.#windowMs);
    }
    return at;
  }

  /** Appends an entry at `at`, which must come from {@link earliest}. */
  add(at: number, tokens: number): WindowEntry {
    const entry: WindowEntry = { at, tokens, started: false, live: true };
    this.#entries.push(entry);
    this.#tokens += tokens;
    return entry;
  }

  /** Takes a waiting entry out (its caller gave up). Removing only lowers counts, so others stay valid. */
  remove(entry: WindowEntry): void {
    if (!entry.live) return;
    const i = this.#entries.indexOf(entry, this.#head);
    if (i !== -1) this.#entries.splice(i, 1);
    entry.live = false;
    this.#tokens -= entry.tokens;
  }

  /** Sets an entry's tokens to what the call really used. Affects later admissions only. */
  adjust(entry: WindowEntry, tokens: number): void {
    if (entry.live) this.#tokens += tokens - entry.tokens;
    entry.tokens = tokens;
  }

  /**
   * Moves every entry not yet started so that none starts before `until`, all by the same
   * amount: a rigid shift later keeps every window within its limits.
   */
  holdWaiting(until: number): void {
    const live = this.#live();
    let first = Infinity;
    for (const e of live) if (!e.started && e.at < first) first = e.at;
    const delay = until - first;
    if (!(delay > 0)) return;
    for (const e of live) if (!e.started) e.at += delay;
    this.#entries = live.sort((a, b) => a.at - b.at);
    this.#head = 0;
  }

  /** What the window ending at `now` holds, and how many calls wait for a later start. */
  usage(now: number): WindowUsage {
    let requests = 0;
    let tokens = 0;
    let queued = 0;
    for (const e of this.#live()) {
      if (e.at <= now) {
        requests++;
        tokens += e.tokens;
      } else queued++;
    }
    return { requests, tokens, queued };
  }

  #live(): WindowEntry[] {
    return this.#head === 0 ? this.#entries : this.#entries.slice(this.#head);
  }
}

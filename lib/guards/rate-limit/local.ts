/**
 * A limiter's admission in this process: the bucketed window log (see `window.ts`), the provider
 * pacing hold, and the queue — a call that does not fit reserves the earliest start at which it
 * does, behind every call already waiting, and sleeps until then, or is refused at once.
 */
import { sleep } from '../../sleep.js';
import { checkNumber } from '../../validate.js';
import type { ResolvedRateLimiterOptions } from './options.js';
import type { Admission, RateLimitCheck, RateLimitTicket, Refuse } from './types.js';
import { BucketedWindow, type WindowEntry } from './window.js';

/** @internal The local window and queue of one limiter. */
export class LocalWindow {
  readonly #log: BucketedWindow;
  readonly #now: () => number;
  readonly #tokenLimited: boolean;
  readonly #refuse: Refuse;
  #holdUntil = -Infinity;

  constructor(options: ResolvedRateLimiterOptions, refuse: Refuse) {
    const { windowMs, requestsPerMinute, tokensPerMinute } = options;
    this.#log = new BucketedWindow(windowMs, requestsPerMinute ?? Infinity, tokensPerMinute ?? Infinity);
    this.#now = options.now;
    this.#tokenLimited = tokensPerMinute !== undefined;
    this.#refuse = refuse;
  }

  /** Tokens counted in the window (as last pruned). */
  get tokens(): number {
    return this.#log.tokens;
  }

  /** The epoch ms until which provider pacing holds every call. */
  get holdUntil(): number {
    return this.#holdUntil;
  }

  /** Whether a call of `tokens` (counted) could start now, and if not how long it would wait. */
  check(tokens: number): RateLimitCheck {
    const now = this.#now();
    this.#log.prune(now);
    const waitMs = Math.max(0, this.#log.earliest(now, tokens, this.#holdUntil) - now);
    return { ok: waitMs === 0, waitMs };
  }

  /** Holds every call until `until`; calls already queued move back by the same amount. */
  hold(until: number): void {
    this.#holdUntil = until;
    this.#log.holdWaiting(until);
  }

  /** What the window ending `now` holds, and the pacing hold left. */
  usage(now: number): { requests: number; tokens: number; queued: number; heldForMs: number } {
    this.#log.prune(now);
    return { ...this.#log.usage(now), heldForMs: Math.max(0, this.#holdUntil - now) };
  }

  /**
   * Reserves a slot for `a`, sleeping for its turn; refuses past `a.maxWait`. A call that fits now
   * gets its ticket at once, not a promise (the usual case costs no microtask); an aborted signal or
   * a refusal throws at once.
   */
  reserve(a: Admission): RateLimitTicket | Promise<RateLimitTicket> {
    const { signal, report } = a;
    if (signal?.aborted) throw signal.reason;
    const now = this.#now();
    this.#log.prune(now);
    const waitMs = this.#log.earliest(now, a.tokens, this.#holdUntil) - now;
    if (waitMs > a.maxWait) {
      report?.(waitMs, true);
      throw this.#refuse(waitMs, a.tokens, a);
    }
    const entry = this.#log.add(now + Math.max(0, waitMs), a.tokens);
    if (waitMs <= 0) return this.#start(entry, now);
    report?.(waitMs, false);
    return this.#wait(entry, now + a.maxWait, a).then(() => this.#start(entry, now));
  }

  #start(entry: WindowEntry, askedAt: number): RateLimitTicket {
    this.#log.start(entry);
    return this.#ticket(entry, this.#now() - askedAt);
  }

  /** Sleeps until the entry's start, which provider pacing may move later; gives up past `giveUpAt`. */
  async #wait(entry: WindowEntry, giveUpAt: number, a: Admission): Promise<void> {
    for (let left = entry.at - this.#now(); left > 0; left = entry.at - this.#now()) {
      if (entry.at > giveUpAt) {
        this.#log.remove(entry);
        a.report?.(left, true);
        throw this.#refuse(left, entry.tokens, a);
      }
      try {
        await sleep(left, a.signal);
      } catch (error) {
        this.#log.remove(entry);
        throw error;
      }
    }
  }

  #ticket(entry: WindowEntry, waitedMs: number): RateLimitTicket {
    const log = this.#log;
    const tokenLimited = this.#tokenLimited;
    return {
      waitedMs,
      reconcile(tokens: number): void {
        checkNumber('tokens', tokens, 0);
        log.adjust(entry, tokenLimited ? tokens : 0);
      },
    };
  }
}

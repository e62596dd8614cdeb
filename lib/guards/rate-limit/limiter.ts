import { brand } from '../../brand.js';
import { randomUUID } from 'node:crypto';
import mitt, { type Emitter } from 'mitt';
import { type CallContext, emit, timeLeft } from '../../context.js';
import { RateLimitedError } from '../../errors/classes.js';
import type { LLMRequest } from '../../llm.js';
import { sleep } from '../../sleep.js';
import type { Provider } from '../../types.js';
import { checkDuration, checkNumber, checkOptionKeys, optionNames } from '../../validate.js';
import { pacingHoldMs } from './headers.js';
import {
  type RateLimiterOptions,
  type ResolvedRateLimiterOptions,
  resolveLimiterOptions,
} from './options.js';
import { estimateTokens as estimateFor } from './estimate.js';
import { BucketedWindow, type WindowEntry } from './window.js';
import { LOCAL, type Local, StoreLink } from '../store/link.js';
import type { SharedWindow, StoreStatusChange } from '../store/types.js';
import { reserveShared } from './shared.js';

/** Events a limiter emits to direct subscribers: with a shared `store`, the store's loss and return. */
export type RateLimiterEvents = { storeStatus: StoreStatusChange };

/** The answer of {@link RateLimiter.canProceed}. `waitMs` is `Infinity` when the call can never fit. */
export interface RateLimitCheck {
  readonly ok: boolean;
  readonly waitMs: number;
}

/** A granted slot: how long it waited, and a way to replace its token estimate with the real count. */
export interface RateLimitTicket {
  readonly waitedMs: number;
  /** Sets the tokens this call counts for (e.g. `usage.totalTokens`); later admissions see it. */
  reconcile(tokens: number): void;
}

/** Options of {@link RateLimiter.acquire}. */
export interface AcquireOptions {
  /** Aborting it leaves the queue at once: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Overrides the limiter's `maxWait` for this call. */
  readonly maxWait?: number;
}

const ACQUIRE_KEYS = optionNames<AcquireOptions>({ signal: true, maxWait: true });

/** A limiter's state for reports (`healthCheck`, metrics): plain, JSON-serialisable. */
export interface RateLimiterSnapshot {
  readonly name: string;
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly windowMs: number;
  /** Calls started in the window ending now. */
  readonly requestsInWindow: number;
  readonly tokensInWindow: number;
  /** Headroom in the window ending now (`undefined` for a limit not set). */
  readonly remainingRequests: number | undefined;
  readonly remainingTokens: number | undefined;
  /** Calls waiting for their turn. */
  readonly queued: number;
  /** How much longer the provider's headers hold every call, in ms. */
  readonly heldForMs: number;
  /** With a shared `store`: its name (`'redis'`). `describeState()` then counts only the calls this process ran on its local state; `fetchState()` reads the shared window. */
  readonly store?: string;
  /** With a shared `store`: whether it is out of reach, so that calls follow `onStoreError`. */
  readonly degraded?: boolean;
}

/** Who is calling, for errors and events. */
interface Caller {
  readonly provider: Provider;
  readonly model: string;
}

type Report = (waitMs: number, rejected: boolean) => void;

/**
 * A local rate limiter on requests and tokens per window, shared by every LLM it is passed to.
 *
 * **Algorithm: a sliding window in 100 buckets** (not a token bucket). Each call is counted in
 * the bucket (1/100 of `windowMs`) of its start; a call starts only when, in the window of
 * `windowMs` ending at its start, the calls and tokens counted (whole buckets at the window's old
 * edge) plus its own stay within the limits. So *every* interval of `windowMs` holds at most
 * `requestsPerMinute` starts and `tokensPerMinute` estimated tokens — a token bucket would let a
 * full bucket plus a window's refill through in one window — and memory stays flat however many
 * calls a window sees. A call may wait up to one bucket longer than an exact log would make it.
 *
 * **Queue.** A call that does not fit reserves the earliest start at which it does, behind every
 * call already waiting (first come, first served), and sleeps until then. If that wait exceeds
 * `maxWait` (or the call's deadline) it throws `RateLimitedError` at once, sending nothing.
 * Aborting the call's signal leaves the queue at once. Tokens are estimated before the call and
 * replaced by the reply's `usage` after it (a failed call keeps its estimate).
 *
 * **Provider pacing.** When a provider's rate-limit headers say a limit is used up, every call
 * is held until it resets (calls already queued move back by the same amount); a call that would
 * then outwait `maxWait` is refused when its turn was due. Put the limiter next to the model whose
 * quota it mirrors: around a fallback chain it follows its primary's headers only.
 *
 * **Shared across processes.** With a `store` (`RedisStateStore`), the log lives in the store and
 * every limiter of the same `name` on it, in any process, draws on the one window: each reservation
 * is one atomic step by the store's clock, and the caller sleeps the wait it is given. Use
 * `await check()` there instead of `canProceed()`. When the store cannot answer, `onStoreError`
 * decides: the local log (this process alone) or `StoreUnavailableError`.
 *
 * @example
 * const limiter = new RateLimiter({ requestsPerMinute: 60, tokensPerMinute: 90_000, maxWait: 5_000 });
 * const a = new OpenAILLM('gpt-4o').withRateLimit(limiter);
 * const b = new OpenAILLM('gpt-4o', { baseURL: other }).withRateLimit(limiter); // one shared quota
 * limiter.canProceed(2_000); // { ok: true, waitMs: 0 }
 */
export class RateLimiter {
  readonly name: string;
  readonly options: ResolvedRateLimiterOptions;
  readonly #log: BucketedWindow;
  #holdUntil = -Infinity;
  readonly #shared: SharedWindow | undefined;
  readonly #link: StoreLink | undefined;
  readonly #events: Emitter<RateLimiterEvents> = mitt<RateLimiterEvents>();
  readonly #idPrefix: string = '';
  /** How a refusal names the limit it hit, made once (not per call). */
  readonly #maxWaitText: string;
  #ids = 0;

  constructor(options: RateLimiterOptions) {
    this.options = resolveLimiterOptions(options);
    const { windowMs, requestsPerMinute, tokensPerMinute, store, onStoreError } = this.options;
    this.name = this.options.name;
    this.#maxWaitText = `maxWait (${this.options.maxWait} ms)`;
    this.#log = new BucketedWindow(windowMs, requestsPerMinute ?? Infinity, tokensPerMinute ?? Infinity);
    if (store) {
      this.#shared = store.window(this.name, {
        windowMs,
        maxRequests: requestsPerMinute,
        maxTokens: tokensPerMinute,
      });
      this.#link = new StoreLink(store, {
        name: this.name,
        kind: 'rate_limiter',
        policy: onStoreError,
        notify: (change) => this.#notify(change),
      });
      this.#idPrefix = `${randomUUID().slice(0, 13)}:`;
    }
    Object.freeze(this);
  }

  /** Subscribes to the shared store's loss and return (`'storeStatus'`). */
  on<K extends keyof RateLimiterEvents>(type: K, handler: (event: RateLimiterEvents[K]) => void): void {
    this.#events.on(type, handler);
  }

  /** Unsubscribes a handler given to {@link on}. */
  off<K extends keyof RateLimiterEvents>(type: K, handler: (event: RateLimiterEvents[K]) => void): void {
    this.#events.off(type, handler);
  }

  /**
   * Whether a call of `estimatedTokens` could start now, and if not how long it would wait. Reserves
   * nothing. Synchronous, so in-memory only: a limiter with a shared `store` throws a `TypeError`
   * pointing to {@link check}.
   */
  canProceed(estimatedTokens = 0): RateLimitCheck {
    checkNumber('estimatedTokens', estimatedTokens, 0);
    if (this.#link) {
      throw new TypeError(
        `Rate limiter "${this.name}" shares its window in a store: use \`await limiter.check(tokens)\`, not canProceed()`,
      );
    }
    return this.#localCheck(estimatedTokens);
  }

  /**
   * {@link canProceed} for every limiter, a shared one included (which asks its store; under
   * `onStoreError: 'fail-closed'` it rejects with `StoreUnavailableError` when the store cannot answer).
   *
   * @example
   * const { ok, waitMs } = await limiter.check(2_000);
   */
  check(estimatedTokens = 0): Promise<RateLimitCheck> {
    checkNumber('estimatedTokens', estimatedTokens, 0);
    const link = this.#link;
    const shared = this.#shared;
    if (!link || !shared) return Promise.resolve(this.#localCheck(estimatedTokens));
    const tokens = this.#counted(estimatedTokens);
    return link
      .call(() => shared.check(tokens), undefined, undefined)
      .then((waitMs) =>
        waitMs === LOCAL ? this.#localCheck(estimatedTokens) : { ok: waitMs === 0, waitMs },
      );
  }

  #localCheck(estimatedTokens: number): RateLimitCheck {
    const now = this.options.now();
    this.#log.prune(now);
    const waitMs = Math.max(
      0,
      this.#log.earliest(now, this.#counted(estimatedTokens), this.#holdUntil) - now,
    );
    return { ok: waitMs === 0, waitMs };
  }

  /**
   * Waits for room for one call of `estimatedTokens` and reserves it: for calls made outside an
   * LLM chain. Rejects with `RateLimitedError` when the wait would exceed `maxWait`.
   *
   * @example
   * const ticket = await limiter.acquire(1_500, { signal });
   * const res = await client.chat.completions.create(…);
   * ticket.reconcile(res.usage?.total_tokens ?? 1_500);
   */
  acquire(estimatedTokens = 0, options: AcquireOptions = {}): Promise<RateLimitTicket> {
    checkNumber('estimatedTokens', estimatedTokens, 0);
    checkOptionKeys('`acquire` options', options, ACQUIRE_KEYS);
    checkDuration('maxWait', options.maxWait);
    const maxWait = options.maxWait ?? this.options.maxWait;
    return this.#admit(
      estimatedTokens,
      maxWait,
      `maxWait (${maxWait} ms)`,
      options.signal,
      undefined,
      undefined,
      undefined,
    );
  }

  /** Adopts a provider's pacing from its response headers (`x-ratelimit-*`, `anthropic-ratelimit-*`). */
  observeHeaders(provider: Provider, headers: Headers): void {
    if (!this.options.respectProviderHeaders) return;
    const now = this.options.now();
    const hold = pacingHoldMs(provider, headers, now);
    if (!(hold > 0) || now + hold <= this.#holdUntil) return;
    this.#holdUntil = now + hold;
    this.#log.holdWaiting(this.#holdUntil);
    const shared = this.#shared;
    if (shared) this.#link?.send(() => shared.hold(hold), undefined);
  }

  /** The limiter's state for reports. */
  describeState(): RateLimiterSnapshot {
    const now = this.options.now();
    this.#log.prune(now);
    const { requests, tokens, queued } = this.#log.usage(now);
    const { requestsPerMinute, tokensPerMinute, windowMs } = this.options;
    return {
      name: this.name,
      requestsPerMinute,
      tokensPerMinute,
      windowMs,
      requestsInWindow: requests,
      tokensInWindow: tokens,
      remainingRequests:
        requestsPerMinute === undefined ? undefined : Math.max(0, requestsPerMinute - requests),
      remainingTokens: tokensPerMinute === undefined ? undefined : Math.max(0, tokensPerMinute - tokens),
      queued,
      heldForMs: Math.max(0, this.#holdUntil - now),
      ...(this.#link ? { store: this.#link.store.name, degraded: this.#link.degraded } : {}),
    };
  }

  /**
   * The limiter's state for reports, read from its shared `store` (the whole window, every process
   * together); as {@link describeState} without one, or when the store cannot answer.
   */
  async fetchState(): Promise<RateLimiterSnapshot> {
    const local = this.describeState();
    const link = this.#link;
    const shared = this.#shared;
    if (!link || !shared) return local;
    const usage = await link.call(() => shared.usage(), undefined, undefined).catch((): Local => LOCAL);
    if (usage === LOCAL) return local;
    const { requestsPerMinute, tokensPerMinute } = this.options;
    return {
      ...local,
      requestsInWindow: usage.requests,
      tokensInWindow: usage.tokens,
      remainingRequests:
        requestsPerMinute === undefined ? undefined : Math.max(0, requestsPerMinute - usage.requests),
      remainingTokens:
        tokensPerMinute === undefined ? undefined : Math.max(0, tokensPerMinute - usage.tokens),
      queued: usage.queued,
      heldForMs: usage.heldForMs,
      degraded: link.degraded,
    };
  }

  /** @internal The tokens a call is estimated to use (0 when tokens are not limited). */
  _estimate(request: LLMRequest, who: Caller): number | Promise<number> {
    const { tokensPerMinute, estimateTokens, expectedOutputTokens } = this.options;
    if (tokensPerMinute === undefined) return 0;
    if (!estimateTokens) {
      // Room below half the limit for a cheap upper bound (see estimate.ts); a shared window's
      // fill is not known here, so it always counts exactly.
      const room = this.#link ? -Infinity : tokensPerMinute / 2 - this.#log.tokens;
      return estimateFor(request, who.provider, expectedOutputTokens, room);
    }
    return Promise.resolve(estimateTokens({ request, provider: who.provider, model: who.model })).then(
      (n) => {
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
          throw new RangeError(`\`estimateTokens\` must return a finite number ≥ 0, got ${String(n)}`);
        }
        return n;
      },
    );
  }

  /** @internal Reserves a slot for one call of a chain, bounded by `maxWait` and the call's deadline. */
  _acquire(tokens: number, ctx: CallContext, who: Caller): Promise<RateLimitTicket> {
    const { maxWait } = this.options;
    const left = Math.max(0, timeLeft(ctx));
    const limit =
      left < maxWait ? `the ${Math.floor(left)} ms left before the call's deadline` : this.#maxWaitText;
    const report: Report | undefined =
      ctx.buses.length === 0
        ? undefined
        : (waitMs, rejected) => emit(ctx, 'rateLimited', { waitMs, rejected, model: who.model });
    return this.#admit(tokens, Math.min(maxWait, left), limit, ctx.signal, who, report, ctx);
  }

  /** Reserves in the shared store when there is one, else in the local log. */
  #admit(
    tokens: number,
    maxWait: number,
    limit: string,
    signal: AbortSignal | undefined,
    who: Caller | undefined,
    report: Report | undefined,
    ctx: CallContext | undefined,
  ): Promise<RateLimitTicket> {
    if (this.#link) return this.#reserveShared(this.#link, tokens, maxWait, limit, signal, who, report, ctx);
    return this.#reserve(tokens, maxWait, limit, signal, who, report);
  }

  /** {@link #reserve} in the shared store (see `shared.ts`); the local log when it fails open. */
  #reserveShared(
    link: StoreLink,
    tokens: number,
    maxWait: number,
    limit: string,
    signal: AbortSignal | undefined,
    who: Caller | undefined,
    report: Report | undefined,
    ctx: CallContext | undefined,
  ): Promise<RateLimitTicket> {
    const counted = this.#counted(tokens);
    return reserveShared({
      link,
      shared: this.#shared!,
      id: `${this.#idPrefix}${++this.#ids}`,
      tokens: counted,
      tokenLimited: this.options.tokensPerMinute !== undefined,
      maxWait,
      signal,
      ctx,
      who,
      report,
      now: this.options.now,
      refuse: (waitMs) => this.#refusal(waitMs, limit, counted, who),
      local: () => this.#reserve(tokens, maxWait, limit, signal, who, report),
    });
  }

  #notify(change: StoreStatusChange): boolean {
    const heard = (this.#events.all.get('storeStatus')?.length ?? 0) > 0;
    try {
      this.#events.emit('storeStatus', change);
    } catch (error) {
      console.warn(
        `llm-resilience: a storeStatus handler of rate limiter "${this.name}" threw; ignored.`,
        error,
      );
    }
    return heard;
  }

  async #reserve(
    tokens: number,
    maxWait: number,
    limit: string,
    signal: AbortSignal | undefined,
    who: Caller | undefined,
    report: Report | undefined,
  ): Promise<RateLimitTicket> {
    if (signal?.aborted) throw signal.reason;
    const counted = this.#counted(tokens);
    const now = this.options.now();
    this.#log.prune(now);
    const waitMs = this.#log.earliest(now, counted, this.#holdUntil) - now;
    if (waitMs > maxWait) {
      report?.(waitMs, true);
      throw this.#refusal(waitMs, limit, counted, who);
    }
    const entry = this.#log.add(now + Math.max(0, waitMs), counted);
    if (waitMs > 0) {
      report?.(waitMs, false);
      await this.#wait(entry, now + maxWait, limit, signal, who, report);
    }
    this.#log.start(entry);
    return this.#ticket(entry, this.options.now() - now);
  }

  /** Sleeps until the entry's start, which provider pacing may move later; gives up past `giveUpAt`. */
  async #wait(
    entry: WindowEntry,
    giveUpAt: number,
    limit: string,
    signal: AbortSignal | undefined,
    who: Caller | undefined,
    report: Report | undefined,
  ): Promise<void> {
    for (let left = entry.at - this.options.now(); left > 0; left = entry.at - this.options.now()) {
      if (entry.at > giveUpAt) {
        this.#log.remove(entry);
        report?.(left, true);
        throw this.#refusal(left, limit, entry.tokens, who);
      }
      try {
        await sleep(left, signal);
      } catch (error) {
        this.#log.remove(entry);
        throw error;
      }
    }
  }

  #ticket(entry: WindowEntry, waitedMs: number): RateLimitTicket {
    const log = this.#log;
    const counted = (tokens: number): number => this.#counted(tokens);
    return {
      waitedMs,
      reconcile(tokens: number): void {
        checkNumber('tokens', tokens, 0);
        log.adjust(entry, counted(tokens));
      },
    };
  }

  /** Tokens matter only with a token limit; without one every call counts 0. */
  #counted(tokens: number): number {
    return this.options.tokensPerMinute === undefined ? 0 : tokens;
  }

  #refusal(waitMs: number, limit: string, tokens: number, who: Caller | undefined): RateLimitedError {
    const context = { provider: who?.provider, model: who?.model };
    if (!Number.isFinite(waitMs)) {
      return new RateLimitedError(
        `Rate limiter "${this.name}": a call of ${tokens} tokens can never fit in tokensPerMinute (${this.options.tokensPerMinute})`,
        context,
      );
    }
    const retryAfterMs = Math.ceil(waitMs);
    return new RateLimitedError(
      `Rate limiter "${this.name}": the call would wait ${retryAfterMs} ms, longer than ${limit}`,
      { ...context, retryAfterMs },
    );
  }
}

// Shared on purpose between LLMs: `instanceof RateLimiter` holds across copies of the package.
brand(RateLimiter, 'RateLimiter');

import { brand } from '../../brand.js';
import { type CallContext, emit, timeLeft } from '../../context.js';
import { RateLimitedError } from '../../errors/classes.js';
import type { LLMRequest } from '../../llm.js';
import type { Provider } from '../../types.js';
import { checkDuration, checkNumber, checkOptionKeys, optionNames } from '../../validate.js';
import { GuardEvents } from '../events.js';
import { LOCAL } from '../store/link.js';
import { estimateTokens as estimateFor } from './estimate.js';
import type { LimiterEvents, RateLimiterEvents } from './events.js';
import { pacingHoldMs } from './headers.js';
import { LocalWindow } from './local.js';
import {
  type RateLimiterOptions,
  type ResolvedRateLimiterOptions,
  resolveLimiterOptions,
} from './options.js';
import { SharedLimiter } from './shared.js';
import { type RateLimiterSnapshot, remaining, withSharedUsage } from './snapshot.js';
import type { AcquireOptions, Admission, Caller, RateLimitCheck, RateLimitTicket, Report } from './types.js';

const ACQUIRE_KEYS = optionNames<AcquireOptions>({ signal: true, maxWait: true });

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
  readonly #local: LocalWindow;
  readonly #shared: SharedLimiter | undefined;
  readonly #events: LimiterEvents;
  /** How a refusal names the limit it hit, made once (not per call). */
  readonly #maxWaitText: string;

  constructor(options: RateLimiterOptions) {
    this.options = resolveLimiterOptions(options);
    this.name = this.options.name;
    this.#maxWaitText = `maxWait (${this.options.maxWait} ms)`;
    this.#events = new GuardEvents(`rate limiter "${this.name}"`);
    const refuse = (waitMs: number, tokens: number, a: Admission): RateLimitedError =>
      this.#refusal(waitMs, tokens, a);
    this.#local = new LocalWindow(this.options, refuse);
    const { store } = this.options;
    if (store) {
      this.#shared = new SharedLimiter({
        store,
        name: this.name,
        options: this.options,
        events: this.#events,
        refuse,
      });
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
    if (this.#shared) {
      throw new TypeError(
        `Rate limiter "${this.name}" shares its window in a store: use \`await limiter.check(tokens)\`, not canProceed()`,
      );
    }
    return this.#local.check(this.#counted(estimatedTokens));
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
    const tokens = this.#counted(estimatedTokens);
    const shared = this.#shared;
    if (!shared) return Promise.resolve(this.#local.check(tokens));
    return shared
      .check(tokens)
      .then((waitMs) => (waitMs === LOCAL ? this.#local.check(tokens) : { ok: waitMs === 0, waitMs }));
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
    return this.#admitLater({
      tokens: this.#counted(estimatedTokens),
      maxWait,
      limit: `maxWait (${maxWait} ms)`,
      signal: options.signal,
      who: undefined,
      report: undefined,
      ctx: undefined,
    });
  }

  /** Adopts a provider's pacing from its response headers (`x-ratelimit-*`, `anthropic-ratelimit-*`). */
  observeHeaders(provider: Provider, headers: Headers): void {
    if (!this.options.respectProviderHeaders) return;
    const now = this.options.now();
    const hold = pacingHoldMs(provider, headers, now);
    if (!(hold > 0) || now + hold <= this.#local.holdUntil) return;
    this.#local.hold(now + hold);
    this.#shared?.hold(hold);
  }

  /** The limiter's state for reports. */
  describeState(): RateLimiterSnapshot {
    const { requests, tokens, queued, heldForMs } = this.#local.usage(this.options.now());
    const { requestsPerMinute, tokensPerMinute, windowMs } = this.options;
    const link = this.#shared?.link;
    return {
      name: this.name,
      requestsPerMinute,
      tokensPerMinute,
      windowMs,
      requestsInWindow: requests,
      tokensInWindow: tokens,
      remainingRequests: remaining(requestsPerMinute, requests),
      remainingTokens: remaining(tokensPerMinute, tokens),
      queued,
      heldForMs,
      ...(link ? { store: link.store.name, degraded: link.degraded } : {}),
    };
  }

  /**
   * The limiter's state for reports, read from its shared `store` (the whole window, every process
   * together); as {@link describeState} without one, or when the store cannot answer.
   */
  async fetchState(): Promise<RateLimiterSnapshot> {
    const local = this.describeState();
    const shared = this.#shared;
    if (!shared) return local;
    const usage = await shared.usage();
    return usage === LOCAL ? local : withSharedUsage(local, usage, shared.link.degraded);
  }

  /** @internal The tokens a call is estimated to use (0 when tokens are not limited). */
  _estimate(request: LLMRequest, who: Caller): number | Promise<number> {
    const { tokensPerMinute, estimateTokens, expectedOutputTokens } = this.options;
    if (tokensPerMinute === undefined) return 0;
    if (!estimateTokens) {
      // Room below half the limit for a cheap upper bound (see estimate.ts); a shared window's
      // fill is not known here, so it always counts exactly.
      const room = this.#shared ? -Infinity : tokensPerMinute / 2 - this.#local.tokens;
      return estimateFor(request, { provider: who.provider, expectedOutputTokens, room });
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

  /**
   * @internal Reserves a slot for one call of a chain, bounded by `maxWait` and the call's deadline:
   * the ticket at once when the local window has room, else a promise; a refusal may throw at once.
   */
  _acquire(tokens: number, ctx: CallContext, who: Caller): RateLimitTicket | Promise<RateLimitTicket> {
    const { maxWait } = this.options;
    const left = Math.max(0, timeLeft(ctx));
    const limit =
      left < maxWait ? `the ${Math.floor(left)} ms left before the call's deadline` : this.#maxWaitText;
    const report: Report | undefined =
      ctx.buses.length === 0
        ? undefined
        : (waitMs, rejected) => emit(ctx, 'rateLimited', { waitMs, rejected, model: who.model });
    return this.#admit({
      tokens: this.#counted(tokens),
      maxWait: Math.min(maxWait, left),
      limit,
      signal: ctx.signal,
      who,
      report,
      ctx,
    });
  }

  /** Reserves in the shared store when there is one (the local window when it fails open), else locally. */
  #admit(a: Admission): RateLimitTicket | Promise<RateLimitTicket> {
    if (this.#shared) return this.#shared.reserve(a, () => this.#local.reserve(a));
    return this.#local.reserve(a);
  }

  /** {@link #admit} as a promise always: what `acquire()` promises (a refusal rejects, never throws). */
  #admitLater(a: Admission): Promise<RateLimitTicket> {
    try {
      return Promise.resolve(this.#admit(a));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Tokens matter only with a token limit; without one every call counts 0. */
  #counted(tokens: number): number {
    return this.options.tokensPerMinute === undefined ? 0 : tokens;
  }

  #refusal(waitMs: number, tokens: number, { limit, who }: Admission): RateLimitedError {
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

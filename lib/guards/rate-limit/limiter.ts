import { type CallContext, emit, timeLeft } from '../../context.js';
import { RateLimitedError } from '../../errors/classes.js';
import type { LLMRequest } from '../../llm.js';
import { sleep } from '../../sleep.js';
import type { Provider } from '../../types.js';
import { checkDuration, checkNumber } from '../../validate.js';
import { pacingHoldMs } from './headers.js';
import {
  type RateLimiterOptions,
  type ResolvedRateLimiterOptions,
  resolveLimiterOptions,
} from './options.js';
import { estimateRequestTokens } from './tokens.js';
import { SlidingWindowLog, type WindowEntry } from './window.js';

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
 * **Algorithm: sliding-window log** (not a token bucket). Each call is logged with its start
 * time and tokens; a call starts only when, in the window of `windowMs` ending at its start,
 * the calls and tokens logged plus its own stay within the limits. So *every* interval of
 * `windowMs` holds at most `requestsPerMinute` starts and `tokensPerMinute` estimated tokens —
 * a token bucket would let a full bucket plus a window's refill through in one window.
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
 * @example
 * const limiter = new RateLimiter({ requestsPerMinute: 60, tokensPerMinute: 90_000, maxWait: 5_000 });
 * const a = new OpenAILLM('gpt-4o').withRateLimit(limiter);
 * const b = new OpenAILLM('gpt-4o', { baseURL: other }).withRateLimit(limiter); // one shared quota
 * limiter.canProceed(2_000); // { ok: true, waitMs: 0 }
 */
export class RateLimiter {
  readonly name: string;
  readonly options: ResolvedRateLimiterOptions;
  readonly #log: SlidingWindowLog;
  #holdUntil = -Infinity;

  constructor(options: RateLimiterOptions) {
    this.options = resolveLimiterOptions(options);
    const { windowMs, requestsPerMinute, tokensPerMinute } = this.options;
    this.name = this.options.name;
    this.#log = new SlidingWindowLog(windowMs, requestsPerMinute ?? Infinity, tokensPerMinute ?? Infinity);
    Object.freeze(this);
  }

  /** Whether a call of `estimatedTokens` could start now, and if not how long it would wait. Reserves nothing. */
  canProceed(estimatedTokens = 0): RateLimitCheck {
    checkNumber('estimatedTokens', estimatedTokens, 0);
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
    checkDuration('maxWait', options.maxWait);
    const maxWait = options.maxWait ?? this.options.maxWait;
    return this.#reserve(
      estimatedTokens,
      maxWait,
      `maxWait (${maxWait} ms)`,
      options.signal,
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
    };
  }

  /** @internal The tokens a call is estimated to use (0 when tokens are not limited). */
  _estimate(request: LLMRequest, who: Caller): number | Promise<number> {
    const { tokensPerMinute, estimateTokens, expectedOutputTokens } = this.options;
    if (tokensPerMinute === undefined) return 0;
    if (!estimateTokens) return estimateRequestTokens(request, who.provider, expectedOutputTokens);
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
      left < maxWait
        ? `the ${Math.floor(left)} ms left before the call's deadline`
        : `maxWait (${maxWait} ms)`;
    const report: Report | undefined =
      ctx.buses.length === 0
        ? undefined
        : (waitMs, rejected) => emit(ctx, 'rateLimited', { waitMs, rejected, model: who.model });
    return this.#reserve(tokens, Math.min(maxWait, left), limit, ctx.signal, who, report);
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
    entry.started = true;
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

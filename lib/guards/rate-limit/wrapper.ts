import type { CallContext } from '../../context.js';
import { describeValue, type LLM, type LLMRequest, WrapperLLM } from '../../llm.js';
import type { Provider, Reply, StreamChunk } from '../../types.js';
import { type RateLimitTicket, RateLimiter } from './limiter.js';
import type { RateLimiterOptions } from './options.js';

/**
 * `withRateLimit`'s wrapper: takes a slot from its limiter before each call (waiting if need be),
 * listens to the provider's rate-limit headers during it, and reconciles the token estimate
 * with the reply's `usage` after it. Inside `withRetry`, every attempt takes a slot; outside,
 * the whole call takes one.
 */
export class RateLimitLLM extends WrapperLLM {
  readonly limiter: RateLimiter;
  /** Follows only the headers of the provider this wrapper fronts. */
  readonly #onHeaders = (provider: Provider, headers: Headers): void => {
    if (provider === this.provider) this.limiter.observeHeaders(provider, headers);
  };

  constructor(inner: LLM, limiter: RateLimiter | RateLimiterOptions) {
    super(inner);
    if (limiter instanceof RateLimiter) this.limiter = limiter;
    else if (typeof limiter === 'object' && limiter !== null) this.limiter = new RateLimiter(limiter);
    else
      throw new TypeError(
        `withRateLimit takes a RateLimiter or RateLimiterOptions, got ${describeValue(limiter)}`,
      );
    Object.freeze(this);
  }

  describe(): string {
    return `ratelimit(${this.inner.describe()})`;
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const ticket = await this.#admit(request, ctx);
    const reply = await this.inner._ask(request, this.#listening(ctx));
    reconcile(ticket, reply);
    return reply;
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const ticket = await this.#admit(request, ctx);
    const reply = yield* this.inner._stream(request, this.#listening(ctx));
    reconcile(ticket, reply);
    return reply;
  }

  async #admit(request: LLMRequest, ctx: CallContext): Promise<RateLimitTicket> {
    const tokens = await this.limiter._estimate(request, this);
    return this.limiter._acquire(tokens, ctx, this);
  }

  /** The context for the inner call, listening to headers (after any outer listener) when the limiter wants them. */
  #listening(ctx: CallContext): CallContext {
    if (!this.limiter.options.respectProviderHeaders) return ctx;
    const outer = ctx.onHeaders;
    const mine = this.#onHeaders;
    return {
      ...ctx,
      onHeaders: outer
        ? (provider, headers) => {
            outer(provider, headers);
            mine(provider, headers);
          }
        : mine,
    };
  }
}

/** A reply without usage (some OpenAI-compatible servers send none) keeps its estimate. */
function reconcile(ticket: RateLimitTicket, reply: Reply): void {
  if (reply.usage.totalTokens > 0) ticket.reconcile(reply.usage.totalTokens);
}

import type { CallContext } from '../../context.js';
import type { LLM } from '../../llm.js';
import { BUILT_IN, type Outcome, settleAsk, settleStream } from '../../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../../middleware/types.js';
import type { Reply, StreamChunk } from '../../types.js';
import { describeValue } from '../../validate.js';
import { type RateLimitTicket, RateLimiter } from './limiter.js';
import type { RateLimiterOptions } from './options.js';

type Next<T> = (request: LLMRequest, ctx?: CallContext) => T;

/**
 * `rateLimit(limiter | options)`, the middleware `withRateLimit` adds: takes a slot from its
 * limiter before each call (waiting if need be), listens to the provider's rate-limit headers
 * during it, and reconciles the token estimate with the reply's `usage` after it. Inside a
 * retry, every attempt takes a slot; outside, the whole call takes one.
 *
 * @example
 * const quota = new RateLimiter({ requestsPerMinute: 60 });
 * a.use(rateLimit(quota)); b.use(rateLimit(quota)); // = a.withRateLimit(quota) …
 */
export function rateLimit(limiter: RateLimiter | RateLimiterOptions): RateLimitMiddleware {
  if (limiter instanceof RateLimiter) return new RateLimitMiddleware(limiter);
  if (typeof limiter === 'object' && limiter !== null)
    return new RateLimitMiddleware(new RateLimiter(limiter));
  throw new TypeError(
    `withRateLimit takes a RateLimiter or RateLimiterOptions, got ${describeValue(limiter)}`,
  );
}

/** The middleware `rateLimit()` makes; `limiter` is its (possibly shared) quota. */
export class RateLimitMiddleware implements LLMMiddleware {
  readonly name = 'ratelimit';
  readonly limiter: RateLimiter;
  readonly guards: readonly RateLimiter[];
  /** @internal */
  readonly [BUILT_IN] = true;

  constructor(limiter: RateLimiter) {
    this.limiter = limiter;
    this.guards = Object.freeze([limiter]);
    Object.freeze(this);
  }

  /** A call may first wait in the queue, up to `maxWait`. */
  explain(inner: ExplainNode) {
    const { maxWait } = this.limiter.options;
    return {
      maxRequests: inner.maxRequests,
      worstCaseMs: inner.worstCaseMs + maxWait,
      ...(inner.reason === undefined ? {} : { reason: inner.reason }),
      formula: `queue ≤ ${maxWait} ms + ${inner.worstCaseMs} ms`,
      children: [inner],
    };
  }

  async wrapAsk(
    request: LLMRequest,
    next: Next<Promise<Reply>>,
    ctx: CallContext,
    inner: LLM,
  ): Promise<Reply> {
    const ticket = await this.#admit(request, ctx, inner);
    return settleAsk(next(request, this.#listening(ctx, inner)), ctx, (outcome) =>
      reconcile(ticket, outcome),
    );
  }

  async *wrapStream(
    request: LLMRequest,
    next: Next<AsyncGenerator<StreamChunk, Reply, undefined>>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const ticket = await this.#admit(request, ctx, inner);
    const chunks = next(request, this.#listening(ctx, inner));
    return yield* settleStream(chunks, ctx, (outcome) => reconcile(ticket, outcome));
  }

  async #admit(request: LLMRequest, ctx: CallContext, inner: LLM): Promise<RateLimitTicket> {
    const tokens = await this.limiter._estimate(request, inner);
    return this.limiter._acquire(tokens, ctx, inner);
  }

  /** The call for the inner LLM, listening to its provider's headers when the limiter wants them. */
  #listening(ctx: CallContext, inner: LLM): CallContext {
    if (!this.limiter.options.respectProviderHeaders) return ctx;
    const { limiter } = this;
    return ctx.withHeaders((provider, headers) => {
      if (provider === inner.provider) limiter.observeHeaders(provider, headers);
    });
  }
}

/** A reply without usage (some OpenAI-compatible servers send none) keeps its estimate. */
function reconcile(ticket: RateLimitTicket, outcome: Outcome): void {
  if (outcome.type === 'success' && outcome.reply.usage.totalTokens > 0)
    ticket.reconcile(outcome.reply.usage.totalTokens);
}

import type { CallContext } from '../../context.js';
import type { LLM } from '../../llm.js';
import { LayerMiddleware, type Outcome } from '../../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../../middleware/types.js';
import { describeValue } from '../../validate.js';
import { RateLimiter } from './limiter.js';
import type { RateLimitTicket } from './types.js';
import type { RateLimiterOptions } from './options.js';

/** An admitted call: its ticket, and the LLM whose provider's headers the limiter follows. */
interface Admitted {
  readonly ticket: RateLimitTicket;
  readonly inner: LLM;
}

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
export class RateLimitMiddleware extends LayerMiddleware<Admitted> implements LLMMiddleware {
  readonly name = 'ratelimit';
  readonly limiter: RateLimiter;
  readonly guards: readonly RateLimiter[];

  constructor(limiter: RateLimiter) {
    super();
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

  /**
   * @internal Takes a slot (waiting if need be); the ticket is reconciled with the reply's usage.
   * Admitted at once when the window has room: no promise then.
   */
  _enter(request: LLMRequest, ctx: CallContext, inner: LLM): Admitted | Promise<Admitted> {
    // Counted as the provider will send it: with its constructor `system` and default tools.
    const tokens = this.limiter._estimate(inner._withDefaults(request), inner);
    if (tokens instanceof Promise) return tokens.then((n) => this.#acquire(n, ctx, inner));
    return this.#acquire(tokens, ctx, inner);
  }

  #acquire(tokens: number, ctx: CallContext, inner: LLM): Admitted | Promise<Admitted> {
    const ticket = this.limiter._acquire(tokens, ctx, inner);
    if (ticket instanceof Promise) return ticket.then((t) => ({ ticket: t, inner }));
    return { ticket, inner };
  }

  /** @internal The call for the inner LLM, listening to its provider's headers when the limiter wants them. */
  _callFor({ inner }: Admitted, ctx: CallContext): CallContext {
    if (!this.limiter.options.respectProviderHeaders) return ctx;
    const { limiter } = this;
    return ctx.withHeaders((provider, headers) => {
      if (provider === inner.provider) limiter.observeHeaders(provider, headers);
    });
  }

  /** @internal A reply's usage replaces the estimate; a reply without usage (some servers send none) keeps it. */
  _settle({ ticket }: Admitted, outcome: Outcome): void {
    if (outcome.type === 'success' && outcome.reply.usage.totalTokens > 0)
      ticket.reconcile(outcome.reply.usage.totalTokens);
  }
}

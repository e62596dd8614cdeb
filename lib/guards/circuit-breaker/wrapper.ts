import type { CallContext } from '../../context.js';
import { describeValue, type LLM, type LLMRequest, WrapperLLM } from '../../llm.js';
import type { Reply, StreamChunk } from '../../types.js';
import { type BreakerOutcome, CircuitBreaker } from './breaker.js';
import type { CircuitBreakerOptions } from './options.js';

/**
 * `withCircuitBreaker`'s wrapper: asks its breaker before each call, tells it how the call
 * ended. A stream succeeds when it completes and fails when it errors (before or after its
 * first chunk); a consumer that leaves early counts as neither, and frees its probe slot.
 */
export class CircuitBreakerLLM extends WrapperLLM {
  readonly breaker: CircuitBreaker;

  constructor(inner: LLM, breaker?: CircuitBreaker | CircuitBreakerOptions) {
    super(inner);
    if (breaker instanceof CircuitBreaker) this.breaker = breaker;
    else if (breaker === undefined || (typeof breaker === 'object' && breaker !== null))
      this.breaker = new CircuitBreaker({ name: inner.describe(), ...breaker });
    else
      throw new TypeError(
        `withCircuitBreaker takes a CircuitBreaker or CircuitBreakerOptions, got ${describeValue(breaker)}`,
      );
    Object.freeze(this);
  }

  describe(): string {
    return `breaker(${this.inner.describe()})`;
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const entered = this.breaker._enter(ctx, this);
    const permit = entered instanceof Promise ? await entered : entered; // no await with an in-memory state
    let reply: Reply;
    try {
      reply = await this.inner._ask(request, ctx);
    } catch (error) {
      this.breaker._settle(permit, this.breaker._outcomeOf(error, ctx), ctx);
      throw error;
    }
    this.breaker._settle(permit, 'success', ctx);
    return reply;
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const entered = this.breaker._enter(ctx, this);
    const permit = entered instanceof Promise ? await entered : entered;
    let outcome: BreakerOutcome = 'neutral'; // stays so when the consumer leaves early
    try {
      const reply = yield* this.inner._stream(request, ctx);
      outcome = 'success';
      return reply;
    } catch (error) {
      outcome = this.breaker._outcomeOf(error, ctx);
      throw error;
    } finally {
      this.breaker._settle(permit, outcome, ctx);
    }
  }
}

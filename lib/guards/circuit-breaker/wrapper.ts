import type { CallContext } from '../../context.js';
import type { LLM } from '../../llm.js';
import { LayerMiddleware, type Outcome } from '../../middleware/run.js';
import type { LLMMiddleware, LLMRequest } from '../../middleware/types.js';
import { describeValue } from '../../validate.js';
import { CircuitBreaker } from './breaker.js';
import type { BreakerPermit } from './state.js';
import type { CircuitBreakerOptions } from './options.js';

/**
 * `circuitBreaker(breaker | options)`, the middleware `withCircuitBreaker` adds: asks its
 * breaker before each call, tells it how the call ended. A stream succeeds when it completes
 * and fails when it errors (before or after its first chunk); a consumer that leaves early
 * counts as neither, and frees its probe slot. Options make a private breaker, named
 * `defaultName` (what `withCircuitBreaker` passes: the guarded LLM's `describe()`) unless named.
 *
 * @example
 * const shared = new CircuitBreaker({ failureThreshold: 3 });
 * a.use(circuitBreaker(shared)); b.use(circuitBreaker(shared)); // = a.withCircuitBreaker(shared) …
 */
export function circuitBreaker(
  breaker?: CircuitBreaker | CircuitBreakerOptions,
  defaultName?: string,
): CircuitBreakerMiddleware {
  if (breaker instanceof CircuitBreaker) return new CircuitBreakerMiddleware(breaker);
  if (breaker === undefined || (typeof breaker === 'object' && breaker !== null))
    return new CircuitBreakerMiddleware(
      new CircuitBreaker(defaultName === undefined ? { ...breaker } : { name: defaultName, ...breaker }),
    );
  throw new TypeError(
    `withCircuitBreaker takes a CircuitBreaker or CircuitBreakerOptions, got ${describeValue(breaker)}`,
  );
}

/** The middleware `circuitBreaker()` makes; `breaker` is its (possibly shared) circuit. */
export class CircuitBreakerMiddleware extends LayerMiddleware<BreakerPermit> implements LLMMiddleware {
  readonly name = 'breaker';
  readonly breaker: CircuitBreaker;
  readonly guards: readonly CircuitBreaker[];

  constructor(breaker: CircuitBreaker) {
    super();
    this.breaker = breaker;
    this.guards = Object.freeze([breaker]);
    Object.freeze(this);
  }

  /** @internal Admits the call (at once from memory, or once a shared store answers) or throws `CircuitOpenError`. */
  _enter(_request: LLMRequest, ctx: CallContext, inner: LLM): BreakerPermit | Promise<BreakerPermit> {
    return this.breaker._enter(ctx, inner);
  }

  /** @internal */
  _callFor(_permit: BreakerPermit, ctx: CallContext): CallContext {
    return ctx;
  }

  /** @internal Success counts as one; a failure per `countOn` (never after an abort); a cancellation as neither. */
  _settle(permit: BreakerPermit, outcome: Outcome, ctx: CallContext): void {
    const { breaker } = this;
    if (outcome.type === 'success') breaker._settle(permit, 'success', ctx);
    else if (outcome.type === 'failure') breaker._settle(permit, breaker._outcomeOf(outcome.error, ctx), ctx);
    else breaker._settle(permit, 'neutral', ctx);
  }
}

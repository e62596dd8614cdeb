import mitt, { type Emitter } from 'mitt';
import type { Attempt, Provider, Reply } from '../types.js';

/** Payloads of the events a chain emits, by name. */
export type LLMEvents = {
  /** A request ended, successfully or not. */
  attempt: Attempt;
  /** A retry is about to sleep `delayMs` before attempt `attempt + 1`. */
  retry: {
    readonly error: unknown;
    readonly attempt: number;
    readonly delayMs: number;
    readonly model: string;
    readonly provider: Provider;
  };
  /** The chain moves from one LLM to the next. */
  fallback: { readonly error: unknown; readonly from: string; readonly to: string };
  /**
   * `route()` sent a request to `member` (its `describe()`): the strategy's `pick`, an `explore`
   * draw, a `fallback` after a failure, or a `hedge`.
   */
  routed: { readonly member: string; readonly reason: 'pick' | 'explore' | 'fallback' | 'hedge' };
  /** `route()` started a hedge: `to` runs in parallel because `from` had not answered in `afterMs`. */
  hedge: { readonly from: string; readonly to: string; readonly afterMs: number };
  /** A hedge answered first (`winner`); the request it raced was cancelled. */
  hedgeWin: { readonly winner: string };
  /** The call succeeded. */
  success: { readonly reply: Reply };
  /** The call failed. */
  failure: { readonly error: unknown; readonly attempts: readonly Attempt[] };
  /** A user callback (`onRetry`, `onFailure`, `onFallback`) threw or rejected; the call went on. */
  callbackError: { readonly callback: string; readonly error: unknown };
  /** `withCache` answered from its cache: no request was made. `key` is the cache key. */
  cacheHit: { readonly key: string; readonly model: string; readonly provider: Provider };
  /**
   * `withCache` answered with an expired reply (`reply.cached === 'stale'`) because the live call
   * failed with `error` (`staleIfError`). The lookup before it was a `cacheMiss`.
   */
  cacheStale: {
    readonly key: string;
    readonly model: string;
    readonly provider: Provider;
    readonly error: unknown;
  };
  /** `withCache` found nothing stored (or nothing it may reuse) and calls its inner LLM. */
  cacheMiss: { readonly key: string; readonly model: string; readonly provider: Provider };
  /** A circuit breaker changed state (`closed`, `open`, `half_open`); `name` is the breaker's. */
  circuitState: {
    readonly name: string;
    readonly from: 'closed' | 'open' | 'half_open';
    readonly to: 'closed' | 'open' | 'half_open';
  };
  /** The local rate limiter held a call for `waitMs` before sending it, or `rejected` it (`RateLimitedError`). */
  rateLimited: { readonly waitMs: number; readonly rejected: boolean; readonly model: string };
  /**
   * A breaker or limiter that shares its state in a store (`RedisStateStore`) lost it — `degraded`:
   * calls now follow its `onStoreError` policy — or got it back (`recovered`). Once per change,
   * not per call. `guard` is the breaker's or limiter's name; `error` what failed (degraded only).
   */
  storeStatus: {
    readonly guard: string;
    readonly kind: 'circuit_breaker' | 'rate_limiter';
    readonly store: string;
    readonly status: 'degraded' | 'recovered';
    readonly policy: 'fail-open' | 'fail-closed';
    readonly error?: unknown;
  };
};

/**
 * A typed event bus (a `mitt` emitter). Attach it to a chain with `llm.withEvents(bus)`;
 * nothing is emitted, and nothing costs, until one is attached.
 *
 * @example
 * const bus = createEventBus();
 * bus.on('retry', ({ attempt, delayMs }) => log.warn(`retry ${attempt} in ${delayMs} ms`));
 * const llm = new OpenAILLM('gpt-4o').withRetry(3).withEvents(bus);
 */
export type EventBus = Emitter<LLMEvents>;

/** Creates an {@link EventBus}. */
export function createEventBus(): EventBus {
  return mitt<LLMEvents>();
}

import {
  ConnectionError,
  OverloadedError,
  RateLimitError,
  ServerError,
  StreamInterruptedError,
  TimeoutError,
} from '../../errors/classes.js';
import { checkMatchers, type ErrorMatcher } from '../../errors/matchers.js';
import { checkDuration, checkFunction, checkInteger, checkOptionKeys, optionNames } from '../../validate.js';
import { checkStoreOptions, type StateStore, type StoreErrorPolicy } from '../store/types.js';

/** Where a breaker stands: `closed` lets calls through, `open` refuses them, `half_open` lets probes through. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * The errors a breaker counts by default: those that say the provider is in trouble (or out of
 * capacity for us), never those that say the request was wrong.
 *
 * - Counted: `OverloadedError`, `ServerError`, `TimeoutError`, `ConnectionError`,
 *   `StreamInterruptedError`, and `RateLimitError` — a run of 429s means this model cannot serve
 *   us now, and moving traffic to a fallback at once is what a breaker is for (a lone 429 is
 *   the retry layer's business and rarely makes `failureThreshold` in a row).
 * - Not counted: caller errors (`BadRequestError`, `ContextLengthError`, `ContentFilterError`,
 *   `NotFoundError`, `AuthenticationError`, `PermissionDeniedError`), `QuotaExceededError`
 *   (billing: no `recoveryTimeout` cures it, and fallbacks handle each call anyway), another
 *   breaker's `CircuitOpenError`, the local `RateLimitedError`, errors the library did not make,
 *   and every cancellation (the call's signal aborted, by the caller or the deadline).
 *
 * Matched along the `cause` chain, so a `RetryError` or `FallbackError` whose last error is
 * one of these counts once.
 */
export const DEFAULT_COUNT_ON: readonly ErrorMatcher[] = Object.freeze([
  OverloadedError,
  ServerError,
  TimeoutError,
  ConnectionError,
  StreamInterruptedError,
  RateLimitError,
]);

/**
 * Options of a {@link CircuitBreaker} (and of `withCircuitBreaker(options)`). Durations in ms.
 *
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 3, recoveryTimeout: 30_000, halfOpenMaxCalls: 2 });
 */
export interface CircuitBreakerOptions {
  /** Names the breaker in events, errors and `describeState()`. @default the wrapped LLM's `describe()`, or `'circuit-breaker'` */
  readonly name?: string;
  /** Consecutive counted failures that open a closed circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before it lets probes through (half-open). @default 60000 */
  readonly recoveryTimeout?: number;
  /** Probes allowed at once while half-open; other callers get `CircuitOpenError`. @default 1 */
  readonly halfOpenMaxCalls?: number;
  /** Probe successes that close a half-open circuit. @default 1 */
  readonly successThreshold?: number;
  /** Which errors count as failures: classes, strings, RegExps, as in `retryOn`. @default {@link DEFAULT_COUNT_ON} */
  readonly countOn?: readonly ErrorMatcher[];
  /** The clock, in epoch ms; inject one in tests. A shared `store` uses its own clock; this one drives the local state only. @default Date.now */
  readonly now?: () => number;
  /**
   * Where the circuit's state lives. Omitted, in this process (synchronous, nothing shared). A
   * `RedisStateStore` shares it with every process whose breaker has the same `name` on that store:
   * they open, half-open and close together, and half-open admits `halfOpenMaxCalls` probes in all.
   * `name` is then required. @default in memory
   */
  readonly store?: StateStore;
  /** What a call does when the `store` cannot answer: see {@link StoreErrorPolicy}. @default 'fail-open' */
  readonly onStoreError?: StoreErrorPolicy;
}

/** Validated, frozen {@link CircuitBreakerOptions}, every default filled in. */
export interface ResolvedCircuitBreakerOptions {
  readonly name: string;
  readonly failureThreshold: number;
  readonly recoveryTimeout: number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
  readonly countOn: readonly ErrorMatcher[];
  readonly now: () => number;
  readonly store: StateStore | undefined;
  readonly onStoreError: StoreErrorPolicy;
}

const BREAKER_KEYS = optionNames<CircuitBreakerOptions>({
  name: true,
  failureThreshold: true,
  recoveryTimeout: true,
  halfOpenMaxCalls: true,
  successThreshold: true,
  countOn: true,
  now: true,
  store: true,
  onStoreError: true,
});

/** Fills defaults and validates; throws `TypeError`/`RangeError` naming the bad option. */
export function resolveBreakerOptions(
  options: CircuitBreakerOptions | undefined,
): ResolvedCircuitBreakerOptions {
  const input = options ?? {};
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`CircuitBreaker options must be an object, got ${String(options)}`);
  }
  checkOptionKeys('CircuitBreaker options', input, BREAKER_KEYS);
  const {
    name = 'circuit-breaker',
    failureThreshold = 5,
    recoveryTimeout = 60_000,
    halfOpenMaxCalls = 1,
    successThreshold = 1,
  } = input;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`\`name\` must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  checkInteger('failureThreshold', failureThreshold, 1);
  checkDuration('recoveryTimeout', recoveryTimeout);
  checkInteger('halfOpenMaxCalls', halfOpenMaxCalls, 1);
  checkInteger('successThreshold', successThreshold, 1);
  checkFunction('now', input.now);
  checkStoreOptions(input.store, input.onStoreError, input.name, 'CircuitBreaker');
  return Object.freeze({
    name,
    failureThreshold,
    recoveryTimeout,
    halfOpenMaxCalls,
    successThreshold,
    countOn: checkMatchers('countOn', input.countOn) ?? DEFAULT_COUNT_ON,
    now: input.now ?? Date.now,
    store: input.store,
    onStoreError: input.onStoreError ?? 'fail-open',
  });
}

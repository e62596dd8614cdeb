import type { LLMRequest } from '../../llm.js';
import type { Provider } from '../../types.js';
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOptionKeys,
  optionNames,
} from '../../validate.js';
import { checkStoreOptions, type StateStore, type StoreErrorPolicy } from '../store/types.js';

/** What a custom token estimator sees: the call, and the model it goes to. */
export interface TokenEstimateInput {
  readonly request: LLMRequest;
  readonly provider: Provider;
  readonly model: string;
}

/**
 * Options of a {@link RateLimiter} (and of `withRateLimit(options)`). Give `requestsPerMinute`,
 * `tokensPerMinute`, or both. Durations in ms.
 *
 * @example
 * const limiter = new RateLimiter({ requestsPerMinute: 500, tokensPerMinute: 200_000, maxWait: 10_000 });
 */
export interface RateLimiterOptions {
  /** Calls allowed to start in any window of `windowMs` (a minute by default). */
  readonly requestsPerMinute?: number;
  /** Tokens (estimated, then corrected by the reply's `usage`) allowed in any window of `windowMs`. */
  readonly tokensPerMinute?: number;
  /** The window's length; shorten it in tests. @default 60000 */
  readonly windowMs?: number;
  /** The longest a call may wait for room; a longer wait throws `RateLimitedError` at once. 0 = never wait. @default 30000 */
  readonly maxWait?: number;
  /** Output tokens assumed for a call without `maxTokens`. @default 1024 */
  readonly expectedOutputTokens?: number;
  /** Replaces the built-in estimate (js-tiktoken for OpenAI, an approximation for Anthropic). */
  readonly estimateTokens?: (input: TokenEstimateInput) => number | Promise<number>;
  /** Hold calls when the provider's rate-limit headers say a limit is used up, until it resets. @default true */
  readonly respectProviderHeaders?: boolean;
  /** Names the limiter in `describeState()`. @default 'rate-limiter' */
  readonly name?: string;
  /** The clock, in epoch ms. Waits use `setTimeout`, so an injected clock must move with the timers (jest's fake timers do both). A shared `store` uses its own clock for the window. @default Date.now */
  readonly now?: () => number;
  /**
   * Where the window lives. Omitted, in this process (nothing shared). A `RedisStateStore` shares it
   * with every process whose limiter has the same `name` on that store: together they never start
   * more than the limits in any window. Give every process the same limits. `name` is then required.
   * @default in memory
   */
  readonly store?: StateStore;
  /** What a call does when the `store` cannot answer: see {@link StoreErrorPolicy}. @default 'fail-open' */
  readonly onStoreError?: StoreErrorPolicy;
}

/** Validated, frozen {@link RateLimiterOptions}. */
export interface ResolvedRateLimiterOptions {
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly windowMs: number;
  readonly maxWait: number;
  readonly expectedOutputTokens: number;
  readonly estimateTokens: RateLimiterOptions['estimateTokens'];
  readonly respectProviderHeaders: boolean;
  readonly name: string;
  readonly now: () => number;
  readonly store: StateStore | undefined;
  readonly onStoreError: StoreErrorPolicy;
}

const LIMITER_KEYS = optionNames<RateLimiterOptions>({
  requestsPerMinute: true,
  tokensPerMinute: true,
  windowMs: true,
  maxWait: true,
  expectedOutputTokens: true,
  estimateTokens: true,
  respectProviderHeaders: true,
  name: true,
  now: true,
  store: true,
  onStoreError: true,
});

/** Fills defaults and validates; throws `TypeError`/`RangeError` naming the bad option. */
export function resolveLimiterOptions(options: RateLimiterOptions): ResolvedRateLimiterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`RateLimiter options must be an object, got ${String(options)}`);
  }
  checkOptionKeys('RateLimiter options', options, LIMITER_KEYS);
  const {
    requestsPerMinute,
    tokensPerMinute,
    windowMs = 60_000,
    maxWait = 30_000,
    expectedOutputTokens = 1024,
    respectProviderHeaders = true,
    name = 'rate-limiter',
  } = options;
  checkInteger('requestsPerMinute', requestsPerMinute, 1);
  checkInteger('tokensPerMinute', tokensPerMinute, 1);
  if (requestsPerMinute === undefined && tokensPerMinute === undefined) {
    throw new TypeError('RateLimiter needs `requestsPerMinute`, `tokensPerMinute` or both, got neither');
  }
  checkNumber('windowMs', windowMs, 1);
  checkDuration('maxWait', maxWait);
  checkInteger('expectedOutputTokens', expectedOutputTokens, 0);
  checkFunction('estimateTokens', options.estimateTokens);
  checkFunction('now', options.now);
  if (typeof respectProviderHeaders !== 'boolean') {
    throw new TypeError(
      `\`respectProviderHeaders\` must be a boolean, got ${JSON.stringify(respectProviderHeaders)}`,
    );
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`\`name\` must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  checkStoreOptions(options.store, options.onStoreError, options.name, 'RateLimiter');
  return Object.freeze({
    requestsPerMinute,
    tokensPerMinute,
    windowMs,
    maxWait,
    expectedOutputTokens,
    estimateTokens: options.estimateTokens,
    respectProviderHeaders,
    name,
    now: options.now ?? Date.now,
    store: options.store,
    onStoreError: options.onStoreError ?? 'fail-open',
  });
}

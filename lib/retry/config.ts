import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOptionKeys,
  describeValue,
  optionNames,
} from '../validate.js';
import { BackoffStrategy, type BackoffSettings } from './backoff.js';
import { checkMatchers, type ErrorMatcher } from '../errors/matchers.js';
import { checkInterrupt, type InterruptMode } from '../stream.js';

/**
 * Options of `withRetry`. All durations are in ms.
 *
 * @example
 * llm.withRetry({ maxRetries: 3, initialDelay: 500, backoffStrategy: 'jitter', stopOn: ['invalid api key'] });
 */
export interface RetryConfig {
  /** Retries after the first attempt: total attempts = maxRetries + 1. @default 3 */
  readonly maxRetries?: number;
  /** @default 1000 */
  readonly initialDelay?: number;
  /** Caps every delay, a server-given one included. @default 60000 */
  readonly maxDelay?: number;
  /** @default 2 */
  readonly backoffMultiplier?: number;
  /** @default 'exponential' */
  readonly backoffStrategy?: BackoffStrategy | 'exponential' | 'linear' | 'fixed' | 'jitter';
  /** ±10 % on exponential and linear delays. @default true */
  readonly jitter?: boolean;
  /** Which errors are retried. @default errors whose `retryable` is true (rate limit, overload, 5xx, timeout, connection, cut stream) */
  readonly retryOn?: readonly ErrorMatcher[];
  /** Errors never retried, whatever else says. @default [] */
  readonly stopOn?: readonly ErrorMatcher[];
  /** Decides instead of `retryOn` when given. */
  readonly retryCondition?: (error: unknown) => boolean;
  /** A server's `retry-after-ms` / `retry-after` wins over the computed delay (capped by `maxDelay`). @default true */
  readonly respectRetryAfter?: boolean;
  /** Called before each retry's sleep with the 1-based number of the attempt that failed. May be async. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => unknown;
  /** Called once when retrying gives up on a retryable error. May be async. */
  readonly onFailure?: (error: unknown, attempts: number) => unknown;
  /** A stream cut after text reached the caller: end with `StreamInterruptedError`, or restart (after a `reset` chunk). @default 'error' */
  readonly onInterrupt?: InterruptMode;
  /** Source of randomness in [0, 1) for jitter; inject a seeded one in tests. @default Math.random */
  readonly random?: () => number;
}

/** A validated, frozen {@link RetryConfig} with every default filled in. */
export interface ResolvedRetryConfig extends BackoffSettings {
  readonly maxRetries: number;
  readonly retryOn: readonly ErrorMatcher[] | undefined;
  readonly stopOn: readonly ErrorMatcher[];
  readonly retryCondition: ((error: unknown) => boolean) | undefined;
  readonly respectRetryAfter: boolean;
  readonly onRetry: RetryConfig['onRetry'];
  readonly onFailure: RetryConfig['onFailure'];
  readonly onInterrupt: InterruptMode;
  readonly random: () => number;
}

const STRATEGIES = new Set<string>(Object.values(BackoffStrategy));

const RETRY_KEYS = optionNames<RetryConfig>({
  maxRetries: true,
  initialDelay: true,
  maxDelay: true,
  backoffMultiplier: true,
  backoffStrategy: true,
  jitter: true,
  retryOn: true,
  stopOn: true,
  retryCondition: true,
  respectRetryAfter: true,
  onRetry: true,
  onFailure: true,
  onInterrupt: true,
  random: true,
});

/** Fills defaults and validates; throws `TypeError`/`RangeError` naming the bad option. */
export function resolveRetryConfig(input: RetryConfig | number | undefined): ResolvedRetryConfig {
  const config: RetryConfig = typeof input === 'number' ? { maxRetries: input } : (input ?? {});
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`withRetry takes a RetryConfig or a number of retries, got ${describeValue(input)}`);
  }
  checkOptionKeys('`withRetry` options', config, RETRY_KEYS);
  const { maxRetries = 3, initialDelay = 1000, maxDelay = 60_000, backoffMultiplier = 2 } = config;
  checkInteger('maxRetries', maxRetries, 0);
  checkDuration('initialDelay', initialDelay);
  checkDuration('maxDelay', maxDelay);
  checkNumber('backoffMultiplier', backoffMultiplier, 1);
  const strategy = config.backoffStrategy ?? 'exponential';
  if (typeof strategy !== 'string' || !STRATEGIES.has(strategy)) {
    throw new RangeError(
      `\`backoffStrategy\` must be one of ${[...STRATEGIES].join(', ')}, got ${JSON.stringify(strategy)}`,
    );
  }
  for (const name of ['jitter', 'respectRetryAfter'] as const) {
    if (config[name] !== undefined && typeof config[name] !== 'boolean') {
      throw new TypeError(`\`${name}\` must be a boolean, got ${JSON.stringify(config[name])}`);
    }
  }
  for (const name of ['retryCondition', 'onRetry', 'onFailure', 'random'] as const)
    checkFunction(name, config[name]);
  return Object.freeze({
    maxRetries,
    initialDelay,
    maxDelay,
    multiplier: backoffMultiplier,
    strategy: strategy as BackoffStrategy,
    jitter: config.jitter ?? true,
    retryOn: checkMatchers('retryOn', config.retryOn),
    stopOn: checkMatchers('stopOn', config.stopOn) ?? [],
    retryCondition: config.retryCondition,
    respectRetryAfter: config.respectRetryAfter ?? true,
    onRetry: config.onRetry,
    onFailure: config.onFailure,
    onInterrupt: checkInterrupt(config.onInterrupt),
    random: config.random ?? Math.random,
  });
}

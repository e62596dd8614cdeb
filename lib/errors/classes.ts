import { brand } from '../brand.js';
import type { Attempt, Provider } from '../types.js';

/** The `kind` of every error the library raises. */
export type ErrorKind =
  | 'rate_limit'
  | 'quota_exceeded'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'stream_interrupted'
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'context_length'
  | 'content_filter'
  | 'bad_request'
  | 'provider_error'
  | 'retry_exhausted'
  | 'fallback_exhausted'
  | 'circuit_open'
  | 'rate_limited_locally'
  | 'store_unavailable';

/** Context every library error carries. */
export interface LLMErrorOptions {
  readonly provider?: Provider;
  readonly model?: string;
  readonly status?: number;
  readonly requestId?: string;
  /** A server-given wait (`retry-after-ms` / `retry-after`), in ms. */
  readonly retryAfterMs?: number;
  /** Overrides the class default, e.g. from an `x-should-retry` header. */
  readonly retryable?: boolean;
  /** The SDK's original error. */
  readonly cause?: unknown;
}

/**
 * Base of every error the library raises. `retryable` says whether `withRetry` retries it by default.
 *
 * @example
 * try { await llm.ask('Hi') } catch (e) { if (e instanceof LLMError && e.kind === 'rate_limit') … }
 */
export abstract class LLMError extends Error {
  abstract readonly kind: ErrorKind;
  readonly provider: Provider | undefined;
  readonly model: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: LLMErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.provider = options.provider;
    this.model = options.model;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable =
      options.retryable ??
      (this.constructor as typeof LLMError & { retryableByDefault: boolean }).retryableByDefault;
  }

  /** Whether instances are retried when nothing else says otherwise. */
  static readonly retryableByDefault: boolean = false;
}

/** 429: too many requests. Retried by default. */
export class RateLimitError extends LLMError {
  override readonly name = 'RateLimitError' as const;
  readonly kind = 'rate_limit' as const;
  static override readonly retryableByDefault = true;
}

/** 429 `insufficient_quota`: billing, not pacing. Not retried; falls back. */
export class QuotaExceededError extends LLMError {
  override readonly name = 'QuotaExceededError' as const;
  readonly kind = 'quota_exceeded' as const;
}

/** 529, 503 or an in-stream `overloaded_error`. Retried by default. */
export class OverloadedError extends LLMError {
  override readonly name = 'OverloadedError' as const;
  readonly kind = 'overloaded' as const;
  static override readonly retryableByDefault = true;
}

/** Any other 5xx, or a response the SDK could not parse. Retried by default. */
export class ServerError extends LLMError {
  override readonly name = 'ServerError' as const;
  readonly kind = 'server_error' as const;
  static override readonly retryableByDefault = true;
}

/** An attempt timeout, a first-chunk timeout, a stream stall, or the call's `deadline`. Retried by default. */
export class TimeoutError extends LLMError {
  override readonly name = 'TimeoutError' as const;
  readonly kind = 'timeout' as const;
  static override readonly retryableByDefault = true;
}

/** Reset, refused, DNS: the request never got an answer. Retried by default. */
export class ConnectionError extends LLMError {
  override readonly name = 'ConnectionError' as const;
  readonly kind = 'connection' as const;
  static override readonly retryableByDefault = true;
}

/**
 * A stream ended without its terminal event. `partialText` is what had arrived; the answer is
 * incomplete and is never returned as if it were whole.
 */
export class StreamInterruptedError extends LLMError {
  override readonly name = 'StreamInterruptedError' as const;
  readonly kind = 'stream_interrupted' as const;
  static override readonly retryableByDefault = true;
  readonly partialText: string;

  constructor(message: string, partialText: string, options: LLMErrorOptions = {}) {
    super(message, options);
    this.partialText = partialText;
  }
}

/** 401. */
export class AuthenticationError extends LLMError {
  override readonly name = 'AuthenticationError' as const;
  readonly kind = 'authentication' as const;
}

/** 403. */
export class PermissionDeniedError extends LLMError {
  override readonly name = 'PermissionDeniedError' as const;
  readonly kind = 'permission_denied' as const;
}

/** 404, typically an unknown model. */
export class NotFoundError extends LLMError {
  override readonly name = 'NotFoundError' as const;
  readonly kind = 'not_found' as const;
}

/** 400: the prompt does not fit the model's context window. Falls back (to a larger model). */
export class ContextLengthError extends LLMError {
  override readonly name = 'ContextLengthError' as const;
  readonly kind = 'context_length' as const;
}

/** 400: blocked by content policy. Neither retried nor fallen back by default. */
export class ContentFilterError extends LLMError {
  override readonly name = 'ContentFilterError' as const;
  readonly kind = 'content_filter' as const;
}

/** Any other 4xx. */
export class BadRequestError extends LLMError {
  override readonly name = 'BadRequestError' as const;
  readonly kind = 'bad_request' as const;
}

/**
 * A provider call failed in a way no other class describes: the provider's SDK is not installed,
 * or the SDK (or anything under it) threw an error that is neither an HTTP nor a network failure.
 * `cause` is the original error. Not retried; falls back, so a chain's rules apply to it.
 *
 * @example
 * try { await llm.ask('Hi') } catch (e) { if (e instanceof ProviderError) log.error(e.cause) }
 */
export class ProviderError extends LLMError {
  override readonly name = 'ProviderError' as const;
  readonly kind = 'provider_error' as const;
}

/**
 * A circuit breaker refused the call without trying it: the circuit is open (or half-open with
 * every probe slot taken). Not retried; a fallback chain moves on to its next LLM at once.
 * `retryAfterMs` is the time until the breaker lets a probe through (absent when half-open).
 *
 * @example
 * try { await llm.ask('Hi') } catch (e) { if (e instanceof CircuitOpenError) log.warn(`${e.circuit} open for ${e.retryAfterMs} ms`) }
 */
export class CircuitOpenError extends LLMError {
  override readonly name = 'CircuitOpenError' as const;
  readonly kind = 'circuit_open' as const;
  /** The breaker's `name`. */
  readonly circuit: string;

  constructor(message: string, circuit: string, options: LLMErrorOptions = {}) {
    super(message, options);
    this.circuit = circuit;
  }
}

/**
 * The local rate limiter refused the call: it would have had to wait longer than `maxWait` (or
 * the call's deadline). Distinct from the provider's {@link RateLimitError}: no request was sent.
 * Not retried; falls back. `retryAfterMs` is the wait it would have needed (absent when the call
 * can never fit, e.g. more tokens than `tokensPerMinute`).
 *
 * @example
 * try { await llm.ask('Hi') } catch (e) { if (e instanceof RateLimitedError) queue.later(e.retryAfterMs) }
 */
export class RateLimitedError extends LLMError {
  override readonly name = 'RateLimitedError' as const;
  readonly kind = 'rate_limited_locally' as const;
}

/**
 * A circuit breaker or rate limiter that shares its state in a store (`RedisStateStore`) could not
 * reach it — unreachable, or no answer within the store's `timeout` — and its `onStoreError`
 * policy is `'fail-closed'`: the call is refused without being sent. `cause` is the store's error.
 * Not retried by default (add it to `retryOn` to retry); falls back like any `LLMError`, and a
 * circuit breaker never counts it.
 *
 * @example
 * try { await llm.ask('Hi') } catch (e) { if (e instanceof StoreUnavailableError) alert(`${e.guard}: ${e.store} down`) }
 */
export class StoreUnavailableError extends LLMError {
  override readonly name = 'StoreUnavailableError' as const;
  readonly kind = 'store_unavailable' as const;
  /** The breaker's or limiter's `name`. */
  readonly guard: string;
  /** The store's name, e.g. `'redis'`. */
  readonly store: string;

  constructor(message: string, guard: string, store: string, options: LLMErrorOptions = {}) {
    super(message, options);
    this.guard = guard;
    this.store = store;
  }
}

/**
 * An error that ends a wrapper's run of several tries: it keeps them all, and takes its
 * context and retryability from the last one.
 */
export abstract class ChainError extends LLMError {
  /** The attempts of the whole call so far, across nested wrappers. */
  readonly attempts: readonly Attempt[];
  /** The errors this wrapper met, in order. */
  readonly errors: readonly unknown[];
  readonly lastError: unknown;

  protected constructor(
    message: string,
    errors: readonly unknown[],
    attempts: readonly Attempt[],
    options: LLMErrorOptions,
  ) {
    const lastError = errors[errors.length - 1];
    super(message, { ...inheritedContext(lastError), ...options, cause: lastError });
    this.errors = errors;
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

/** Retries were exhausted on a retryable error. `errors` are this retry loop's, one per attempt. */
export class RetryError extends ChainError {
  override readonly name = 'RetryError' as const;
  readonly kind = 'retry_exhausted' as const;

  constructor(errors: readonly unknown[], attempts: readonly Attempt[], options: LLMErrorOptions = {}) {
    super(
      `Gave up after ${errors.length} attempts: ${describeError(errors[errors.length - 1])}`,
      errors,
      attempts,
      options,
    );
  }
}

/** Every LLM of a fallback chain failed. `errors` has one entry per LLM, in order. */
export class FallbackError extends ChainError {
  override readonly name = 'FallbackError' as const;
  readonly kind = 'fallback_exhausted' as const;

  constructor(errors: readonly unknown[], attempts: readonly Attempt[], options: LLMErrorOptions = {}) {
    super(
      `All ${errors.length} LLMs failed: ${errors.map(describeError).join('; ')}`,
      errors,
      attempts,
      options,
    );
  }
}

function inheritedContext(error: unknown): LLMErrorOptions {
  if (!(error instanceof LLMError)) return { retryable: false };
  const { provider, model, status, requestId, retryAfterMs, retryable } = error;
  return { provider, model, status, requestId, retryAfterMs, retryable };
}

/** A short `Name: message` for an error of any type. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// `instanceof` (and `retryOn: [RateLimitError]`) must hold across copies of the package (ESM and CJS at once).
for (const [cls, name] of [
  [LLMError, 'LLMError'],
  [RateLimitError, 'RateLimitError'],
  [QuotaExceededError, 'QuotaExceededError'],
  [OverloadedError, 'OverloadedError'],
  [ServerError, 'ServerError'],
  [TimeoutError, 'TimeoutError'],
  [ConnectionError, 'ConnectionError'],
  [StreamInterruptedError, 'StreamInterruptedError'],
  [AuthenticationError, 'AuthenticationError'],
  [PermissionDeniedError, 'PermissionDeniedError'],
  [NotFoundError, 'NotFoundError'],
  [ContextLengthError, 'ContextLengthError'],
  [ContentFilterError, 'ContentFilterError'],
  [BadRequestError, 'BadRequestError'],
  [ProviderError, 'ProviderError'],
  [CircuitOpenError, 'CircuitOpenError'],
  [RateLimitedError, 'RateLimitedError'],
  [StoreUnavailableError, 'StoreUnavailableError'],
  [ChainError, 'ChainError'],
  [RetryError, 'RetryError'],
  [FallbackError, 'FallbackError'],
] as const) {
  brand(cls, name);
}

/**
 * Whether `value` is an error the library raised, from this copy of the package or another (an
 * app loading it through both `import` and `require`). `instanceof LLMError` says the same.
 *
 * @example
 * catch (e) { if (isLLMError(e) && e.retryable) … }
 */
export function isLLMError(value: unknown): value is LLMError {
  return value instanceof LLMError;
}

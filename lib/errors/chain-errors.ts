import type { Attempt } from '../types.js';
import { describeError, LLMError, type LLMErrorOptions } from './base.js';

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

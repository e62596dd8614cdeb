/**
 * Every error class the library raises, branded: the base ({@link LLMError}), what providers
 * answer (provider-errors.ts), what our own layers raise (guard-errors.ts) and what ends a run
 * of several tries (chain-errors.ts). Import errors from here, so that the brands are set.
 */
import { brand } from '../brand.js';
import { LLMError } from './base.js';
import { ChainError, FallbackError, RetryError } from './chain-errors.js';
import {
  CircuitOpenError,
  RateLimitedError,
  StoreUnavailableError,
  StructuredOutputError,
  UnsupportedRequestError,
} from './guard-errors.js';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ContentFilterError,
  ContextLengthError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  StreamInterruptedError,
  TimeoutError,
} from './provider-errors.js';

export { describeError, type ErrorKind, isLLMError, LLMError, type LLMErrorOptions } from './base.js';
export * from './chain-errors.js';
export * from './guard-errors.js';
export * from './provider-errors.js';

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
  [StructuredOutputError, 'StructuredOutputError'],
  [UnsupportedRequestError, 'UnsupportedRequestError'],
  [ChainError, 'ChainError'],
  [RetryError, 'RetryError'],
  [FallbackError, 'FallbackError'],
] as const) {
  brand(cls, name);
}

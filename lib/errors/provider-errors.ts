import type { AssistantPart } from '../types.js';
import { LLMError, type LLMErrorOptions } from './base.js';

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
 * A stream ended without its terminal event. `partialText` is the text that had arrived,
 * `partialContent` every part that had (text, reasoning, tool calls — a tool call cut in its
 * arguments holds the arguments received, unparsed, as its `input`); the answer is incomplete
 * and is never returned as if it were whole.
 */
export class StreamInterruptedError extends LLMError {
  override readonly name = 'StreamInterruptedError' as const;
  readonly kind = 'stream_interrupted' as const;
  static override readonly retryableByDefault = true;
  readonly partialText: string;
  /** The parts that had arrived; its text parts hold exactly the text shown. */
  readonly partialContent: readonly AssistantPart[];

  constructor(
    message: string,
    partialText: string,
    options: LLMErrorOptions & { readonly partialContent?: readonly AssistantPart[] } = {},
  ) {
    super(message, options);
    this.partialText = partialText;
    this.partialContent =
      options.partialContent ?? (partialText === '' ? [] : [{ type: 'text', text: partialText }]);
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

import type { Provider } from '../types.js';

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
  | 'store_unavailable'
  | 'structured_output'
  | 'unsupported';

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

/** A short `Name: message` for an error of any type. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
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

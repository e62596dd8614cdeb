import type { Provider } from '../types.js';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ContentFilterError,
  ContextLengthError,
  LLMError,
  type LLMErrorOptions,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  ProviderError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from './classes.js';

/** What a provider classifier extracts from an SDK error before the shared mapping decides the class. */
export interface ErrorFacts {
  readonly status?: number | undefined;
  /** The body's error `type`, e.g. `overloaded_error`, `insufficient_quota`. */
  readonly type?: string | null | undefined;
  /** The body's error `code`, e.g. `context_length_exceeded`. */
  readonly code?: string | null | undefined;
  readonly message: string;
  readonly headers?: Headers | undefined;
  readonly requestId?: string | null | undefined;
}

/** Who made the request, and which secrets must never be shown. */
export interface ErrorScope {
  readonly provider: Provider;
  readonly model: string;
  readonly secrets: readonly string[];
}

const QUOTA = new Set(['insufficient_quota', 'billing_error', 'billing_hard_limit_reached']);
const CONTEXT = new Set(['context_length_exceeded', 'string_above_max_length']);
const CONTENT = new Set(['content_policy_violation', 'content_filter', 'content_filtered']);
const OVERLOADED = new Set(['overloaded_error', 'service_unavailable']);
// Anthropic's 400s carry no code for these two; its message is the only signal it gives.
const CONTEXT_TEXT = /prompt is too long|maximum context length|context window/i;
const CONTENT_TEXT = /content (management )?polic|content filter/i;

/** Maps the facts of an HTTP or in-stream API error to our class for it. */
export function classifyApiError(facts: ErrorFacts, scope: ErrorScope, cause: unknown): LLMError {
  const { status } = facts;
  const codes = [facts.code, facts.type].filter((c): c is string => typeof c === 'string');
  const has = (set: Set<string>): boolean => codes.some((c) => set.has(c));
  const options: LLMErrorOptions = {
    provider: scope.provider,
    model: scope.model,
    status,
    requestId:
      facts.requestId ?? facts.headers?.get('x-request-id') ?? facts.headers?.get('request-id') ?? undefined,
    retryAfterMs: retryAfterMs(facts.headers),
    retryable: shouldRetryHeader(facts.headers),
    cause,
  };
  const message = redact(facts.message, scope.secrets);

  if (has(QUOTA)) return new QuotaExceededError(message, options);
  if (has(CONTEXT)) return new ContextLengthError(message, options);
  if (has(CONTENT)) return new ContentFilterError(message, options);
  if (has(OVERLOADED) || status === 503 || status === 529) return new OverloadedError(message, options);
  if (status === 429 || codes.includes('rate_limit_error')) return new RateLimitError(message, options);
  if (status === undefined || status >= 500) return new ServerError(message, options);
  if (status === 408) return new TimeoutError(message, options);
  if (status === 401) return new AuthenticationError(message, options);
  if (status === 403) return new PermissionDeniedError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (CONTEXT_TEXT.test(facts.message)) return new ContextLengthError(message, options);
  if (CONTENT_TEXT.test(facts.message)) return new ContentFilterError(message, options);
  return new BadRequestError(message, options);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Classifies what no SDK does: a transport failure surfacing raw from fetch/undici (a bare
 * `TypeError: terminated` when a stream is cut, `fetch failed`, a socket error) and a
 * malformed event the SDK could not parse. Returns `undefined` for anything else.
 */
export function classifyTransportError(error: unknown, scope: ErrorScope): LLMError | undefined {
  if (!isErrorLike(error)) return undefined;
  const base = { provider: scope.provider, model: scope.model, cause: error };
  if (error.name === 'SyntaxError') {
    return new ServerError(
      `Malformed response from the provider: ${redact(error.message, scope.secrets)}`,
      base,
    );
  }
  if (isNetworkFailure(error)) {
    return new ConnectionError(`Connection failed: ${redact(describeChain(error), scope.secrets)}`, base);
  }
  return undefined;
}

/** Fetch's errors can come from another realm (undici, a test VM): recognise them by shape, not by `instanceof`. */
function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Error).message === 'string' &&
    typeof (value as Error).name === 'string'
  );
}

function isNetworkFailure(error: Error): boolean {
  for (let e: unknown = error, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (e.name === 'TypeError' && /^(terminated|fetch failed|network error)/i.test(e.message)) return true;
    if (/socket hang up|other side closed/i.test(e.message)) return true;
  }
  return false;
}

function describeChain(error: Error): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; isErrorLike(e) && depth < 3; e = e.cause, depth++) {
    parts.push(e.message);
  }
  return parts.join(': ');
}

/** `retry-after-ms` (ms) wins over `retry-after` (seconds, or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function shouldRetryHeader(headers: Headers | undefined): boolean | undefined {
  const value = headers?.get('x-should-retry');
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

/** Replaces every occurrence of a secret with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Redacts secrets in place from an SDK error we hand on as `cause`: its message, stack,
 * parsed body and nested causes. Logging our error (which prints the cause chain) must not
 * leak a key a server echoed back.
 */
export function scrub(value: unknown, secrets: readonly string[], depth = 0): void {
  if (secrets.length === 0 || typeof value !== 'object' || value === null || depth > 4) return;
  const record = value as Record<string, unknown>;
  for (const key of new Set([...Object.getOwnPropertyNames(record), 'message', 'stack'])) {
    let current: unknown;
    try {
      current = record[key];
    } catch {
      continue;
    }
    if (typeof current === 'string') {
      const clean = redact(current, secrets);
      if (clean === current) continue;
      const enumerable = Object.prototype.propertyIsEnumerable.call(record, key);
      try {
        Object.defineProperty(record, key, { value: clean, writable: true, configurable: true, enumerable });
      } catch {
        // a frozen or exotic object: nothing more can be done
      }
    } else if (typeof current === 'object' && current !== null && !(current instanceof Headers)) {
      scrub(current, secrets, depth + 1);
    }
  }
}

export { LLMError };

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes of one provider SDK, and how to read the facts off its `APIError`. */
export interface SdkErrors<E extends Error> {
  readonly APIError: abstract new (...args: never[]) => E;
  readonly APIConnectionError: ErrorClass;
  readonly APIConnectionTimeoutError: ErrorClass;
  readonly APIUserAbortError: ErrorClass;
  readonly facts: (error: E) => ErrorFacts;
}

/**
 * Maps anything an SDK call threw to our taxonomy. A user abort is returned unchanged (it is
 * not a failure); anything no other class describes becomes a {@link ProviderError}, so a
 * chain's rules apply to every failure of a provider call. `sdk` is `undefined` until the SDK
 * (or a client passed in) is known.
 */
export function classifySdkError<E extends Error>(
  error: unknown,
  scope: ErrorScope,
  sdk: SdkErrors<E> | undefined,
): unknown {
  scrub(error, scope.secrets);
  if (error instanceof LLMError) return error;
  if (sdk === undefined) return classifyTransportError(error, scope) ?? unclassified(error, scope);
  if (error instanceof sdk.APIUserAbortError) return error;
  const base = { provider: scope.provider, model: scope.model, cause: error };
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new TimeoutError('The request timed out before the response started', base);
  }
  if (error instanceof sdk.APIConnectionError) {
    const cause = (error as Error).cause;
    const transport = cause === undefined ? undefined : classifyTransportError(cause, scope);
    const message = redact(
      transport?.message ?? `Connection failed: ${(error as Error).message}`,
      scope.secrets,
    );
    return new ConnectionError(message, base);
  }
  if (error instanceof sdk.APIError) return classifyApiError(sdk.facts(error), scope, error);
  return classifyTransportError(error, scope) ?? unclassified(error, scope);
}

/** A failure of a provider call that no other class describes. An abort of any realm stays itself. */
function unclassified(error: unknown, scope: ErrorScope): unknown {
  if (isErrorLike(error) && error.name === 'AbortError') return error;
  const what = isErrorLike(error) ? `${error.name}: ${error.message}` : String(error);
  return new ProviderError(`The ${scope.provider} call failed: ${redact(what, scope.secrets)}`, {
    provider: scope.provider,
    model: scope.model,
    cause: error,
  });
}

import type { SchemaIssue } from '../types.js';
import { LLMError, type LLMErrorOptions } from './base.js';

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
 * The answer was not what the request asked for: tool-call arguments or a structured answer
 * (`schema`, `choices`) that are not valid JSON, or fail the schema. `text` is what the model
 * sent; `issues` the validation failures (absent for invalid JSON). Not retried by default
 * (`retryOn: ['structured_output']` opts in); falls back by default.
 *
 * @example
 * try { await llm.ask('Extract', { schema }) } catch (e) { if (e instanceof StructuredOutputError) log.warn(e.issues) }
 */
export class StructuredOutputError extends LLMError {
  override readonly name = 'StructuredOutputError' as const;
  readonly kind = 'structured_output' as const;
  /** The model's raw answer (or the tool call's arguments). */
  readonly text: string;
  /** What failed validation; absent when the text is not JSON at all. */
  readonly issues: readonly SchemaIssue[] | undefined;

  constructor(
    message: string,
    text: string,
    issues: readonly SchemaIssue[] | undefined,
    options: LLMErrorOptions = {},
  ) {
    super(message, options);
    this.text = text;
    this.issues = issues;
  }
}

/**
 * The request needs what this LLM cannot do (its `capabilities`: tools, images, files, schema,
 * reasoning). Raised before any request is sent. Not retried; a fallback chain moves on to its
 * next LLM at once.
 *
 * @example
 * const local = new OpenAILLM('llama3', { baseURL, capabilities: { images: false } });
 * local.withFallbacks([new OpenAILLM('gpt-4o')]).ask([{ role: 'user', content: [{ type: 'image', image: url }] }]);
 */
export class UnsupportedRequestError extends LLMError {
  override readonly name = 'UnsupportedRequestError' as const;
  readonly kind = 'unsupported' as const;
  /** The capabilities the request needed and the LLM lacks, e.g. `['images']`. */
  readonly missing: readonly string[];

  constructor(message: string, missing: readonly string[], options: LLMErrorOptions = {}) {
    super(message, options);
    this.missing = missing;
  }
}

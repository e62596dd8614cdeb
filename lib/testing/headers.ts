/**
 * Response headers a spec adds: request id, retry hints (`retry-after`, `retry-after-ms`,
 * `x-should-retry`) and each provider's rate-limit headers.
 */
import type { FaultSpec } from './spec.js';

/** The two wire formats the fault server speaks. */
export type Provider = 'openai' | 'anthropic';

/** A header map ready for `res.writeHead`. */
export type Headers = Record<string, string>;

const REQUEST_LIMIT = 100;
const TOKEN_LIMIT = 100000;

/** OpenAI's duration format for rate-limit resets: `250ms`, `1s`, `1.5s`, `6m0s`. */
export function openaiDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60000) return `${ms / 1000}s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes}m${(ms - minutes * 60000) / 1000}s`;
}

function rateLimitHeaders(provider: Provider, spec: FaultSpec, now: number): Headers {
  const remainingRequests = String(spec.rl_remaining_requests ?? REQUEST_LIMIT - 1);
  const remainingTokens = String(spec.rl_remaining_tokens ?? TOKEN_LIMIT - 1000);
  const resetMs = spec.rl_reset_ms ?? 1000;
  if (provider === 'openai') {
    return {
      'x-ratelimit-limit-requests': String(REQUEST_LIMIT),
      'x-ratelimit-remaining-requests': remainingRequests,
      'x-ratelimit-reset-requests': openaiDuration(resetMs),
      'x-ratelimit-limit-tokens': String(TOKEN_LIMIT),
      'x-ratelimit-remaining-tokens': remainingTokens,
      'x-ratelimit-reset-tokens': openaiDuration(resetMs),
    };
  }
  const reset = new Date(now + resetMs).toISOString();
  return {
    'anthropic-ratelimit-requests-limit': String(REQUEST_LIMIT),
    'anthropic-ratelimit-requests-remaining': remainingRequests,
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(TOKEN_LIMIT),
    'anthropic-ratelimit-tokens-remaining': remainingTokens,
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

/** The request-id header name each provider uses. */
export function requestIdHeader(provider: Provider): string {
  return provider === 'openai' ? 'x-request-id' : 'request-id';
}

/** Every header a spec adds to a response of the given provider, plus the request id. */
export function responseHeaders(
  provider: Provider,
  spec: FaultSpec,
  requestId: string,
  now = Date.now(),
): Headers {
  const headers: Headers = { [requestIdHeader(provider)]: requestId };
  if (spec.retry_after !== undefined) headers['retry-after'] = String(spec.retry_after);
  if (spec.retry_after_ms !== undefined) headers['retry-after-ms'] = String(spec.retry_after_ms);
  if (spec.should_retry !== undefined) headers['x-should-retry'] = String(spec.should_retry);
  if (spec.ratelimit_headers === true) Object.assign(headers, rateLimitHeaders(provider, spec, now));
  return headers;
}

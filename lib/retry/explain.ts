import type { ExplainNode } from '../middleware/types.js';
import type { ResolvedRetryConfig } from './config.js';

/**
 * The longest wait before retry `n` (1-based) the config allows: `maxDelay` when a server's
 * Retry-After is honoured (it may ask for that long), else the largest backoff delay (+10 %
 * with jitter on exponential and linear; full jitter's upper bound), capped by `maxDelay`.
 */
export function longestWait(config: ResolvedRetryConfig, n: number): number {
  const { strategy, initialDelay, maxDelay, multiplier, jitter, respectRetryAfter } = config;
  if (respectRetryAfter) return maxDelay;
  const exponential = initialDelay * multiplier ** (n - 1);
  const spread = jitter ? 1.1 : 1;
  switch (strategy) {
    case 'fixed':
      return Math.min(initialDelay, maxDelay);
    case 'jitter':
      return Math.min(maxDelay, exponential);
    case 'linear':
      return Math.min(maxDelay, initialDelay * n * spread);
    case 'exponential':
      return Math.min(maxDelay, exponential * spread);
  }
}

/** A retry layer's figures: `maxRetries + 1` passes through `inner`, and the longest wait before each retry. */
export function explainRetry(config: ResolvedRetryConfig, inner: ExplainNode): Omit<ExplainNode, 'llm'> {
  const attempts = config.maxRetries + 1;
  let waits = 0;
  for (let n = 1; n <= config.maxRetries; n++) waits += longestWait(config, n);
  const waitRule = config.respectRetryAfter
    ? `each maxDelay ${config.maxDelay} ms: a Retry-After may ask that long`
    : 'the largest backoff delays';
  return {
    maxRequests: attempts * inner.maxRequests,
    worstCaseMs: attempts * inner.worstCaseMs + waits,
    ...(inner.reason === undefined ? {} : { reason: inner.reason }),
    formula: `${attempts} × ${inner.worstCaseMs} ms + ${config.maxRetries} waits, ${Math.round(waits)} ms (${waitRule})`,
    children: [inner],
  };
}

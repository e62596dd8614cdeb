import { type CallContext, emit, runCallback, throwIfAborted, timeLeft } from '../context.js';
import { LLMError, RetryError } from '../errors/classes.js';
import { raceAbort, sleep } from '../sleep.js';
import type { Provider } from '../types.js';
import { backoffDelay } from './backoff.js';
import type { ResolvedRetryConfig } from './config.js';
import { matchesAny } from '../errors/matchers.js';

/** Whether the config retries this error: stopOn → retryCondition → retryOn → the error's own `retryable`. */
export function isRetryable(config: ResolvedRetryConfig, error: unknown): boolean {
  if (config.stopOn.length > 0 && matchesAny(error, config.stopOn)) return false;
  if (config.retryCondition) return config.retryCondition(error) === true;
  if (config.retryOn) return matchesAny(error, config.retryOn);
  return error instanceof LLMError && error.retryable;
}

/** The wait before retrying after `attempt` failed: the server's, if honoured, else the backoff; capped. */
export function retryDelay(config: ResolvedRetryConfig, error: unknown, attempt: number): number {
  const serverGiven = config.respectRetryAfter && error instanceof LLMError ? error.retryAfterMs : undefined;
  const delay = serverGiven ?? backoffDelay(config, attempt, config.random);
  return Math.min(delay, config.maxDelay);
}

/** Who is retrying, for events. */
export interface RetryTarget {
  readonly model: string;
  readonly provider: Provider;
}

/**
 * The fixed decision after attempt `attempt` (1-based) failed with `error`, read top to bottom:
 * cancelled? → stopOn / retryCondition / retryOn? → attempts left? → time left? → onRetry →
 * cancellable sleep. Resolves when the next attempt may start; otherwise throws what the
 * caller must see: the abort reason, the error itself, or a `RetryError`.
 */
export async function afterFailure(
  config: ResolvedRetryConfig,
  target: RetryTarget,
  ctx: CallContext,
  error: unknown,
  attempt: number,
  errors: readonly unknown[],
): Promise<void> {
  throwIfAborted(ctx);
  if (!isRetryable(config, error)) throw error;
  if (attempt > config.maxRetries) {
    await giveUp(config, ctx, error, attempt);
    throw new RetryError(errors, [...ctx.attempts]);
  }
  const delayMs = retryDelay(config, error, attempt);
  if (delayMs >= timeLeft(ctx)) {
    // The wait would outlast the deadline: give up now, so a fallback can use the time left.
    await giveUp(config, ctx, error, attempt);
    throw error;
  }
  emit(ctx, 'retry', { error, attempt, delayMs, model: target.model, provider: target.provider });
  const { onRetry } = config;
  const notified = onRetry ? runCallback(ctx, 'onRetry', () => onRetry(error, attempt, delayMs)) : undefined;
  await Promise.all([raceAbort(notified ?? Promise.resolve(), ctx.signal), sleep(delayMs, ctx.signal)]);
}

async function giveUp(
  config: ResolvedRetryConfig,
  ctx: CallContext,
  error: unknown,
  attempts: number,
): Promise<void> {
  const { onFailure } = config;
  if (onFailure)
    await raceAbort(
      runCallback(ctx, 'onFailure', () => onFailure(error, attempts)),
      ctx.signal,
    );
}

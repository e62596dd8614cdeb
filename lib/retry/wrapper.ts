import pRetry from 'p-retry';
import { type CallContext, throwIfAborted } from '../context.js';
import { type LLM, type LLMRequest, WrapperLLM } from '../llm.js';
import type { Reply, StreamChunk } from '../types.js';
import { RESET, relay } from '../stream.js';
import { type ResolvedRetryConfig, type RetryConfig, resolveRetryConfig } from './config.js';
import { afterFailure } from './policy.js';

/**
 * Carries an attempt's failure through p-retry untouched: p-retry gives up at once on a bare
 * `TypeError`, while our decision (which a matcher may widen to `TypeError`) is made in
 * `onFailedAttempt`.
 */
class Failed extends Error {
  constructor(readonly failure: unknown) {
    super('attempt failed');
  }
}

/** `withRetry`'s wrapper: retries its inner LLM per a {@link RetryConfig}, on `ask` and on `stream`. */
export class RetryLLM extends WrapperLLM {
  readonly config: ResolvedRetryConfig;

  constructor(inner: LLM, config?: RetryConfig | number) {
    super(inner);
    this.config = resolveRetryConfig(config);
    Object.freeze(this);
  }

  describe(): string {
    return `retry(${this.inner.describe()} ×${this.config.maxRetries + 1})`;
  }

  _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    return this.#attempts(ctx, [], 0, () => this.inner._ask(request, ctx));
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const errors: unknown[] = [];
    for (let used = 0; ;) {
      // Connecting and pulling the first chunk happen inside the retry scope: failures there stay invisible.
      const { stream, first, attempt } = await this.#attempts(ctx, errors, used, async (n) => {
        const stream = this.inner._stream(request, ctx);
        return { stream, first: await stream.next(), attempt: n };
      });
      used = attempt;
      if (first.done) return first.value;
      try {
        return yield* relay(stream, first.value);
      } catch (error) {
        if (this.config.onInterrupt !== 'restart') throw error;
        errors.push(error);
        await afterFailure(this.config, this, ctx, error, attempt, errors);
      }
      yield RESET;
    }
  }

  /**
   * Runs attempts `used + 1`…, deciding after each failure with {@link afterFailure}. The first
   * runs directly, so a healthy call pays nothing for the loop; once one has failed, p-retry
   * runs the rest.
   */
  async #attempts<T>(
    ctx: CallContext,
    errors: unknown[],
    used: number,
    run: (attempt: number) => Promise<T>,
  ): Promise<T> {
    throwIfAborted(ctx);
    try {
      return await run(used + 1);
    } catch (error) {
      errors.push(error);
      // Resolves only when another attempt should start (after the delay); otherwise throws the outcome.
      await afterFailure(this.config, this, ctx, error, used + 1, errors);
    }
    const done = used + 1;
    try {
      return await pRetry(
        async (n) => {
          try {
            return await run(done + n);
          } catch (error) {
            throw new Failed(error);
          }
        },
        {
          retries: this.config.maxRetries - done,
          minTimeout: 0,
          factor: 1,
          signal: ctx.signal,
          onFailedAttempt: async ({ error, attemptNumber }) => {
            const failure = (error as Failed).failure;
            errors.push(failure);
            await afterFailure(this.config, this, ctx, failure, done + attemptNumber, errors);
          },
        },
      );
    } catch (error) {
      throw error instanceof Failed ? error.failure : error;
    }
  }
}

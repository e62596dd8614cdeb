import pRetry from 'p-retry';
import { type CallContext, throwIfAborted } from '../context.js';
import type { LLM } from '../llm.js';
import { BUILT_IN } from '../middleware/run.js';
import type { ExplainNode, ExplainOptions, LLMMiddleware, LLMRequest } from '../middleware/types.js';
import type { Reply, StreamChunk } from '../types.js';
import { RESET, relay } from '../stream.js';
import { type ResolvedRetryConfig, type RetryConfig, resolveRetryConfig } from './config.js';
import { explainRetry } from './explain.js';
import { afterFailure, type RetryTarget } from './policy.js';

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

type Next<T> = (request: LLMRequest, ctx: CallContext) => T;

/**
 * `retry(config)`, the middleware `withRetry` adds: retries its inner LLM per a
 * {@link RetryConfig}, on `ask` and on `stream`. A number is `maxRetries`.
 *
 * @example
 * llm.use(retry({ maxRetries: 3, backoffStrategy: 'jitter' })); // = llm.withRetry({ … })
 */
export function retry(config?: RetryConfig | number): RetryMiddleware {
  return new RetryMiddleware(config);
}

/** The middleware `retry()` makes; `config` is its resolved, frozen configuration. */
export class RetryMiddleware implements LLMMiddleware {
  readonly name = 'retry';
  readonly config: ResolvedRetryConfig;
  /** @internal */
  readonly [BUILT_IN] = true;

  constructor(config?: RetryConfig | number) {
    this.config = resolveRetryConfig(config);
    Object.freeze(this);
  }

  describe(inner: string): string {
    return `retry(${inner} ×${this.config.maxRetries + 1})`;
  }

  explain(inner: ExplainNode, _routes: readonly ExplainNode[], _options: ExplainOptions) {
    return explainRetry(this.config, inner);
  }

  wrapAsk(request: LLMRequest, next: Next<Promise<Reply>>, ctx: CallContext, inner: LLM): Promise<Reply> {
    return this.#attempts(ctx, inner, [], 0, () => next(request, ctx));
  }

  async *wrapStream(
    request: LLMRequest,
    next: Next<AsyncGenerator<StreamChunk, Reply, undefined>>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const errors: unknown[] = [];
    for (let used = 0; ;) {
      // Connecting and pulling the first chunk happen inside the retry scope: failures there stay invisible.
      const { stream, first, attempt } = await this.#attempts(ctx, inner, errors, used, async (n) => {
        const stream = next(request, ctx);
        return { stream, first: await stream.next(), attempt: n };
      });
      used = attempt;
      if (first.done) return first.value;
      try {
        return yield* relay(stream, first.value);
      } catch (error) {
        if (this.config.onInterrupt !== 'restart') throw error;
        errors.push(error);
        await afterFailure(this.config, inner, ctx, error, attempt, errors);
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
    target: RetryTarget,
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
      await afterFailure(this.config, target, ctx, error, used + 1, errors);
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
            await afterFailure(this.config, target, ctx, failure, done + attemptNumber, errors);
          },
        },
      );
    } catch (error) {
      throw error instanceof Failed ? error.failure : error;
    }
  }
}

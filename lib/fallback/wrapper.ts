import { type CallContext, emit, runCallback, throwIfAborted } from '../context.js';
import { ContentFilterError, FallbackError, LLMError, RetryError } from '../errors/classes.js';
import { describeValue, LLM, type LLMRequest, WrapperLLM } from '../llm.js';
import { checkInterrupt, type InterruptMode } from '../retry/config.js';
import { raceAbort } from '../sleep.js';
import type { Reply, StreamChunk } from '../types.js';
import { RESET, relay } from '../stream.js';
import { checkFunction } from '../validate.js';
import { checkFallbackOptions, type FallbackOptions } from './options.js';

/**
 * The default condition: every `LLMError` but a content-policy refusal, which another model would
 * refuse too. A `RetryError` falls back as its `lastError` does (DESIGN §3): an exhausted retry of
 * a `ContentFilterError` (made retryable with `retryOn`) is still a refusal.
 */
export function fallsBackByDefault(error: unknown): boolean {
  let decisive = error;
  while (decisive instanceof RetryError) decisive = decisive.lastError;
  return decisive instanceof LLMError && !(decisive instanceof ContentFilterError);
}

/** `withFallbacks`' wrapper: tries its primary (`inner`), then each of `fallbacks` in order. */
export class FallbackLLM extends WrapperLLM {
  readonly fallbacks: readonly LLM[];
  readonly #condition: (error: unknown) => boolean;
  readonly #onFallback: FallbackOptions['onFallback'];
  readonly #onInterrupt: InterruptMode;

  constructor(inner: LLM, fallbacks: readonly LLM[], options: FallbackOptions = {}) {
    super(inner);
    if (!Array.isArray(fallbacks) || fallbacks.length === 0) {
      throw new TypeError(`\`fallbacks\` must be a non-empty array of LLMs, got ${describeValue(fallbacks)}`);
    }
    fallbacks.forEach((llm, i) => {
      if (!(llm instanceof LLM))
        throw new TypeError(`\`fallbacks[${i}]\` must be an LLM, got ${describeValue(llm)}`);
    });
    checkFallbackOptions(options);
    checkFunction('fallbackCondition', options.fallbackCondition);
    checkFunction('onFallback', options.onFallback);
    this.fallbacks = Object.freeze([...fallbacks]);
    this.#condition = options.fallbackCondition ?? fallsBackByDefault;
    this.#onFallback = options.onFallback;
    this.#onInterrupt = checkInterrupt(options.onInterrupt);
    Object.freeze(this);
  }

  describe(): string {
    return `fallback(${[this.inner, ...this.fallbacks].map((llm) => llm.describe()).join(', ')})`;
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const chain = [this.inner, ...this.fallbacks];
    const errors: unknown[] = [];
    for (let i = 0; ; i++) {
      try {
        return await chain[i]!._ask(request, ctx);
      } catch (error) {
        await this.#next(ctx, chain, i, error, errors);
      }
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const chain = [this.inner, ...this.fallbacks];
    const errors: unknown[] = [];
    for (let i = 0; ; i++) {
      const stream = chain[i]!._stream(request, ctx);
      let first: IteratorResult<StreamChunk, Reply>;
      try {
        first = await stream.next(); // before the first chunk, a failure falls back invisibly
      } catch (error) {
        await this.#next(ctx, chain, i, error, errors);
        continue;
      }
      if (first.done) return first.value;
      try {
        return yield* relay(stream, first.value);
      } catch (error) {
        if (this.#onInterrupt !== 'restart') throw error;
        await this.#next(ctx, chain, i, error, errors);
      }
      yield RESET;
    }
  }

  /** After `chain[i]` failed: resolves when `chain[i + 1]` should be tried, else throws what the caller must see. */
  async #next(
    ctx: CallContext,
    chain: readonly LLM[],
    i: number,
    error: unknown,
    errors: unknown[],
  ): Promise<void> {
    throwIfAborted(ctx);
    errors.push(error);
    if (!this.#condition(error)) throw error;
    const next = chain[i + 1];
    if (next === undefined) throw new FallbackError(errors, [...ctx.attempts]);
    emit(ctx, 'fallback', { error, from: chain[i]!.describe(), to: next.describe() });
    const onFallback = this.#onFallback;
    if (onFallback)
      await raceAbort(
        runCallback(ctx, 'onFallback', () => onFallback(error, next)),
        ctx.signal,
      );
  }
}

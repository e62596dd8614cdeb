import { isLLM } from '../brand.js';
import { type CallContext, emit, runCallback, throwIfAborted } from '../context.js';
import { ContentFilterError, FallbackError, LLMError, RetryError } from '../errors/classes.js';
import type { LLM } from '../llm.js';
import { sequence } from '../middleware/explain.js';
import { BUILT_IN } from '../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../middleware/types.js';
import { raceAbort } from '../sleep.js';
import type { Reply, StreamChunk } from '../types.js';
import { checkInterrupt, type InterruptMode, RESET, relay } from '../stream.js';
import { checkFunction, describeValue } from '../validate.js';
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

/**
 * `fallback(llms, options)`, the middleware `withFallbacks` adds: tries its inner LLM (the
 * primary), then each of `llms` in order.
 *
 * @example
 * primary.use(fallback([backup], { onFallback: (e, next) => log.info(next.describe()) })); // = primary.withFallbacks([backup], …)
 */
export function fallback(llms: readonly LLM[], options?: FallbackOptions): FallbackMiddleware {
  return new FallbackMiddleware(llms, options);
}

/** The middleware `fallback()` makes; `fallbacks` (also its `routes`) are the LLMs after the primary. */
export class FallbackMiddleware implements LLMMiddleware {
  readonly name = 'fallback';
  readonly fallbacks: readonly LLM[];
  readonly routes: readonly LLM[];
  /** @internal */
  readonly [BUILT_IN] = true;
  readonly #condition: (error: unknown) => boolean;
  readonly #onFallback: FallbackOptions['onFallback'];
  readonly #onInterrupt: InterruptMode;

  constructor(fallbacks: readonly LLM[], options: FallbackOptions = {}) {
    if (!Array.isArray(fallbacks) || fallbacks.length === 0) {
      throw new TypeError(`\`fallbacks\` must be a non-empty array of LLMs, got ${describeValue(fallbacks)}`);
    }
    fallbacks.forEach((llm, i) => {
      if (!isLLM(llm)) throw new TypeError(`\`fallbacks[${i}]\` must be an LLM, got ${describeValue(llm)}`);
    });
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`fallback options must be an object, got ${describeValue(options)}`);
    checkFallbackOptions(options);
    checkFunction('fallbackCondition', options.fallbackCondition);
    checkFunction('onFallback', options.onFallback);
    this.fallbacks = Object.freeze([...fallbacks]);
    this.routes = this.fallbacks;
    this.#condition = options.fallbackCondition ?? fallsBackByDefault;
    this.#onFallback = options.onFallback;
    this.#onInterrupt = checkInterrupt(options.onInterrupt);
    Object.freeze(this);
  }

  describe(inner: string): string {
    return `fallback(${[inner, ...this.fallbacks.map((llm) => llm.describe())].join(', ')})`;
  }

  explain(inner: ExplainNode, routes: readonly ExplainNode[]) {
    return sequence([inner, ...routes]);
  }

  async wrapAsk(
    request: LLMRequest,
    next: (request: LLMRequest, ctx: CallContext) => Promise<Reply>,
    ctx: CallContext,
    inner: LLM,
  ): Promise<Reply> {
    const errors: unknown[] = [];
    for (let i = 0; ; i++) {
      try {
        return await (i === 0 ? next(request, ctx) : ctx.via(this.fallbacks[i - 1]!).ask(request));
      } catch (error) {
        await this.#next(ctx, inner, i, error, errors);
      }
    }
  }

  async *wrapStream(
    request: LLMRequest,
    next: (request: LLMRequest, ctx: CallContext) => AsyncGenerator<StreamChunk, Reply, undefined>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const errors: unknown[] = [];
    for (let i = 0; ; i++) {
      const stream = i === 0 ? next(request, ctx) : ctx.via(this.fallbacks[i - 1]!).stream(request);
      let first: IteratorResult<StreamChunk, Reply>;
      try {
        first = await stream.next(); // before the first chunk, a failure falls back invisibly
      } catch (error) {
        await this.#next(ctx, inner, i, error, errors);
        continue;
      }
      if (first.done) return first.value;
      try {
        return yield* relay(stream, first.value);
      } catch (error) {
        if (this.#onInterrupt !== 'restart') throw error;
        await this.#next(ctx, inner, i, error, errors);
      }
      yield RESET;
    }
  }

  /** After LLM `i` failed (0 = the primary): resolves when LLM `i + 1` should be tried, else throws what the caller must see. */
  async #next(ctx: CallContext, primary: LLM, i: number, error: unknown, errors: unknown[]): Promise<void> {
    throwIfAborted(ctx);
    errors.push(error);
    if (!this.#condition(error)) throw error;
    const next = this.fallbacks[i];
    if (next === undefined) throw new FallbackError(errors, [...ctx.attempts]);
    const from = i === 0 ? primary : this.fallbacks[i - 1]!;
    emit(ctx, 'fallback', { error, from: from.describe(), to: next.describe() });
    const onFallback = this.#onFallback;
    if (onFallback)
      await raceAbort(
        runCallback(ctx, 'onFallback', () => onFallback(error, next)),
        ctx.signal,
      );
  }
}

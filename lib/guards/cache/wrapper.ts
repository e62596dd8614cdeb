import { type CallContext, emit, throwIfAborted } from '../../context.js';
import { describeValue, type LLM, type LLMRequest, WrapperLLM } from '../../llm.js';
import { raceAbort } from '../../sleep.js';
import type { Reply, StreamChunk } from '../../types.js';
import { type CacheRequest, cacheKey, cacheRequest } from './key.js';
import { replayChunks } from './replay.js';
import { type CacheOptions, ResponseCache } from './store.js';

export { chunksOf } from './replay.js';

/**
 * `withCache`'s wrapper: answers from a {@link ResponseCache} when it can, and stores the
 * complete replies of its inner LLM otherwise. A failed call, or a stream that was cut or
 * left early, stores nothing. A hit makes no request: its reply has `attempts: []` (the
 * call's history: no request was made) and a `cacheHit` event says so.
 */
export class CacheLLM extends WrapperLLM {
  readonly cache: ResponseCache;

  constructor(inner: LLM, cache: ResponseCache | CacheOptions = {}) {
    super(inner);
    if (typeof cache !== 'object' || cache === null) {
      throw new TypeError(
        `\`withCache\` takes a ResponseCache or cache options, got ${describeValue(cache)}`,
      );
    }
    this.cache = cache instanceof ResponseCache ? cache : new ResponseCache(cache);
    Object.freeze(this);
  }

  describe(): string {
    return `cache(${this.inner.describe()})`;
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    throwIfAborted(ctx);
    const keyed = cacheRequest(this.provider, this.model, request);
    const key = cacheKey(keyed);
    const pending = this.cache.coalesce ? this.cache._pending(key) : undefined;
    if (pending) {
      const shared = await raceAbort(pending, ctx.signal);
      this.cache._count(shared !== undefined);
      if (shared) return this.#hit(ctx, key, shared);
      emit(ctx, 'cacheMiss', this.#event(key));
    } else {
      const stored = this.cache._lookup(key);
      if (stored) return this.#hit(ctx, key, stored);
      emit(ctx, 'cacheMiss', this.#event(key));
    }
    const settle = this.cache.coalesce && !pending ? this.cache._lead(key) : undefined;
    let stored: Reply | undefined;
    try {
      const reply = await this.inner._ask(request, ctx);
      stored = this.#store(ctx, key, keyed, reply);
      return reply;
    } finally {
      settle?.(stored);
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    throwIfAborted(ctx);
    const keyed = cacheRequest(this.provider, this.model, request);
    const key = cacheKey(keyed);
    const stored = this.cache._lookup(key);
    if (stored) {
      const reply = this.#hit(ctx, key, stored);
      yield* replayChunks(reply);
      return reply;
    }
    emit(ctx, 'cacheMiss', this.#event(key));
    // Reached only when the inner stream returns its reply: a cut or an early exit never stores.
    const reply = yield* this.inner._stream(request, ctx);
    this.#store(ctx, key, keyed, reply);
    return reply;
  }

  #hit(ctx: CallContext, key: string, stored: Reply): Reply {
    emit(ctx, 'cacheHit', this.#event(key));
    return { ...stored, attempts: ctx.attempts };
  }

  #store(ctx: CallContext, key: string, keyed: CacheRequest, reply: Reply): Reply | undefined {
    try {
      return this.cache._store(key, keyed, reply);
    } catch (error) {
      // A throwing `shouldCache` stores nothing and never fails the call.
      if (ctx.buses.length > 0) emit(ctx, 'callbackError', { callback: 'shouldCache', error });
      else console.warn('llm-resilience: shouldCache threw; the reply was not cached.', error);
      return undefined;
    }
  }

  #event(key: string) {
    return { key, model: this.model, provider: this.provider };
  }
}

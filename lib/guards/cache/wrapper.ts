import { type CallContext, emit, throwIfAborted } from '../../context.js';
import { describeValue, type LLM, type LLMRequest, WrapperLLM } from '../../llm.js';
import { raceAbort } from '../../sleep.js';
import type { Reply, StreamChunk } from '../../types.js';
import { type CacheRequest, cacheKey, cacheRequest } from './key.js';
import { isPromiseLike } from './entry.js';
import { type CacheLookup, type CacheOptions, ResponseCache } from './store.js';
import { type StaleCall, staleReply, streamOrStale } from './stale.js';

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
    let found: CacheLookup | undefined;
    if (pending) {
      const shared = await raceAbort(pending, ctx.signal);
      this.cache._count(shared !== undefined);
      if (shared) return this.#hit(ctx, key, shared);
      emit(ctx, 'cacheMiss', this.#event(key));
    }
    // Marked in flight before an asynchronous store answers, so identical calls wait for this one.
    const settle = this.cache.coalesce && !pending ? this.cache._lead(key) : undefined;
    let stored: Reply | undefined;
    try {
      if (!pending) {
        const looked = this.cache._lookup(key);
        found = isPromiseLike(looked) ? await looked : looked;
        if (found?.fresh) return this.#hit(ctx, key, (stored = found.reply));
        emit(ctx, 'cacheMiss', this.#event(key));
      }
      const reply = await this.inner._ask(request, ctx);
      stored = this.#store(ctx, key, keyed, reply);
      return reply;
    } catch (error) {
      // ── stale-if-error (see stale.ts) ──
      const stale = found && staleReply(this.#staleCall(ctx, key, found), error);
      if (stale) return stale;
      throw error;
    } finally {
      settle?.(stored);
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    throwIfAborted(ctx);
    const keyed = cacheRequest(this.provider, this.model, request);
    const key = cacheKey(keyed);
    const looked = this.cache._lookup(key);
    const found = isPromiseLike(looked) ? await looked : looked;
    if (found?.fresh) {
      const reply = this.#hit(ctx, key, found.reply);
      for (const text of chunksOf(reply.text)) yield { type: 'text', text };
      return reply;
    }
    emit(ctx, 'cacheMiss', this.#event(key));
    const inner = this.inner._stream(request, ctx);
    // Reached only when the inner stream returns its reply: a cut or an early exit never stores.
    const reply =
      found && this.cache.staleIfError > 0 // ── stale-if-error: a stream failing before its first chunk (stale.ts) ──
        ? yield* streamOrStale(inner, this.#staleCall(ctx, key, found), chunksOf)
        : yield* inner;
    if (reply.cached === 'stale') return reply;
    this.#store(ctx, key, keyed, reply);
    return reply;
  }

  #hit(ctx: CallContext, key: string, stored: Reply): Reply {
    emit(ctx, 'cacheHit', this.#event(key));
    return { ...stored, attempts: ctx.attempts, cached: 'hit' };
  }

  #staleCall(ctx: CallContext, key: string, found: CacheLookup): StaleCall {
    return { cache: this.cache, key, found, ctx, model: this.model, provider: this.provider };
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

/** A cached text as stream chunks: one per word with the whitespace before it; joined, the exact text. */
export function chunksOf(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

import { type CallContext, emit, throwIfAborted } from '../../context.js';
import type { LLM } from '../../llm.js';
import { BUILT_IN } from '../../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../../middleware/types.js';
import { raceAbort } from '../../sleep.js';
import type { Reply, StreamChunk } from '../../types.js';
import { describeValue } from '../../validate.js';
import { type CacheRequest, cacheKey, cacheRequest } from './key.js';
import { isPromiseLike } from './entry.js';
import { replayChunks } from './replay.js';
import { type CacheLookup, type CacheOptions, ResponseCache } from './store.js';
import { type StaleCall, staleReply, streamOrStale } from './stale.js';

export { chunksOf } from './replay.js';

/**
 * `cache(responses | options)`, the middleware `withCache` adds: answers from a
 * {@link ResponseCache} when it can, and stores the complete replies of its inner LLM
 * otherwise. A failed call, or a stream that was cut or left early, stores nothing. A hit
 * makes no request: its reply has `attempts: []` (the call's history: no request was made)
 * and a `cacheHit` event says so.
 *
 * @example
 * const shared = new ResponseCache({ ttl: 60_000 });
 * a.use(cache(shared)); // = a.withCache(shared)
 */
export function cache(responses: ResponseCache | CacheOptions = {}): CacheMiddleware {
  if (typeof responses !== 'object' || responses === null) {
    throw new TypeError(
      `\`withCache\` takes a ResponseCache or cache options, got ${describeValue(responses)}`,
    );
  }
  return new CacheMiddleware(responses instanceof ResponseCache ? responses : new ResponseCache(responses));
}

/** The middleware `cache()` makes; `cache` is its (possibly shared) store of replies. */
export class CacheMiddleware implements LLMMiddleware {
  readonly name = 'cache';
  readonly cache: ResponseCache;
  readonly guards: readonly ResponseCache[];
  /** @internal */
  readonly [BUILT_IN] = true;

  constructor(responses: ResponseCache) {
    this.cache = responses;
    this.guards = Object.freeze([responses]);
    Object.freeze(this);
  }

  /** A hit makes no request; the worst case is a miss. */
  explain(inner: ExplainNode) {
    return { ...inner, children: [inner] };
  }

  wrapAsk(
    request: LLMRequest,
    next: (request: LLMRequest, ctx: CallContext) => Promise<Reply>,
    ctx: CallContext,
    inner: LLM,
  ): Promise<Reply> {
    try {
      throwIfAborted(ctx);
      const keyed = cacheRequest(inner.provider, inner.model, request, inner._answerScope());
      const call: AskCall = { request, next, ctx, inner, keyed, key: cacheKey(keyed) };
      const pending = this.cache.coalesce ? this.cache._pending(call.key) : undefined;
      const looked = pending ? undefined : this.cache._lookup(call.key);
      if (pending || isPromiseLike(looked)) return this.#askSlow(call, pending, looked);
      // The usual case, an in-process store and nobody else asking the same: a promise chain, no async frame.
      return this.#askAfterLookup(call, looked);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A synchronous store answered `found`: a fresh hit, or the live call. */
  #askAfterLookup(call: AskCall, found: CacheLookup | undefined): Promise<Reply> {
    const { ctx, inner, key } = call;
    if (found?.fresh) return Promise.resolve(hit(ctx, inner, key, found.reply));
    emit(ctx, 'cacheMiss', event(inner, key));
    // Marked in flight, so identical calls meanwhile wait for this one.
    return this.#live(call, found, this.cache.coalesce ? this.cache._lead(key) : undefined);
  }

  /** A call that waits: on an identical call in flight (coalescing) or on an asynchronous store. */
  async #askSlow(
    call: AskCall,
    pending: Promise<Reply | undefined> | undefined,
    looked: Promise<CacheLookup | undefined> | CacheLookup | undefined,
  ): Promise<Reply> {
    const { ctx, inner, key } = call;
    if (pending) {
      const shared = await raceAbort(pending, ctx.signal);
      this.cache._count(shared !== undefined);
      if (shared) return hit(ctx, inner, key, shared);
      emit(ctx, 'cacheMiss', event(inner, key));
      return this.#live(call, undefined, undefined);
    }
    // Marked in flight before an asynchronous store answers, so identical calls wait for this one.
    const settle = this.cache.coalesce ? this.cache._lead(key) : undefined;
    let found: CacheLookup | undefined;
    try {
      found = await looked;
    } catch (error) {
      settle?.(undefined);
      throw error;
    }
    if (found?.fresh) {
      settle?.(found.reply);
      return hit(ctx, inner, key, found.reply);
    }
    emit(ctx, 'cacheMiss', event(inner, key));
    return this.#live(call, found, settle);
  }

  /**
   * The live call of a miss: its reply is stored (and handed to the calls waiting on this one);
   * a failure may be answered from the expired entry `found` (stale-if-error, see stale.ts).
   */
  #live(
    { request, next, ctx, inner, keyed, key }: AskCall,
    found: CacheLookup | undefined,
    settle: ((stored: Reply | undefined) => void) | undefined,
  ): Promise<Reply> {
    let pending: Promise<Reply>;
    try {
      pending = next(request, ctx);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (reply) => {
        const stored = this.#store(ctx, key, keyed, reply); // (not inside `settle?.()`: it would be skipped)
        settle?.(stored);
        return reply;
      },
      (error: unknown) => {
        settle?.(undefined);
        const stale = found && staleReply(staleCall(this.cache, ctx, inner, key, found), error);
        if (stale) return stale;
        throw error;
      },
    );
  }

  async *wrapStream(
    request: LLMRequest,
    next: (request: LLMRequest, ctx: CallContext) => AsyncGenerator<StreamChunk, Reply, undefined>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    throwIfAborted(ctx);
    const keyed = cacheRequest(inner.provider, inner.model, request, inner._answerScope());
    const key = cacheKey(keyed);
    const looked = this.cache._lookup(key);
    const found = isPromiseLike(looked) ? await looked : looked;
    if (found?.fresh) {
      const reply = hit(ctx, inner, key, found.reply);
      yield* replayChunks(reply);
      return reply;
    }
    emit(ctx, 'cacheMiss', event(inner, key));
    const chunks = next(request, ctx);
    // Reached only when the inner stream returns its reply: a cut or an early exit never stores.
    const reply =
      found && this.cache.staleIfError > 0 // ── stale-if-error: a stream failing before its first chunk (stale.ts) ──
        ? yield* streamOrStale(chunks, staleCall(this.cache, ctx, inner, key, found), replayChunks)
        : yield* chunks;
    if (reply.cached === 'stale') return reply;
    this.#store(ctx, key, keyed, reply);
    return reply;
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
}

/** One `ask` through the cache: the call, and its key. */
interface AskCall {
  readonly request: LLMRequest;
  readonly next: (request: LLMRequest, ctx: CallContext) => Promise<Reply>;
  readonly ctx: CallContext;
  readonly inner: LLM;
  readonly keyed: CacheRequest;
  readonly key: string;
}

function hit(ctx: CallContext, inner: LLM, key: string, stored: Reply): Reply {
  emit(ctx, 'cacheHit', event(inner, key));
  return { ...stored, attempts: ctx.attempts, cached: 'hit' };
}

function staleCall(
  cache: ResponseCache,
  ctx: CallContext,
  inner: LLM,
  key: string,
  found: CacheLookup,
): StaleCall {
  return { cache, key, found, ctx, model: inner.model, provider: inner.provider };
}

function event(inner: LLM, key: string) {
  return { key, model: inner.model, provider: inner.provider };
}

import { brand } from '../../brand.js';
import type { Reply } from '../../types.js';
import { checkDuration, checkFunction, checkInteger, checkOptionKeys, optionNames } from '../../validate.js';
import type { CacheRequest } from './key.js';
import { type CacheEntry, type CacheStore, isPromiseLike } from './entry.js';
import { MemoryCacheStore } from './memory.js';

/** Options of a {@link ResponseCache} (and of `withCache(options)`). */
export interface CacheOptions {
  /**
   * How long a reply stays fresh, in ms; `0` keeps it until it is evicted.
   * @default 3_600_000 (one hour)
   */
  readonly ttl?: number;
  /**
   * How many replies the default in-process store keeps; the least recently used goes first.
   * Ignored with a `store` (which bounds itself).
   * @default 1000
   */
  readonly maxEntries?: number;
  /**
   * Stale-if-error, in ms: an expired reply is kept this much longer (counted from its expiry)
   * and served — marked `reply.cached = 'stale'` — when the live call fails with an error a
   * fallback chain would fall back on (any `LLMError` but `ContentFilterError`, a `RetryError` or
   * `FallbackError` made only of such errors included; for a stream, only before its first
   * chunk). Never after the caller's abort or the call's deadline. `0` serves nothing stale.
   * @default 0
   */
  readonly staleIfError?: number;
  /**
   * Where replies are kept: the in-process LRU by default, or a shared store such as
   * `new RedisCacheStore({ client })` (every process then shares one cache).
   * @default new MemoryCacheStore({ maxEntries })
   */
  readonly store?: CacheStore;
  /**
   * Whether a successful reply is stored. The default, {@link cachesByDefault}, stores every
   * reply unless the call asked for sampling (`temperature > 0`).
   */
  readonly shouldCache?: (request: CacheRequest, reply: Reply) => boolean;
  /**
   * Single-flight for `ask()`: while a miss is in flight, identical `ask()` calls wait for
   * it and take its reply if it is stored; if it fails or is not stored, each waiter makes
   * its own call (errors and cancellation are never shared). Streams never wait.
   * @default false
   */
  readonly coalesce?: boolean;
}

/** `staleIfError` and `store` are the names the degrade work (DESIGN §11) adds. */
const CACHE_KEYS = optionNames<CacheOptions, 'staleIfError' | 'store'>({
  ttl: true,
  maxEntries: true,
  shouldCache: true,
  coalesce: true,
  staleIfError: true,
  store: true,
});
const NO_ATTEMPTS: readonly never[] = Object.freeze([]);

/** What a cache has served. `hitRate` is `hits / (hits + misses)`, `null` before any lookup. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Expired replies served because the live call failed (`staleIfError`); each was first a miss. */
  readonly stale: number;
  readonly hitRate: number | null;
  /** Replies stored now (`undefined` for a store that cannot tell cheaply, e.g. Redis). */
  readonly size: number | undefined;
}

/** What a lookup found: a stored reply, and whether it is still fresh. @internal */
export interface CacheLookup {
  readonly reply: Reply;
  readonly fresh: boolean;
  /** Epoch ms until which the reply may be served stale. */
  readonly staleUntil: number;
}

/**
 * The default {@link CacheOptions.shouldCache}: every complete reply, unless the call set
 * `temperature` above 0. A call that asks for sampling asks for a fresh draw each time;
 * serving it one frozen sample forever would quietly undo that. Calls that leave
 * `temperature` unset are cached: adding a cache says repeated prompts may share an answer.
 * The check sees call options only, not a temperature set on the provider's constructor —
 * pass your own `shouldCache` (e.g. `() => true`) to decide otherwise.
 */
export function cachesByDefault(request: CacheRequest, _reply: Reply): boolean {
  return request.temperature === undefined || request.temperature === 0;
}

/**
 * A cache of complete replies: LRU with a TTL in this process by default, or any
 * {@link CacheStore} (e.g. `RedisCacheStore`). Pass one object to several LLMs to share it on
 * purpose; `withCache(options)` makes a private one.
 *
 * @example
 * const cache = new ResponseCache({ ttl: 10 * 60_000, maxEntries: 500, staleIfError: 60 * 60_000 });
 * const a = new OpenAILLM('gpt-4o').withCache(cache);
 * const b = new OpenAILLM('gpt-4o', { timeout: 5_000 }).withRetry(2).withCache(cache); // same answers
 * cache.stats(); // { hits, misses, stale, hitRate, size }
 */
export class ResponseCache {
  readonly ttl: number;
  readonly maxEntries: number;
  readonly staleIfError: number;
  readonly coalesce: boolean;
  readonly store: CacheStore;
  readonly shouldCache: (request: CacheRequest, reply: Reply) => boolean;
  readonly #pending = new Map<string, Promise<Reply | undefined>>();
  readonly #counts = { hits: 0, misses: 0, stale: 0 };

  constructor(options: CacheOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`cache options must be an object, got ${String(options)}`);
    checkOptionKeys('cache options', options, CACHE_KEYS);
    const { ttl = 3_600_000, maxEntries = 1000, staleIfError = 0, shouldCache, coalesce = false } = options;
    checkDuration('ttl', ttl);
    checkInteger('maxEntries', maxEntries, 1);
    checkDuration('staleIfError', staleIfError);
    checkFunction('shouldCache', shouldCache);
    if (typeof coalesce !== 'boolean')
      throw new TypeError(`\`coalesce\` must be a boolean, got ${String(coalesce)}`);
    const { store } = options;
    if (
      store !== undefined &&
      (typeof store !== 'object' || store === null || typeof store.get !== 'function')
    )
      throw new TypeError(`\`store\` must be a CacheStore (e.g. a RedisCacheStore), got ${String(store)}`);
    this.ttl = ttl;
    this.maxEntries = maxEntries;
    this.staleIfError = staleIfError;
    this.coalesce = coalesce;
    this.store = store ?? new MemoryCacheStore({ maxEntries });
    this.shouldCache = shouldCache ?? cachesByDefault;
    Object.freeze(this);
  }

  /** Hits, misses, stale serves and size so far. */
  stats(): CacheStats {
    const { hits, misses, stale } = this.#counts;
    const total = hits + misses;
    return { hits, misses, stale, hitRate: total === 0 ? null : hits / total, size: this.store.size };
  }

  /** Forgets every stored reply (the counts stay). */
  clear(): void | Promise<void> {
    return this.store.clear();
  }

  /** Forgets one stored reply by its key (see `cacheKey`); true if there was one. */
  delete(key: string): boolean | Promise<boolean> {
    return this.store.delete(key);
  }

  /** @internal The stored entry under `key`, fresh or stale, counting a hit (fresh) or a miss. */
  _lookup(key: string): CacheLookup | undefined | Promise<CacheLookup | undefined> {
    const found = this.store.get(key);
    if (isPromiseLike(found)) return found.then((entry) => this.#found(entry));
    return this.#found(found);
  }

  /** @internal Counts a lookup settled elsewhere (a coalesced wait). */
  _count(hit: boolean): void {
    if (hit) this.#counts.hits++;
    else this.#counts.misses++;
  }

  /** @internal Counts a stale reply served. */
  _countStale(): void {
    this.#counts.stale++;
  }

  /** @internal Stores a reply if `shouldCache` allows; returns what was stored. Throws what `shouldCache` throws. */
  _store(key: string, request: CacheRequest, reply: Reply): Reply | undefined {
    if (this.shouldCache(request, reply) !== true) return undefined;
    const stored = storedReply(reply);
    const fresh = this.ttl > 0;
    const entry = { reply: stored, expiresAt: fresh ? Date.now() + this.ttl : Infinity };
    const done = this.store.set(key, entry, fresh ? this.ttl + this.staleIfError : Infinity);
    // A store never fails a call: a write it could not make is a later miss.
    if (isPromiseLike(done)) done.catch(() => {});
    return stored;
  }

  /** @internal The in-flight miss for `key`, when coalescing. */
  _pending(key: string): Promise<Reply | undefined> | undefined {
    return this.#pending.get(key);
  }

  /** @internal Marks a miss in flight; call the returned function with what was stored when it settles. */
  _lead(key: string): (stored: Reply | undefined) => void {
    let settle!: (stored: Reply | undefined) => void;
    const flight = new Promise<Reply | undefined>((resolve) => (settle = resolve));
    this.#pending.set(key, flight);
    return (stored) => {
      if (this.#pending.get(key) === flight) this.#pending.delete(key);
      settle(stored);
    };
  }

  #found(entry: CacheEntry | undefined): CacheLookup | undefined {
    if (entry === undefined) {
      this.#counts.misses++;
      return undefined;
    }
    const fresh = Date.now() < entry.expiresAt;
    if (fresh) this.#counts.hits++;
    else this.#counts.misses++;
    return { reply: entry.reply, fresh, staleUntil: entry.expiresAt + this.staleIfError };
  }
}

// Shared on purpose between LLMs: `instanceof ResponseCache` holds across copies of the package.
brand(ResponseCache, 'ResponseCache');

/**
 * The reply as the cache keeps it: no attempts, no cached mark, frozen. One object literal with every
 * field of `Reply` (the type makes a new field a compile error here until it is copied): a spread that
 * adds a key, `{ ...reply, cached: undefined }`, costs V8 its fast path, and freezing that copy too.
 */
function storedReply(r: Reply): Reply {
  const stored: Record<keyof Reply, unknown> = {
    text: r.text,
    content: r.content,
    toolCalls: r.toolCalls,
    model: r.model,
    provider: r.provider,
    usage: r.usage,
    stopReason: r.stopReason,
    finishReason: r.finishReason,
    object: r.object,
    choice: r.choice,
    cached: undefined,
    raw: r.raw,
    attempts: NO_ATTEMPTS,
  };
  return Object.freeze(stored) as unknown as Reply;
}

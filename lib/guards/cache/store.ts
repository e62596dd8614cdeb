import { brand } from '../../brand.js';
import { LRUCache } from 'lru-cache';
import type { Reply } from '../../types.js';
import { checkDuration, checkFunction, checkInteger, checkOptionKeys, optionNames } from '../../validate.js';
import type { CacheRequest } from './key.js';

/** Options of a {@link ResponseCache} (and of `withCache(options)`). */
export interface CacheOptions {
  /**
   * How long a reply stays fresh, in ms; `0` keeps it until it is evicted.
   * @default 3_600_000 (one hour)
   */
  readonly ttl?: number;
  /**
   * How many replies are kept; the least recently used goes first.
   * @default 1000
   */
  readonly maxEntries?: number;
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

/** What a cache has served. `hitRate` is `hits / (hits + misses)`, `null` before any lookup. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number | null;
  /** Replies stored now. */
  readonly size: number;
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
 * A store of complete replies (LRU with a TTL, over `lru-cache`). Pass one object to several
 * LLMs to share it on purpose; `withCache(options)` makes a private one.
 *
 * @example
 * const cache = new ResponseCache({ ttl: 10 * 60_000, maxEntries: 500 });
 * const a = new OpenAILLM('gpt-4o').withCache(cache);
 * const b = new OpenAILLM('gpt-4o', { timeout: 5_000 }).withRetry(2).withCache(cache); // same answers
 * cache.stats(); // { hits, misses, hitRate, size }
 */
export class ResponseCache {
  readonly ttl: number;
  readonly maxEntries: number;
  readonly coalesce: boolean;
  readonly shouldCache: (request: CacheRequest, reply: Reply) => boolean;
  readonly #entries: LRUCache<string, Reply>;
  readonly #pending = new Map<string, Promise<Reply | undefined>>();
  readonly #counts = { hits: 0, misses: 0 };

  constructor(options: CacheOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`cache options must be an object, got ${String(options)}`);
    checkOptionKeys('cache options', options, CACHE_KEYS);
    const { ttl = 3_600_000, maxEntries = 1000, shouldCache, coalesce = false } = options;
    checkDuration('ttl', ttl);
    checkInteger('maxEntries', maxEntries, 1);
    checkFunction('shouldCache', shouldCache);
    if (typeof coalesce !== 'boolean')
      throw new TypeError(`\`coalesce\` must be a boolean, got ${String(coalesce)}`);
    this.ttl = ttl;
    this.maxEntries = maxEntries;
    this.coalesce = coalesce;
    this.shouldCache = shouldCache ?? cachesByDefault;
    this.#entries = new LRUCache<string, Reply>({
      max: maxEntries,
      ...(ttl > 0 ? { ttl: Math.ceil(ttl) } : {}),
      // Date.now (which fake timers control) and no staleness timer of its own.
      perf: { now: () => Date.now() },
      ttlResolution: 0,
    });
    Object.freeze(this);
  }

  /** Hits, misses and size so far. */
  stats(): CacheStats {
    const { hits, misses } = this.#counts;
    const total = hits + misses;
    return { hits, misses, hitRate: total === 0 ? null : hits / total, size: this.#entries.size };
  }

  /** Forgets every stored reply (the counts stay). */
  clear(): void {
    this.#entries.clear();
  }

  /** Forgets one stored reply by its key (see `cacheKey`); true if there was one. */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** @internal A stored reply, counting a hit or a miss. */
  _lookup(key: string): Reply | undefined {
    const reply = this.#entries.get(key);
    this.#count(reply !== undefined);
    return reply;
  }

  /** @internal Counts a lookup settled elsewhere (a coalesced wait). */
  _count(hit: boolean): void {
    this.#count(hit);
  }

  /** @internal Stores a reply if `shouldCache` allows; returns what was stored. Throws what `shouldCache` throws. */
  _store(key: string, request: CacheRequest, reply: Reply): Reply | undefined {
    if (this.shouldCache(request, reply) !== true) return undefined;
    const stored: Reply = Object.freeze({ ...reply, attempts: Object.freeze([]) });
    this.#entries.set(key, stored);
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

  #count(hit: boolean): void {
    if (hit) this.#counts.hits++;
    else this.#counts.misses++;
  }
}

// Shared on purpose between LLMs: `instanceof ResponseCache` holds across copies of the package.
brand(ResponseCache, 'ResponseCache');

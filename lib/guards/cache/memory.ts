import { LRUCache } from 'lru-cache';
import { checkInteger } from '../../validate.js';
import type { CacheEntry, CacheStore } from './entry.js';

/**
 * The default {@link CacheStore}: an LRU in this process (over `lru-cache`), holding at most
 * `maxEntries` entries, each for its own retention time. Time is `Date.now()` (which fake timers
 * control); no timer runs.
 *
 * @example
 * const cache = new ResponseCache({ store: new MemoryCacheStore({ maxEntries: 500 }) });
 */
export class MemoryCacheStore implements CacheStore {
  readonly name = 'memory';
  readonly maxEntries: number;
  readonly #entries: LRUCache<string, CacheEntry>;

  constructor(options: { readonly maxEntries?: number } = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`MemoryCacheStore options must be an object, got ${String(options)}`);
    const { maxEntries = 1000 } = options;
    checkInteger('maxEntries', maxEntries, 1);
    this.maxEntries = maxEntries;
    this.#entries = new LRUCache<string, CacheEntry>({
      max: maxEntries,
      perf: { now: () => Date.now() },
      ttlResolution: 0,
    });
    Object.freeze(this);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  set(key: string, entry: CacheEntry, retainMs: number): void {
    this.#entries.set(key, entry, Number.isFinite(retainMs) ? { ttl: Math.max(1, Math.ceil(retainMs)) } : {});
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

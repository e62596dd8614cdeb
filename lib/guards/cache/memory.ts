import { LRUCache } from 'lru-cache';
import { checkInteger } from '../../validate.js';
import type { CacheEntry, CacheStore } from './entry.js';

interface Held {
  readonly entry: CacheEntry;
  readonly dropAt: number;
}

/**
 * The default {@link CacheStore}: an LRU in this process (over `lru-cache`), holding at most
 * `maxEntries` entries, each for its own retention time (an expired entry is dropped when read, or
 * evicted as least recently used). Time is `Date.now()` (which fake timers control); no timer runs.
 *
 * @example
 * const cache = new ResponseCache({ store: new MemoryCacheStore({ maxEntries: 500 }) });
 */
export class MemoryCacheStore implements CacheStore {
  readonly name = 'memory';
  readonly maxEntries: number;
  /** Entries with the time (Date.now) they are dropped; checked on read, so no TTL bookkeeping runs per write. */
  readonly #entries: LRUCache<string, Held>;

  constructor(options: { readonly maxEntries?: number } = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`MemoryCacheStore options must be an object, got ${String(options)}`);
    const { maxEntries = 1000 } = options;
    checkInteger('maxEntries', maxEntries, 1);
    this.maxEntries = maxEntries;
    this.#entries = new LRUCache<string, Held>({ max: maxEntries });
    Object.freeze(this);
  }

  /** Entries held now (an expired one counts until it is read or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry under `key`, or `undefined` (dropping it if its retention has passed). */
  get(key: string): CacheEntry | undefined {
    const held = this.#entries.get(key);
    if (held === undefined) return undefined;
    if (Date.now() < held.dropAt) return held.entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Keeps `entry` for `retainMs` ms (`Infinity`: until evicted). */
  set(key: string, entry: CacheEntry, retainMs: number): void {
    this.#entries.set(key, { entry, dropAt: Date.now() + retainMs });
  }

  /** Forgets one entry; true if there was one. */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
  }
}

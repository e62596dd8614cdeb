/**
 * What a cache store keeps, and the contract of a store: the in-process LRU
 * ({@link MemoryCacheStore}, the default) and Redis ({@link RedisCacheStore}) implement it.
 */
import type { Reply } from '../../types.js';

/** A stored reply and when it stops being fresh. */
export interface CacheEntry {
  /** The reply as stored (no `attempts`, no `cached` mark). */
  readonly reply: Reply;
  /** Epoch ms (`Date.now()`) after which the entry is stale; `Infinity` never. */
  readonly expiresAt: number;
}

/**
 * Where a {@link ResponseCache} keeps its entries. Methods may answer synchronously (the
 * in-process store) or with a promise (a network store). A store never throws on the call
 * path: a `get` that cannot answer resolves to `undefined` (a miss), a `set` that cannot store
 * drops the entry.
 */
export interface CacheStore {
  /** Names the store in reports, e.g. `'memory'`, `'redis'`. */
  readonly name: string;
  /** The entry under `key` (fresh or stale), or `undefined`. */
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /** Stores `entry` under `key` for `retainMs` ms from now (`Infinity`: until evicted). */
  set(key: string, entry: CacheEntry, retainMs: number): void | Promise<void>;
  /** Forgets one entry; true if there was one (as far as the store can tell). */
  delete(key: string): boolean | Promise<boolean>;
  /** Forgets every entry of this store. */
  clear(): void | Promise<void>;
  /** Entries held now, when the store can tell cheaply (in-process); `undefined` otherwise. */
  readonly size: number | undefined;
}

/** The version of the stored reply's shape; a value of another version is a miss. */
export const ENTRY_VERSION = 1;

/**
 * Whether a value read back from a store is a reply of the shape this version writes: text,
 * model, provider, usage counts and finish reason. Anything else (an older or newer release's
 * value, a foreign key) is treated as a miss.
 */
export function isStoredReply(value: unknown): value is Reply {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const usage = r.usage as Record<string, unknown> | null | undefined;
  return (
    typeof r.text === 'string' &&
    typeof r.model === 'string' &&
    (r.provider === 'openai' || r.provider === 'anthropic') &&
    typeof r.finishReason === 'string' &&
    typeof usage === 'object' &&
    usage !== null &&
    typeof usage.inputTokens === 'number' &&
    typeof usage.outputTokens === 'number' &&
    typeof usage.totalTokens === 'number'
  );
}

/** True for a promise (or any thenable) — the store answered asynchronously. */
export function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

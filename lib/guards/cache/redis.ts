import { checkRedisConnection, type RedisClientLike } from '../store/redis.js';
import { bounded, Reachability } from '../store/reachability.js';
import { checkInteger, checkOptionKeys, optionNames } from '../../validate.js';
import { type CacheEntry, type CacheStore, ENTRY_VERSION, isStoredReply } from './entry.js';
import {
  CACHE_CLEAR,
  CACHE_DELETE,
  CACHE_GET,
  CACHE_SET,
  CACHE_SIZE,
  type CacheScript,
} from './redis-scripts.js';

/** Options of a {@link RedisCacheStore}. Durations in ms. */
export interface RedisCacheStoreOptions {
  /** A connected (or connecting) ioredis client, yours to configure and close (the one your `RedisStateStore` uses will do). */
  readonly client: RedisClientLike;
  /** Starts every key, so several applications can share one Redis. @default 'llm-resilience' */
  readonly prefix?: string;
  /** Names this cache among others on the same prefix. @default 'cache' */
  readonly name?: string;
  /**
   * The most entries kept. Over it, each write drops the entries closest to expiry (with one
   * `ttl` for all, the oldest written) — a bound on the count, on top of Redis' own `maxmemory`
   * policy, which still applies.
   * @default 10000
   */
  readonly maxEntries?: number;
  /** A reply whose stored form is larger than this many bytes is not stored. @default 1000000 */
  readonly maxValueBytes?: number;
  /** The longest a read may take; slower is a miss. @default 100 */
  readonly timeout?: number;
  /** After a failed or slow call, how long reads miss at once and writes are dropped, before one tries Redis again. @default 1000 */
  readonly retryInterval?: number;
}

const CACHE_STORE_KEYS = optionNames<RedisCacheStoreOptions>({
  client: true,
  prefix: true,
  name: true,
  maxEntries: true,
  maxValueBytes: true,
  timeout: true,
  retryInterval: true,
});

/** Connection statuses on which a command would only wait in ioredis' offline queue. */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/**
 * A {@link CacheStore} in Redis, shared by every process whose `ResponseCache` uses a store with
 * the same `prefix` and `name`: one process's answer is every process's hit.
 *
 * - **Keys**: `<prefix>:cache:{<name>}:<cache key>` (the reply) and `<prefix>:cache:{<name>}` (a
 *   sorted set indexing the entries by expiry, for the size bound). The `{name}` hash tag keeps a
 *   cache in one Redis Cluster slot.
 * - **Expiry** by Redis TTL: an entry lives `ttl + staleIfError` (its freshness is read back from
 *   the key's remaining TTL, on Redis' clock).
 * - **Size**: at most `maxEntries` (see there) and `maxValueBytes` per reply.
 * - **Versioned values**: `{ v, s, r }` JSON; a value of another version or shape is a miss.
 * - **Failures are misses**: a read that fails, or takes longer than `timeout`, is a miss; a write
 *   that fails is dropped. Neither ever fails a call. After a failure, Redis is left alone for
 *   `retryInterval` (reads miss at once), then one call tries it again.
 *
 * @example
 * import Redis from 'ioredis';
 * const client = new Redis(process.env.REDIS_URL);
 * const llm = new OpenAILLM('gpt-4o').withCache({ ttl: 10 * 60_000, store: new RedisCacheStore({ client, prefix: 'my-app' }) });
 */
export class RedisCacheStore implements CacheStore {
  readonly name = 'redis';
  readonly client: RedisClientLike;
  readonly prefix: string;
  readonly cacheName: string;
  readonly maxEntries: number;
  readonly maxValueBytes: number;
  readonly timeout: number;
  readonly retryInterval: number;
  readonly #index: string;
  readonly #reach: Reachability;

  constructor(options: RedisCacheStoreOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`RedisCacheStore options must be an object, got ${String(options)}`);
    checkOptionKeys('RedisCacheStore options', options, CACHE_STORE_KEYS);
    const {
      client,
      prefix = 'llm-resilience',
      name = 'cache',
      maxEntries = 10_000,
      maxValueBytes = 1_000_000,
      timeout = 100,
      retryInterval = 1_000,
    } = options;
    checkRedisConnection({ client, prefix, timeout, retryInterval });
    if (typeof name !== 'string' || name === '')
      throw new TypeError(`\`name\` must be a non-empty string, got ${JSON.stringify(name)}`);
    checkInteger('maxEntries', maxEntries, 1);
    checkInteger('maxValueBytes', maxValueBytes, 1);
    this.client = client;
    this.prefix = prefix;
    this.cacheName = name;
    this.maxEntries = maxEntries;
    this.maxValueBytes = maxValueBytes;
    this.timeout = timeout;
    this.retryInterval = retryInterval;
    this.#index = `${prefix}:cache:{${name}}`;
    this.#reach = new Reachability(retryInterval);
    Object.freeze(this);
  }

  /** Redis cannot tell the size cheaply on every `stats()`: see {@link count}. */
  get size(): undefined {
    return undefined;
  }

  /** Failed or timed-out Redis calls so far, and whether reads currently miss without trying. */
  health(): { readonly failures: number; readonly degraded: boolean; readonly lastError?: unknown } {
    const { failures, degraded, lastError } = this.#reach;
    return { failures, degraded, ...(degraded ? { lastError } : {}) };
  }

  /** Entries held and not expired (one Redis call); `undefined` when Redis does not answer. */
  async count(): Promise<number | undefined> {
    const n = await this.#call(CACHE_SIZE, [this.#index], []);
    return n === undefined ? undefined : Number(n);
  }

  /** The entry under `key` (one Redis call, bounded by `timeout`); `undefined` on a miss, another version or a failure. */
  async get(key: string): Promise<CacheEntry | undefined> {
    const reply = await this.#call(CACHE_GET, [this.#key(key)], []);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') return undefined;
    return decode(reply[0], Number(reply[1]));
  }

  /** Stores `entry` for `retainMs` ms (Redis TTL), within `maxEntries` and `maxValueBytes`; a failure drops it. Never rejects. */
  async set(key: string, entry: CacheEntry, retainMs: number): Promise<void> {
    const finite = Number.isFinite(retainMs);
    const retain = finite ? Math.max(1, Math.ceil(retainMs)) : 0;
    const staleMs =
      finite && Number.isFinite(entry.expiresAt) ? Math.max(0, retain - (entry.expiresAt - Date.now())) : 0;
    let value: string;
    try {
      value = JSON.stringify({ v: ENTRY_VERSION, s: Math.round(staleMs), r: entry.reply });
    } catch {
      return; // a reply that cannot be written as JSON is not shared
    }
    if (Buffer.byteLength(value) > this.maxValueBytes) return;
    await this.#call(CACHE_SET, [this.#key(key), this.#index], [value, retain, this.maxEntries]);
  }

  /** Forgets one entry; true if Redis had it (false when Redis does not answer). */
  async delete(key: string): Promise<boolean> {
    return Number(await this.#call(CACHE_DELETE, [this.#key(key), this.#index], [])) === 1;
  }

  /** Forgets every entry of this cache (`prefix` and `name`). */
  async clear(): Promise<void> {
    await this.#call(CACHE_CLEAR, [this.#index], []);
  }

  #key(key: string): string {
    return `${this.#index}:${key}`;
  }

  /** One script, bounded by `timeout`; `undefined` when Redis fails, is slow or is known to be down. */
  async #call(s: CacheScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const reach = this.#reach;
    if (DOWN.has(this.client.status)) {
      reach.down(new Error(`the Redis connection is ${this.client.status}`));
      return undefined;
    }
    const admitted = reach.admit();
    if (admitted === 'skip') return undefined;
    try {
      const answer = await bounded(() => this.#eval(s, keys, args), this.timeout, 'Redis');
      reach.up();
      return answer;
    } catch (error) {
      reach.down(error);
      return undefined;
    } finally {
      if (admitted === 'probe') reach.endProbe();
    }
  }

  /** `EVALSHA`, or `EVAL` when Redis does not know the script (a restart empties its cache). */
  async #eval(s: CacheScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(s.source, keys.length, ...keys, ...args);
    }
  }
}

/** A stored value back into an entry; `undefined` (a miss) for another version or shape. */
function decode(value: string, pttl: number): CacheEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const { v, s, r } = (parsed ?? {}) as { v?: unknown; s?: unknown; r?: unknown };
  if (v !== ENTRY_VERSION || typeof s !== 'number' || !isStoredReply(r)) return undefined;
  const expiresAt = pttl >= 0 ? Date.now() + pttl - s : Infinity;
  return { reply: Object.freeze({ ...r, attempts: Object.freeze([]) }), expiresAt };
}

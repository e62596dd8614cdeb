/**
 * The Lua scripts of `RedisCacheStore`: each read or write is one atomic step. Redis' own clock
 * (`TIME`) scores the size index, so process clocks never decide what expires.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for `EVALSHA`. */
export interface CacheScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): CacheScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** KEYS[1] the entry. → false, or { value, pttl } (pttl -1: no expiry). */
export const CACHE_GET = script(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
return { v, redis.call('PTTL', KEYS[1]) }
`);

/**
 * KEYS[1] the entry, KEYS[2] the index (sorted set of entry keys by expiry). ARGV: value,
 * retainMs (0: no expiry), maxEntries. Stores the entry, forgets expired index members, and
 * over maxEntries drops the entries closest to expiry (with one TTL for all: the oldest written).
 */
export const CACHE_SET = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local retain = tonumber(ARGV[2])
local expiry = 9007199254740991
if retain > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', retain)
  expiry = now + retain
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], expiry, KEYS[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local victims = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, key in ipairs(victims) do redis.call('DEL', key) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return 1
`);

/** KEYS[1] the entry, KEYS[2] the index. → 1 if the entry existed. */
export const CACHE_DELETE = script(`
redis.call('ZREM', KEYS[2], KEYS[1])
return redis.call('DEL', KEYS[1])
`);

/** KEYS[1] the index. Deletes every indexed entry and the index. → how many entries. */
export const CACHE_CLEAR = script(`
local keys = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, key in ipairs(keys) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #keys
`);

/** KEYS[1] the index. → entries indexed and not yet expired. */
export const CACHE_SIZE = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`);

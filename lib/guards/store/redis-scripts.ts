/**
 * The Lua scripts of `RedisStateStore`. Redis runs each one atomically, so every read-modify-write
 * of a breaker or a limiter is one step no other process can interleave with.
 *
 * Clock: every script reads the Redis server's clock (`TIME`) and stores absolute times in it only.
 * Processes get back durations (a wait, the time left before half-open), which they measure on
 * their own clocks, so a process whose clock is skewed cannot move a window or an open period.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for `EVALSHA`. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
`;

// ── Circuit breaker: KEYS[1] a hash (state, epoch, failures, successes, openedAt); KEYS[2] a
// sorted set of probe leases scored by their expiry. A missing hash is a closed circuit. ──

/** ARGV: recoveryTimeout, halfOpenMaxCalls, lease ('' = only read), leaseMs, ttlMs. → state, epoch, failures, probes, retryAfterMs, admitted */
export const CIRCUIT_ADMIT = script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'failures', 'openedAt')
local state = h[1] or 'closed'
local epoch = tonumber(h[2] or '0')
local failures = tonumber(h[3] or '0')
local openedAt = tonumber(h[4] or '0')
local recovery = tonumber(ARGV[1])
if state == 'open' and now >= openedAt + recovery then
  state = 'half_open'
  epoch = epoch + 1
  failures = 0
  redis.call('HSET', KEYS[1], 'state', state, 'epoch', epoch, 'failures', 0, 'successes', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
local probes = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local retry = 0
if state == 'open' then retry = math.ceil(openedAt + recovery - now) end
local admitted = 'refused'
if state == 'closed' then
  admitted = 'call'
elseif state == 'half_open' and ARGV[3] ~= '' and probes < tonumber(ARGV[2]) then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  probes = probes + 1
  admitted = 'probe'
end
return {state, epoch, failures, probes, retry, admitted}
`);

/** ARGV: epoch, outcome, lease ('' = none), failureThreshold, successThreshold, ttlMs, recoveryTimeout. → state, epoch, failures, probes, retryAfterMs */
export const CIRCUIT_SETTLE = script(`${NOW}
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
local h = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'failures', 'successes', 'openedAt')
local state = h[1] or 'closed'
local epoch = tonumber(h[2] or '0')
local failures = tonumber(h[3] or '0')
local successes = tonumber(h[4] or '0')
local openedAt = tonumber(h[5] or '0')
local function move(to)
  state = to
  epoch = epoch + 1
  failures = 0
  successes = 0
  if to == 'open' then openedAt = now end
  redis.call('HSET', KEYS[1], 'state', state, 'epoch', epoch, 'failures', 0, 'successes', 0, 'openedAt', openedAt)
end
local outcome = ARGV[2]
if tonumber(ARGV[1]) == epoch and outcome ~= 'neutral' then
  if state == 'closed' then
    if outcome == 'success' then
      if failures > 0 then
        failures = 0
        redis.call('HSET', KEYS[1], 'failures', 0)
      end
    else
      failures = failures + 1
      if failures >= tonumber(ARGV[4]) then move('open') else redis.call('HSET', KEYS[1], 'failures', failures) end
    end
  elseif state == 'half_open' then
    if outcome == 'failure' then
      move('open')
    else
      successes = successes + 1
      if successes >= tonumber(ARGV[5]) then move('closed') else redis.call('HSET', KEYS[1], 'successes', successes) end
    end
  end
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
end
local probes = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local retry = 0
if state == 'open' then retry = math.max(0, math.ceil(openedAt + tonumber(ARGV[7]) - now)) end
return {state, epoch, failures, probes, retry}
`);

/** ARGV: ttlMs. → state, epoch, failures, probes, retryAfterMs */
export const CIRCUIT_RESET = script(`${NOW}
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') + 1
redis.call('HSET', KEYS[1], 'state', 'closed', 'epoch', epoch, 'failures', 0, 'successes', 0, 'openedAt', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {'closed', epoch, 0, redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'), 0}
`);

// ── Rate limiter: KEYS[1] a sorted set of calls (member: id, score: start, in server ms; a
// reservation waits at a future score); KEYS[2] a hash id → tokens, with the running total of the
// log under '#sum'; KEYS[3] the provider-pacing hold (until when, server ms). ARGV[1] is always
// windowMs. Each script touches only the calls that leave the window and, when a limit binds, the
// oldest calls it must outwait: O(log n) per call in the steady state, never a scan of the window. ──

/** Drops calls no window ending now or later can contain; defines earliest(). */
const WINDOW = `${NOW}
local window = tonumber(ARGV[1])
local horizon = now - window
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
  local dropped = 0
  for i = 1, #expired, 500 do
    local last = math.min(i + 499, #expired)
    for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(expired, i, last))) do dropped = dropped + (tonumber(v) or 0) end
    redis.call('HDEL', KEYS[2], unpack(expired, i, last))
  end
  if redis.call('ZCARD', KEYS[1]) == 0 then
    redis.call('HDEL', KEYS[2], '#sum')
  elseif dropped ~= 0 then
    redis.call('HINCRBYFLOAT', KEYS[2], '#sum', -dropped)
  end
end
-- The earliest start, at or after now, the hold and every call logged (so waiting callers keep
-- their order), at which one more call of tokens fits in the window ending there; nil: never.
-- The oldest calls are outwaited, in start order, until the call fits.
local function earliest(tokens, maxRequests, maxTokens)
  if (maxTokens >= 0 and tokens > maxTokens) or maxRequests == 0 then return nil end
  local n = redis.call('ZCARD', KEYS[1])
  local sum = tonumber(redis.call('HGET', KEYS[2], '#sum') or '0') or 0
  local start = math.max(now, tonumber(redis.call('GET', KEYS[3]) or '0') or 0)
  if n > 0 then start = math.max(start, tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])) end
  local requests = n
  local i = 0
  local tooMany = function() return maxRequests >= 0 and requests + 1 > maxRequests end
  local tooHeavy = function() return maxTokens >= 0 and sum + tokens > maxTokens end
  if tooMany() and not tooHeavy() then
    -- Only the request limit binds: the call waits for the (n + 1 - maxRequests)-th oldest to leave.
    local k = requests + 1 - maxRequests
    local e = redis.call('ZRANGE', KEYS[1], k - 1, k - 1, 'WITHSCORES')
    return math.max(start, tonumber(e[2]) + window)
  end
  while i < n and (tooMany() or tooHeavy()) do
    local chunk = redis.call('ZRANGE', KEYS[1], i, i + 99, 'WITHSCORES')
    local ids = {}
    for j = 1, #chunk, 2 do ids[#ids + 1] = chunk[j] end
    local values = redis.call('HMGET', KEYS[2], unpack(ids))
    for j = 1, #ids do
      if not (tooMany() or tooHeavy()) then break end
      requests = requests - 1
      sum = sum - (tonumber(values[j]) or 0)
      start = math.max(start, tonumber(chunk[2 * j]) + window)
      i = i + 1
    end
  end
  return start
end
`;

/** ARGV: windowMs, maxRequests (-1: none), maxTokens (-1: none), tokens, maxWait, id, dry ('1': only check). → code (1 reserved / fits, 0 refused, -1 never fits), waitMs */
export const WINDOW_RESERVE = script(`${WINDOW}
local tokens = tonumber(ARGV[4])
local start = earliest(tokens, tonumber(ARGV[2]), tonumber(ARGV[3]))
if start == nil then return {-1, 0} end
local wait = math.ceil(start - now)
if ARGV[7] == '1' then return {1, wait} end
if wait > tonumber(ARGV[5]) then return {0, wait} end
redis.call('ZADD', KEYS[1], start, ARGV[6])
redis.call('HSET', KEYS[2], ARGV[6], ARGV[4])
if tokens ~= 0 then redis.call('HINCRBYFLOAT', KEYS[2], '#sum', tokens) end
local ttl = math.ceil(start - now + window) + 1000
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, wait}
`);

/** ARGV: windowMs, id. → ms left before the reservation starts (0: now), -1 when it is gone */
export const WINDOW_LEFT = script(`${NOW}
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score then return -1 end
return math.max(0, math.ceil(tonumber(score) - now))
`);

/** ARGV: windowMs, id. */
export const WINDOW_REMOVE = script(`
if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then
  local tokens = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') or 0
  redis.call('HDEL', KEYS[2], ARGV[2])
  if tokens ~= 0 then redis.call('HINCRBYFLOAT', KEYS[2], '#sum', -tokens) end
end
return 1
`);

/** ARGV: windowMs, id, tokens. */
export const WINDOW_ADJUST = script(`
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  local delta = tonumber(ARGV[3]) - (tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') or 0)
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  if delta ~= 0 then redis.call('HINCRBYFLOAT', KEYS[2], '#sum', delta) end
end
return 1
`);

/**
 * ARGV: windowMs, holdMs. Holds every start until now + holdMs, and moves every waiting
 * reservation later by one amount, so none starts before then: a rigid shift keeps each window
 * within its limits. → 1 when the hold moved, 0 when an existing one lasts longer
 */
export const WINDOW_HOLD = script(`${NOW}
local window = tonumber(ARGV[1])
local hold = tonumber(ARGV[2])
local untilAt = now + hold
if untilAt <= (tonumber(redis.call('GET', KEYS[3]) or '0') or 0) then return 0 end
redis.call('SET', KEYS[3], untilAt, 'PX', math.ceil(hold))
local waiting = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
if #waiting == 0 then return 1 end
local delay = untilAt - tonumber(waiting[2])
if delay > 0 then
  for i = 1, #waiting, 2 do redis.call('ZADD', KEYS[1], tonumber(waiting[i + 1]) + delay, waiting[i]) end
  local ttl = math.ceil(tonumber(waiting[#waiting]) + delay - now + window) + 1000
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
`);

/** ARGV: windowMs. → requests, tokens (a string), queued, heldForMs */
export const WINDOW_USAGE = script(`${WINDOW}
local requests = redis.call('ZCOUNT', KEYS[1], '-inf', now)
local waiting = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local tokens = tonumber(redis.call('HGET', KEYS[2], '#sum') or '0') or 0
for i = 1, #waiting, 500 do
  for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(waiting, i, math.min(i + 499, #waiting)))) do
    tokens = tokens - (tonumber(v) or 0)
  end
end
local hold = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
return {requests, tostring(tokens), #waiting, math.max(0, math.ceil(hold - now))}
`);

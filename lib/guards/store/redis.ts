import { checkDuration, checkInteger, checkOptionKeys, optionNames } from '../../validate.js';
import type { CircuitState } from '../circuit-breaker/options.js';
import {
  CIRCUIT_ADMIT,
  CIRCUIT_RESET,
  CIRCUIT_SETTLE,
  type Script,
  WINDOW_ADJUST,
  WINDOW_HOLD,
  WINDOW_LEFT,
  WINDOW_REMOVE,
  WINDOW_RESERVE,
  WINDOW_USAGE,
} from './redis-scripts.js';
import type {
  CircuitSettings,
  SharedCircuit,
  SharedCircuitAdmission,
  SharedCircuitView,
  SharedReservation,
  SharedWindow,
  SharedWindowUsage,
  StateStore,
  WindowSettings,
} from './types.js';

/**
 * The part of an `ioredis` client (`Redis` or `Cluster`, ioredis 5 or 6) the store uses. Declared
 * here so that applications that never use Redis need not install ioredis.
 */
export interface RedisClientLike {
  /** ioredis' connection status: `'ready'`, `'connecting'`, `'reconnecting'`, `'end'`… */
  readonly status: string;
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of a {@link RedisStateStore}. Durations in ms. */
export interface RedisStateStoreOptions {
  /**
   * A connected (or connecting) ioredis client, yours to configure and close. Attach an `'error'`
   * listener to it (ioredis logs unhandled connection errors). The store never queues work on a
   * connection it knows is down (`status` `'reconnecting'`, `'close'`, `'end'`): such a call fails
   * at once and the guard's `onStoreError` policy decides.
   */
  readonly client: RedisClientLike;
  /** Starts every key, so several applications can share one Redis. @default 'llm-resilience' */
  readonly prefix?: string;
  /** The longest one store call may take before the guard's `onStoreError` policy decides. @default 100 */
  readonly timeout?: number;
  /** After a failed call, how long calls apply the policy at once before one tries Redis again. @default 1000 */
  readonly retryInterval?: number;
  /** How long a half-open probe holds its slot at most, should its process die before it ends. @default 60000 */
  readonly probeLease?: number;
  /** How long a breaker's keys outlive its `recoveryTimeout` after their last change. @default 600000 */
  readonly idleTtl?: number;
}

const STORE_KEYS = optionNames<RedisStateStoreOptions>({
  client: true,
  prefix: true,
  timeout: true,
  retryInterval: true,
  probeLease: true,
  idleTtl: true,
});

/** Connection statuses on which a command would only wait in ioredis' offline queue. */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/**
 * @internal The checks both Redis stores make of their connection options: an ioredis client, a
 * non-empty key prefix, a store `timeout` above 0 and a `retryInterval`, each a `TypeError` /
 * `RangeError` naming the option.
 */
export function checkRedisConnection(options: {
  readonly client: unknown;
  readonly prefix: unknown;
  readonly timeout: number;
  readonly retryInterval: number;
}): void {
  const { client, prefix, timeout, retryInterval } = options;
  const c = client as Partial<RedisClientLike> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.evalsha !== 'function' ||
    typeof c.eval !== 'function'
  ) {
    throw new TypeError(`\`client\` must be an ioredis client (Redis or Cluster), got ${String(client)}`);
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(`\`prefix\` must be a non-empty string, got ${JSON.stringify(prefix)}`);
  }
  checkDuration('timeout', timeout);
  if (timeout === 0) throw new RangeError('`timeout` must be > 0 ms, got 0');
  checkDuration('retryInterval', retryInterval);
}

/**
 * Breaker and limiter state in Redis, shared by every process that builds a guard with the same
 * `name` on a store with the same `prefix`. Each operation is one Lua script (`EVALSHA`, falling
 * back to `EVAL` after a Redis restart empties the script cache), so it is atomic.
 *
 * **Keys** (the `{name}` hash tag keeps a guard's keys in one Redis Cluster slot):
 * - `<prefix>:cb:{<name>}` — a breaker's hash: `state`, `epoch`, `failures`, `successes`, `openedAt`.
 *   Expires `recoveryTimeout + idleTtl` after its last change (a forgotten breaker is a closed one).
 * - `<prefix>:cb:{<name>}:probes` — half-open probe leases (sorted set by expiry); expires after `probeLease`.
 * - `<prefix>:rl:{<name>}` and `…:tokens` — a limiter's sliding-window log (sorted set of call ids
 *   by start time, hash of their tokens); they expire one window after the last call's start.
 * - `<prefix>:rl:{<name>}:hold` — provider pacing: until when every start is held; expires then.
 *
 * **Clock.** Every script reads Redis' own clock (`TIME`); processes only ever receive durations.
 * Skewed process clocks cannot widen a window or shorten an open period.
 *
 * @example
 * import Redis from 'ioredis';
 * const store = new RedisStateStore({ client: new Redis(process.env.REDIS_URL), prefix: 'my-app' });
 * const limiter = new RateLimiter({ name: 'openai', requestsPerMinute: 500, store });
 * const breaker = new CircuitBreaker({ name: 'openai', store, onStoreError: 'fail-open' });
 */
export class RedisStateStore implements StateStore {
  readonly name = 'redis';
  readonly client: RedisClientLike;
  readonly prefix: string;
  readonly timeout: number;
  readonly retryInterval: number;
  readonly probeLease: number;
  readonly idleTtl: number;

  constructor(options: RedisStateStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`RedisStateStore options must be an object, got ${String(options)}`);
    }
    checkOptionKeys('RedisStateStore options', options, STORE_KEYS);
    const {
      client,
      prefix = 'llm-resilience',
      timeout = 100,
      retryInterval = 1_000,
      probeLease = 60_000,
      idleTtl = 600_000,
    } = options;
    checkRedisConnection({ client, prefix, timeout, retryInterval });
    checkInteger('probeLease', probeLease, 1);
    checkInteger('idleTtl', idleTtl, 1);
    this.client = client;
    this.prefix = prefix;
    this.timeout = timeout;
    this.retryInterval = retryInterval;
    this.probeLease = probeLease;
    this.idleTtl = idleTtl;
    Object.freeze(this);
  }

  circuit(name: string, settings: CircuitSettings): SharedCircuit {
    const tag = `${this.prefix}:cb:{${name}}`;
    const keys = [tag, `${tag}:probes`];
    const { failureThreshold, recoveryTimeout, halfOpenMaxCalls, successThreshold } = settings;
    const ttl = Math.ceil(recoveryTimeout) + this.idleTtl;
    const lease = this.probeLease;
    const run = (s: Script, args: (string | number)[]): Promise<unknown[]> => this.#run(s, keys, args);
    return {
      admit: async (id) =>
        toAdmission(await run(CIRCUIT_ADMIT, [recoveryTimeout, halfOpenMaxCalls, id, lease, ttl])),
      read: async () => toView(await run(CIRCUIT_ADMIT, [recoveryTimeout, halfOpenMaxCalls, '', lease, ttl])),
      settle: async (epoch, outcome, id) =>
        toView(
          await run(CIRCUIT_SETTLE, [
            epoch,
            outcome,
            id ?? '',
            failureThreshold,
            successThreshold,
            ttl,
            recoveryTimeout,
          ]),
        ),
      reset: async () => toView(await run(CIRCUIT_RESET, [ttl])),
    };
  }

  window(name: string, settings: WindowSettings): SharedWindow {
    const tag = `${this.prefix}:rl:{${name}}`;
    const keys = [tag, `${tag}:tokens`, `${tag}:hold`];
    const { windowMs } = settings;
    const maxRequests = settings.maxRequests ?? -1;
    const maxTokens = settings.maxTokens ?? -1;
    const run = (s: Script, args: (string | number)[]): Promise<unknown[]> =>
      this.#run(s, keys, [windowMs, ...args]);
    const reserve = (id: string, tokens: number, maxWait: number, dry: boolean) =>
      run(WINDOW_RESERVE, [maxRequests, maxTokens, tokens, maxWait, id, dry ? '1' : '0']);
    return {
      reserve: async (id, tokens, maxWait): Promise<SharedReservation> => {
        const [code, wait] = await reserve(id, tokens, maxWait, false);
        if (code === -1) return { reserved: false, waitMs: Infinity };
        return { reserved: code === 1, waitMs: Number(wait) };
      },
      check: async (tokens) => {
        const [code, wait] = await reserve('', tokens, 0, true);
        return code === -1 ? Infinity : Number(wait);
      },
      waitLeft: async (id) => {
        const left = Number(await this.#eval(WINDOW_LEFT, keys, [windowMs, id]));
        return left < 0 ? undefined : left;
      },
      remove: async (id) => {
        await this.#eval(WINDOW_REMOVE, keys, [windowMs, id]);
      },
      adjust: async (id, tokens) => {
        await this.#eval(WINDOW_ADJUST, keys, [windowMs, id, tokens]);
      },
      hold: async (ms) => {
        await this.#eval(WINDOW_HOLD, keys, [windowMs, ms]);
      },
      usage: async (): Promise<SharedWindowUsage> => {
        const [requests, tokens, queued, heldForMs] = await run(WINDOW_USAGE, []);
        return {
          requests: Number(requests),
          tokens: Number(tokens),
          queued: Number(queued),
          heldForMs: Number(heldForMs),
        };
      },
    };
  }

  async #run(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown[]> {
    const reply = await this.#eval(s, keys, args);
    if (!Array.isArray(reply)) throw new TypeError(`unexpected reply from Redis: ${String(reply)}`);
    return reply;
  }

  /** `EVALSHA`, or `EVAL` when Redis does not know the script (a restart empties its cache). */
  async #eval(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const { client } = this;
    if (DOWN.has(client.status)) throw new Error(`the Redis connection is ${client.status}`);
    try {
      return await client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(s.source, keys.length, ...keys, ...args);
    }
  }
}

const STATES: ReadonlySet<string> = new Set<CircuitState>(['closed', 'open', 'half_open']);

function toView(reply: readonly unknown[]): SharedCircuitView {
  const [state, epoch, failures, probes, retryAfterMs] = reply;
  if (typeof state !== 'string' || !STATES.has(state)) {
    throw new TypeError(`unexpected circuit state from Redis: ${String(state)}`);
  }
  return {
    state: state as CircuitState,
    epoch: Number(epoch),
    failures: Number(failures),
    probes: Number(probes),
    retryAfterMs: Math.max(0, Number(retryAfterMs)),
  };
}

function toAdmission(reply: readonly unknown[]): SharedCircuitAdmission {
  const admitted = reply[5];
  if (admitted !== 'call' && admitted !== 'probe' && admitted !== 'refused') {
    throw new TypeError(`unexpected admission from Redis: ${String(admitted)}`);
  }
  return { ...toView(reply), admitted };
}

/**
 * Where a circuit breaker or a rate limiter keeps its state.
 *
 * - **In memory** (the default, `store` omitted): the guard's own fields, in this process. Every
 *   operation is synchronous: no promise, no I/O, no allocation beyond what the guard needed
 *   before stores existed.
 * - **A shared store** (`store: new RedisStateStore(…)`): the state lives outside the process, so
 *   every process that builds a guard with the same `name` on the same store shares it. Each
 *   operation is one atomic step on the store's side (a Lua script in Redis) and returns a promise.
 *
 * `StateStore` is the contract a shared store implements. The guards bound every call by the
 * store's `timeout`, and decide by their `onStoreError` policy when it fails.
 */
import type { CircuitState } from '../circuit-breaker/options.js';
import type { LLMEvents } from '../../telemetry/events.js';

/**
 * What a guard does when its shared store cannot answer (unreachable, or slower than its `timeout`):
 *
 * - `'fail-open'`: the call goes on under the guard's local, in-process state — the last shared
 *   state a breaker saw, a limiter's own count of this process's calls — so an outage of the store
 *   never stops traffic. Each process then enforces the limits on its own (N processes may send up
 *   to N times a shared limit) until the store answers again.
 * - `'fail-closed'`: the call is refused with `StoreUnavailableError`, sending nothing: the limits
 *   are never exceeded, at the price of availability.
 */
export type StoreErrorPolicy = 'fail-open' | 'fail-closed';

/** The payload of the `storeStatus` event (on the guard's own `on()` and on a chain's event buses). */
export type StoreStatusChange = LLMEvents['storeStatus'];

/** The breaker settings a shared circuit runs its state machine with (the breaker's own options). */
export interface CircuitSettings {
  readonly failureThreshold: number;
  readonly recoveryTimeout: number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
}

/** A shared circuit as the store saw it, at the end of one operation. */
export interface SharedCircuitView {
  readonly state: CircuitState;
  /** One per stay in a state: an outcome from an earlier epoch is ignored. */
  readonly epoch: number;
  /** Consecutive counted failures (closed). */
  readonly failures: number;
  /** Probe slots held now, by every process together. */
  readonly probes: number;
  /** Open: ms until the circuit lets a probe through, by the store's clock. Otherwise 0. */
  readonly retryAfterMs: number;
}

/** The answer to an admission: the view, and whether the call may go (as a plain call or as a probe). */
export interface SharedCircuitAdmission extends SharedCircuitView {
  readonly admitted: 'call' | 'probe' | 'refused';
}

/**
 * One breaker's state in a shared store. Every method is one atomic step, using the store's clock.
 * A probe holds its slot under `lease` until `settle` releases it, or until the store's lease
 * expires (a process that died mid-probe does not hold the slot forever).
 */
export interface SharedCircuit {
  /** Admits a call: moves open → half-open once due; in half-open takes a probe slot if one is free. */
  admit(lease: string): Promise<SharedCircuitAdmission>;
  /** Records how an admitted call ended (a stale `epoch` or `'neutral'` changes nothing) and frees its probe slot. */
  settle(
    epoch: number,
    outcome: 'success' | 'failure' | 'neutral',
    lease: string | undefined,
  ): Promise<SharedCircuitView>;
  /** Reads the state (moving open → half-open once due). */
  read(): Promise<SharedCircuitView>;
  /** Closes the circuit and forgets the counts; probes still running keep their slots. */
  reset(): Promise<SharedCircuitView>;
}

/** The limits a shared window enforces (the limiter's own options). `undefined`: no such limit. */
export interface WindowSettings {
  readonly windowMs: number;
  readonly maxRequests: number | undefined;
  readonly maxTokens: number | undefined;
}

/** The answer to a reservation. */
export interface SharedReservation {
  /** Reserved: the call may start in `waitMs` (0: now). Refused: it would have had to wait `waitMs` (`Infinity`: it can never fit). */
  readonly reserved: boolean;
  readonly waitMs: number;
}

/** A shared window's contents at one moment. */
export interface SharedWindowUsage {
  readonly requests: number;
  readonly tokens: number;
  readonly queued: number;
  readonly heldForMs: number;
}

/**
 * One limiter's sliding-window log in a shared store: calls, each with its start and its tokens,
 * reservations of waiting calls at their future start, and the provider-pacing hold. Every method
 * is one atomic step, using the store's clock.
 */
export interface SharedWindow {
  /** Reserves, under `id`, the earliest start at which one more call of `tokens` fits, if within `maxWait`. */
  reserve(id: string, tokens: number, maxWait: number): Promise<SharedReservation>;
  /** The ms left before reservation `id` may start (provider pacing may have moved it); `undefined` once it is gone. */
  waitLeft(id: string): Promise<number | undefined>;
  /** Takes a reservation out (its caller gave up). */
  remove(id: string): Promise<void>;
  /** Sets the tokens a call counts for (the reply's real usage). */
  adjust(id: string, tokens: number): Promise<void>;
  /** Holds every start for `ms` (the provider said a limit is used up); waiting reservations move later together. */
  hold(ms: number): Promise<void>;
  /** How long a call of `tokens` would wait now (`Infinity`: never fits). Reserves nothing. */
  check(tokens: number): Promise<number>;
  /** What the window ending now holds. */
  usage(): Promise<SharedWindowUsage>;
}

/**
 * A store that shares breaker and limiter state between processes. `RedisStateStore` is one;
 * implement this to put the state elsewhere. A guard calls `circuit`/`window` once, when it is
 * built, with its `name` (the key the state is shared under) and its settings.
 *
 * @example
 * const store = new RedisStateStore({ client: new Redis(process.env.REDIS_URL) });
 * const breaker = new CircuitBreaker({ name: 'openai', store, onStoreError: 'fail-open' });
 */
export interface StateStore {
  /** Names the store in events and errors, e.g. `'redis'`. */
  readonly name: string;
  /** The longest one store call may take (ms) before the guard applies its `onStoreError` policy. */
  readonly timeout: number;
  /** After a failed call, how long (ms) calls apply the policy at once, without trying the store, before one tries again. */
  readonly retryInterval: number;
  circuit(name: string, settings: CircuitSettings): SharedCircuit;
  window(name: string, settings: WindowSettings): SharedWindow;
}

/** Validates a guard's `store` and `onStoreError` options (a `TypeError` naming the option). */
export function checkStoreOptions(
  store: unknown,
  onStoreError: unknown,
  name: string | undefined,
  guard: string,
): void {
  if (store !== undefined) {
    const s = store as Partial<StateStore> | null;
    if (
      typeof s !== 'object' ||
      s === null ||
      typeof s.circuit !== 'function' ||
      typeof s.window !== 'function' ||
      typeof s.name !== 'string' ||
      !(typeof s.timeout === 'number' && s.timeout > 0) ||
      !(typeof s.retryInterval === 'number' && s.retryInterval >= 0)
    ) {
      throw new TypeError(`\`store\` must be a StateStore (e.g. a RedisStateStore), got ${String(store)}`);
    }
    if (name === undefined) {
      throw new TypeError(
        `${guard} with a \`store\` needs a \`name\`: it is the key the state is shared under, got none`,
      );
    }
  }
  if (onStoreError !== undefined && onStoreError !== 'fail-open' && onStoreError !== 'fail-closed') {
    throw new TypeError(
      `\`onStoreError\` must be 'fail-open' or 'fail-closed', got ${JSON.stringify(onStoreError)}`,
    );
  }
}

/**
 * A guard's line to its shared store: bounds every store call by the store's `timeout`, applies
 * the guard's `onStoreError` policy when a call fails, and tracks whether the store is reachable —
 * announcing each change (`degraded`, `recovered`) once, on the guard's emitter and the call's buses.
 *
 * Reachability belongs to the store, not to the guard: every guard on one store (a limiter and a
 * breaker in one chain, guards of several chains) shares it. One store call that fails or times out
 * degrades the store for all of them, so a call through several guards waits at most one `timeout`,
 * and after `retryInterval` one call, of any guard, tries the store again for all.
 */
import { type CallContext, emit } from '../../context.js';
import { StoreUnavailableError } from '../../errors/classes.js';
import { raceAbort } from '../../sleep.js';
import type { Provider } from '../../types.js';
import { bounded, Reachability } from './reachability.js';
import type { StateStore, StoreErrorPolicy, StoreStatusChange } from './types.js';

/** Returned instead of the store's answer when the call goes on under local state (`'fail-open'`). */
export const LOCAL: unique symbol = Symbol('local state');
export type Local = typeof LOCAL;

/** Who is calling, for the error of a refused call. */
export interface StoreCaller {
  readonly provider: Provider;
  readonly model: string;
}

/** The guard a link serves. */
export interface StoreGuard {
  readonly name: string;
  readonly kind: 'circuit_breaker' | 'rate_limiter';
  readonly policy: StoreErrorPolicy;
  /** Emits on the guard's own emitter; returns whether anyone listened. */
  notify(change: StoreStatusChange): boolean;
}

/** A store's reachability, shared by every link to it. */
const REACHABILITY = new WeakMap<StateStore, Reachability>();

function reachabilityOf(store: StateStore): Reachability {
  let health = REACHABILITY.get(store);
  if (health === undefined) {
    health = new Reachability(store.retryInterval);
    REACHABILITY.set(store, health);
  }
  return health;
}

export class StoreLink {
  readonly store: StateStore;
  readonly #guard: StoreGuard;
  readonly #health: Reachability;
  /** What this guard last announced: each guard tells each change once, when it meets it. */
  #toldDegraded = false;

  constructor(store: StateStore, guard: StoreGuard) {
    this.store = store;
    this.#guard = guard;
    this.#health = reachabilityOf(store);
  }

  /** Whether the store's last call (by any guard on it) failed: calls follow the policy until one succeeds. */
  get degraded(): boolean {
    return this.#health.degraded;
  }

  /**
   * Runs a call's store operation: resolves to its answer, to {@link LOCAL} when it failed under
   * `'fail-open'`, or rejects with `StoreUnavailableError` under `'fail-closed'`. Never waits longer
   * than the store's `timeout`. Aborting `ctx.signal` rejects at once with its reason; an answer
   * that arrives later is handed to `release` (to free what it took).
   */
  async call<T>(
    operation: () => Promise<T>,
    ctx: CallContext | undefined,
    who: StoreCaller | undefined,
    release?: (late: T) => void,
  ): Promise<T | Local> {
    const admitted = this.#health.admit();
    if (admitted === 'skip') {
      this.#tell(ctx); // another guard met the outage: this one says so when it first feels it
      return this.#refuse(this.#health.lastError, who);
    }
    const pending = this.#bounded(operation);
    try {
      const value = await raceAbort(pending, ctx?.signal);
      this.#up(ctx);
      return value;
    } catch (error) {
      if (ctx?.signal?.aborted) {
        if (release) pending.then(release, () => {});
        throw error;
      }
      this.#down(error, ctx);
      return this.#refuse(error, who);
    } finally {
      if (admitted === 'probe') this.#health.endProbe();
    }
  }

  /** A background update (an outcome, a token count, a pacing hold): skipped while degraded; a failure degrades. */
  send<T>(operation: () => Promise<T>, ctx: CallContext | undefined, then?: (value: T) => void): void {
    if (this.#health.degraded) return;
    this.#bounded(operation).then(
      (value) => then?.(value),
      (error: unknown) => this.#down(error, ctx),
    );
  }

  /** The policy's answer when the store cannot be used. */
  #refuse(error: unknown, who: StoreCaller | undefined): Local {
    const { policy, kind, name } = this.#guard;
    if (policy === 'fail-open') return LOCAL;
    const what = kind === 'circuit_breaker' ? 'Circuit breaker' : 'Rate limiter';
    throw new StoreUnavailableError(
      `${what} "${name}" cannot reach its ${this.store.name} store (${describe(error)}); onStoreError is 'fail-closed'`,
      name,
      this.store.name,
      { provider: who?.provider, model: who?.model, cause: error },
    );
  }

  #bounded<T>(operation: () => Promise<T>): Promise<T> {
    return bounded(operation, this.store.timeout, `the ${this.store.name} store`);
  }

  #up(ctx: CallContext | undefined): void {
    this.#health.up();
    this.#tell(ctx);
  }

  #down(error: unknown, ctx: CallContext | undefined): void {
    this.#health.down(error);
    this.#tell(ctx);
  }

  /** Announces the store's state on this guard if it has not told it yet. */
  #tell(ctx: CallContext | undefined): void {
    const { degraded, lastError } = this.#health;
    if (degraded === this.#toldDegraded) return;
    this.#toldDegraded = degraded;
    this.#announce(degraded ? 'degraded' : 'recovered', lastError, ctx);
  }

  #announce(status: 'degraded' | 'recovered', error: unknown, ctx: CallContext | undefined): void {
    const { name, kind, policy } = this.#guard;
    const change: StoreStatusChange = {
      guard: name,
      kind,
      store: this.store.name,
      status,
      policy,
      ...(status === 'degraded' ? { error } : {}),
    };
    const heard = this.#guard.notify(change);
    if (ctx && ctx.buses.length > 0) emit(ctx, 'storeStatus', change);
    else if (!heard) {
      const what = kind === 'circuit_breaker' ? 'circuit breaker' : 'rate limiter';
      console.warn(
        status === 'degraded'
          ? `llm-resilience: ${what} "${name}" lost its ${this.store.name} store (${describe(error)}); calls ${policy === 'fail-open' ? 'go on under local state' : 'are refused'} until it answers.`
          : `llm-resilience: ${what} "${name}" reaches its ${this.store.name} store again.`,
      );
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

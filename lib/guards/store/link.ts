/**
 * A guard's line to its shared store: bounds every store call by the store's `timeout`, applies
 * the guard's `onStoreError` policy when a call fails, and tracks whether the store is reachable —
 * announcing each change (`degraded`, `recovered`) once, on the guard's emitter and the call's buses.
 */
import { type CallContext, emit } from '../../context.js';
import { StoreUnavailableError } from '../../errors/classes.js';
import { raceAbort, setTimer } from '../../sleep.js';
import type { Provider } from '../../types.js';
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

/** A store call that gave no answer within the store's `timeout`. */
class StoreTimeout extends Error {
  override readonly name = 'StoreTimeout';
}

export class StoreLink {
  readonly store: StateStore;
  readonly #guard: StoreGuard;
  #degraded = false;
  #lastError: unknown;
  /** While degraded: when (performance.now) one call may try the store again. */
  #retryAt = 0;
  #trying = false;

  constructor(store: StateStore, guard: StoreGuard) {
    this.store = store;
    this.#guard = guard;
  }

  /** Whether the last store call failed (calls follow the policy until one succeeds). */
  get degraded(): boolean {
    return this.#degraded;
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
    const trying = this.#degraded; // the one call that tries a degraded store again
    if (trying) {
      if (this.#trying || performance.now() < this.#retryAt) return this.#refuse(this.#lastError, who);
      this.#trying = true;
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
      if (trying) this.#trying = false;
    }
  }

  /** A background update (an outcome, a token count, a pacing hold): skipped while degraded; a failure degrades. */
  send<T>(operation: () => Promise<T>, ctx: CallContext | undefined, then?: (value: T) => void): void {
    if (this.#degraded) return;
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
    const { timeout, name } = this.store;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setTimer(() => {
        // After a busy stretch of the event loop, timers run before sockets are read: give an answer
        // that arrived meanwhile its turn first (setImmediate runs after the poll phase).
        setImmediate(() => {
          if (!done) reject(new StoreTimeout(`the ${name} store did not answer within ${timeout} ms`));
        });
      }, timeout);
      const settle = (): void => {
        done = true;
        timer.clear();
      };
      let pending: Promise<T>;
      try {
        pending = operation();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }

  #up(ctx: CallContext | undefined): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#lastError = undefined;
    this.#announce('recovered', undefined, ctx);
  }

  #down(error: unknown, ctx: CallContext | undefined): void {
    this.#lastError = error;
    this.#retryAt = performance.now() + this.store.retryInterval;
    if (this.#degraded) return;
    this.#degraded = true;
    this.#announce('degraded', error, ctx);
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

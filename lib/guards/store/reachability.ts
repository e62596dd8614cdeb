/**
 * Whether a store answers, as the code calling it sees it, and the timeout that bounds each call.
 * Shared by the guards' `StoreLink` (one per `StateStore`, for every guard on it) and
 * `RedisCacheStore`: after a call fails or times out, the store is degraded and calls skip it
 * until `retryInterval` has passed; then one call at a time tries it again (a probe), and a call
 * that gets an answer makes it reachable again.
 */
import { setTimer } from '../../sleep.js';

/** A store call that gave no answer within its store's `timeout`. */
export class StoreTimeout extends Error {
  override readonly name = 'StoreTimeout';
}

/**
 * One store's reachability, for every caller of that store.
 *
 * @example
 * const admitted = reach.admit();
 * if (admitted === 'skip') return fallback();
 * try { const v = await bounded(op, timeout, 'Redis'); reach.up(); return v; }
 * catch (error) { reach.down(error); return fallback(); }
 * finally { if (admitted === 'probe') reach.endProbe(); }
 */
export class Reachability {
  /** Whether the last call failed: calls skip the store (but for one probe at a time) until one succeeds. */
  degraded = false;
  /** The last failure, while degraded. */
  lastError: unknown = undefined;
  /** Failed or timed-out calls so far. */
  failures = 0;
  readonly #retryInterval: number;
  /** While degraded: when (performance.now) one call may try the store again. */
  #retryAt = 0;
  /** A call is trying the degraded store again: the others skip it meanwhile. */
  #probing = false;

  constructor(retryInterval: number) {
    this.#retryInterval = retryInterval;
  }

  /**
   * Whether a call may use the store now: `'up'` while it is reachable; while degraded, `'probe'`
   * for one call at a time once `retryInterval` has passed (it must end with {@link endProbe}),
   * else `'skip'`.
   */
  admit(): 'up' | 'probe' | 'skip' {
    if (!this.degraded) return 'up';
    if (this.#probing || performance.now() < this.#retryAt) return 'skip';
    this.#probing = true;
    return 'probe';
  }

  /** Ends the call {@link admit} made the probe, however it ended (an aborted probe decides nothing). */
  endProbe(): void {
    this.#probing = false;
  }

  /** A call got its answer: the store is reachable. */
  up(): void {
    this.degraded = false;
    this.lastError = undefined;
  }

  /** A call failed or timed out: the store is skipped for `retryInterval`. */
  down(error: unknown): void {
    this.failures++;
    this.lastError = error;
    this.#retryAt = performance.now() + this.#retryInterval;
    this.degraded = true;
  }
}

/**
 * `operation()`, or a {@link StoreTimeout} saying `what` did not answer within `timeout` ms. After a
 * busy stretch of the event loop timers run before sockets are read, so an answer that arrived
 * meanwhile gets its turn first (the timeout rejects from a `setImmediate`, after the poll phase).
 */
export function bounded<T>(operation: () => Promise<T>, timeout: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimer(() => {
      setImmediate(() => {
        if (!done) reject(new StoreTimeout(`${what} did not answer within ${timeout} ms`));
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

/**
 * A breaker's events: what it tells direct subscribers (`breaker.on(…)`) and its state for
 * reports. A handler that throws is reported with `console.warn` and ignored.
 */
import mitt, { type Emitter } from 'mitt';
import type { StoreStatusChange } from '../store/types.js';
import type { CircuitState } from './options.js';

/** A state change: the payload of `breaker.on('stateChange', …)` and of the `circuitState` event. */
export interface CircuitStateChange {
  readonly name: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/**
 * Events a breaker emits to direct subscribers: its state changes, and (with a shared `store`)
 * the store's loss and return.
 */
export type CircuitBreakerEvents = { stateChange: CircuitStateChange; storeStatus: StoreStatusChange };

/** A breaker's state for reports (`healthCheck`, metrics): plain, JSON-serialisable. */
export interface CircuitBreakerSnapshot {
  readonly name: string;
  readonly state: CircuitState;
  /** Consecutive counted failures so far (closed). */
  readonly failures: number;
  /** Probes running now. */
  readonly probesInFlight: number;
  /** Time until the circuit lets a probe through (open), in ms. */
  readonly retryAfterMs: number | undefined;
  /** With a shared `store`: its name (`'redis'`). The figures are then the shared ones, as last seen. */
  readonly store?: string;
  /** With a shared `store`: whether it is out of reach, so that calls follow `onStoreError`. */
  readonly degraded?: boolean;
}

/** @internal A breaker's subscribers: one emitter, handlers' errors contained. */
export class BreakerEvents {
  readonly #name: string;
  readonly #emitter: Emitter<CircuitBreakerEvents> = mitt<CircuitBreakerEvents>();

  constructor(name: string) {
    this.#name = name;
  }

  on<K extends keyof CircuitBreakerEvents>(type: K, handler: (event: CircuitBreakerEvents[K]) => void): void {
    this.#emitter.on(type, handler);
  }

  off<K extends keyof CircuitBreakerEvents>(
    type: K,
    handler: (event: CircuitBreakerEvents[K]) => void,
  ): void {
    this.#emitter.off(type, handler);
  }

  /** Tells `stateChange` subscribers. */
  stateChange(change: CircuitStateChange): void {
    try {
      this.#emitter.emit('stateChange', change);
    } catch (error) {
      console.warn(`llm-resilience: a stateChange handler of circuit "${this.#name}" threw; ignored.`, error);
    }
  }

  /** Tells `storeStatus` subscribers; whether anyone listened. */
  storeStatus(change: StoreStatusChange): boolean {
    const heard = (this.#emitter.all.get('storeStatus')?.length ?? 0) > 0;
    try {
      this.#emitter.emit('storeStatus', change);
    } catch (error) {
      console.warn(`llm-resilience: a storeStatus handler of circuit "${this.#name}" threw; ignored.`, error);
    }
    return heard;
  }
}

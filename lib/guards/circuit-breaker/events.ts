/**
 * A breaker's events: what it tells direct subscribers (`breaker.on(…)`, through
 * {@link GuardEvents}) and its state for reports.
 */
import type { GuardEvents } from '../events.js';
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

/** @internal A breaker's subscribers. */
export type BreakerEvents = GuardEvents<CircuitBreakerEvents>;

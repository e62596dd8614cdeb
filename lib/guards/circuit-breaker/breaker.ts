import { brand } from '../../brand.js';
import type { CallContext } from '../../context.js';
import { matchesAny } from '../../errors/matchers.js';
import { GuardEvents } from '../events.js';
import type { BreakerEvents, CircuitBreakerEvents, CircuitBreakerSnapshot } from './events.js';
import {
  type CircuitBreakerOptions,
  type CircuitState,
  type ResolvedCircuitBreakerOptions,
  resolveBreakerOptions,
} from './options.js';
import { SharedBreaker } from './shared.js';
import { type BreakerOutcome, type BreakerPermit, type Caller, CircuitMachine } from './state.js';

const DONE: Promise<void> = Promise.resolve();

/**
 * A circuit breaker: `closed` → `open` after `failureThreshold` consecutive counted failures;
 * while open every call fails fast with `CircuitOpenError`; after `recoveryTimeout` it turns
 * `half_open` and admits at most `halfOpenMaxCalls` probes at once; `successThreshold` probe
 * successes close it, one counted probe failure opens it again.
 *
 * Pass one breaker to several LLMs to share it on purpose (one quota, one outage);
 * `withCircuitBreaker(options)` makes a breaker that belongs to that LLM alone. The clock is
 * read lazily: no timer runs, the open → half-open move happens when someone next looks.
 * A call admitted in one state whose outcome arrives after the state changed is ignored.
 *
 * With a shared `store` (`RedisStateStore`), every breaker of the same `name` on it — in any
 * process — is one circuit: each admission and each outcome is one atomic step in the store, by
 * the store's clock. Outcomes are sent without delaying the call. The local state then mirrors the
 * shared one as last seen (`state`, `describeState()`), and serves calls when the store cannot
 * answer under `onStoreError: 'fail-open'`.
 *
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 3, recoveryTimeout: 30_000 });
 * breaker.on('stateChange', ({ from, to }) => log.warn(`openai ${from} → ${to}`));
 * const a = new OpenAILLM('gpt-4o').withCircuitBreaker(breaker);
 * const b = new OpenAILLM('gpt-4o-mini').withCircuitBreaker(breaker); // shares the circuit with a
 */
export class CircuitBreaker {
  readonly name: string;
  readonly options: ResolvedCircuitBreakerOptions;
  readonly #events: BreakerEvents;
  readonly #machine: CircuitMachine;
  readonly #shared: SharedBreaker | undefined;

  constructor(options?: CircuitBreakerOptions) {
    this.options = resolveBreakerOptions(options);
    this.name = this.options.name;
    this.#events = new GuardEvents(`circuit "${this.name}"`);
    this.#machine = new CircuitMachine(this.name, this.options, this.#events);
    const { store } = this.options;
    if (store) {
      this.#shared = new SharedBreaker({
        store,
        name: this.name,
        options: this.options,
        machine: this.#machine,
        events: this.#events,
      });
    }
    Object.freeze(this);
  }

  /** The current state (moving open → half-open first if `recoveryTimeout` has passed). */
  get state(): CircuitState {
    return this.#machine.state(undefined);
  }

  /** Subscribes to state changes (`'stateChange'`) or to the shared store's loss and return (`'storeStatus'`). */
  on<K extends keyof CircuitBreakerEvents>(type: K, handler: (event: CircuitBreakerEvents[K]) => void): void {
    this.#events.on(type, handler);
  }

  /** Unsubscribes a handler given to {@link on}. */
  off<K extends keyof CircuitBreakerEvents>(
    type: K,
    handler: (event: CircuitBreakerEvents[K]) => void,
  ): void {
    this.#events.off(type, handler);
  }

  /**
   * Closes the circuit and forgets every count; outcomes of calls still running are ignored. The
   * local state changes at once; the promise resolves once a shared store has changed too (it
   * never rejects: a store that cannot answer is reported by a `storeStatus` event).
   */
  reset(): Promise<void> {
    this.#machine.move('closed', undefined);
    return this.#shared === undefined ? DONE : this.#shared.reset();
  }

  /** The state for reports. With a shared `store`, as last seen: {@link fetchState} reads it afresh. */
  describeState(): CircuitBreakerSnapshot {
    const state = this.state;
    const shared = this.#shared;
    return {
      name: this.name,
      state,
      failures: this.#machine.failures,
      probesInFlight: shared ? shared.probesInFlight : this.#machine.probes,
      retryAfterMs: state === 'open' ? this.#machine.untilHalfOpen() : undefined,
      ...(shared ? { store: shared.link.store.name, degraded: shared.link.degraded } : {}),
    };
  }

  /** Reads the shared state from the `store` (when it answers), then reports as {@link describeState}. */
  async fetchState(): Promise<CircuitBreakerSnapshot> {
    if (this.#shared) await this.#shared.fetch();
    return this.describeState();
  }

  /**
   * @internal Admits a call or refuses it with `CircuitOpenError`: at once from the local state,
   * or, with a shared store, once the store has answered.
   */
  _enter(ctx: CallContext, who: Caller): BreakerPermit | Promise<BreakerPermit> {
    return this.#shared === undefined ? this._admit(ctx, who) : this.#shared.enter(ctx, who);
  }

  /** @internal Admits a call or throws `CircuitOpenError` (naming `who`) at once. */
  _admit(ctx: CallContext, who: Caller): BreakerPermit {
    return this.#machine.admit(ctx, who);
  }

  /** @internal What a failed call means here: never a cancellation, else whether `countOn` matches. */
  _outcomeOf(error: unknown, ctx: CallContext): BreakerOutcome {
    if (ctx.signal?.aborted) return 'neutral';
    return matchesAny(error, this.options.countOn) ? 'failure' : 'neutral';
  }

  /** @internal Records how an admitted call ended and releases its probe slot. */
  _settle(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
    if (permit.shared) this.#shared!.settle(permit, outcome, ctx);
    else this.#machine.settle(permit, outcome, ctx);
  }
}

// Shared on purpose between LLMs: `instanceof CircuitBreaker` holds across copies of the package.
brand(CircuitBreaker, 'CircuitBreaker');

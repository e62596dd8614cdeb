import { brand } from '../../brand.js';
import { randomUUID } from 'node:crypto';
import mitt, { type Emitter } from 'mitt';
import { type CallContext, emit } from '../../context.js';
import { CircuitOpenError } from '../../errors/classes.js';
import { matchesAny } from '../../errors/matchers.js';
import type { Provider } from '../../types.js';
import { LOCAL, type Local, StoreLink } from '../store/link.js';
import type { SharedCircuit, SharedCircuitView, StoreStatusChange } from '../store/types.js';
import {
  type CircuitBreakerOptions,
  type CircuitState,
  type ResolvedCircuitBreakerOptions,
  resolveBreakerOptions,
} from './options.js';

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

/**
 * @internal What an admitted call holds until it settles: whether it is a probe, and the epoch
 * (one per stay in a state) that admitted it. An outcome from an earlier epoch is stale.
 */
export interface BreakerPermit {
  readonly probe: boolean;
  readonly epoch: number;
  /** The shared store admitted it (else the local state did). */
  readonly shared?: boolean;
  /** A shared probe's lease, released when it settles. */
  readonly lease?: string;
}

/** Who is calling, for errors. */
interface Caller {
  readonly provider: Provider;
  readonly model: string;
}

const DONE: Promise<void> = Promise.resolve();

/** @internal How a call ended, for the breaker: a success, a counted failure, or neither. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

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
  #state: CircuitState = 'closed';
  #epoch = 0;
  #failures = 0;
  #successes = 0;
  #probes = 0;
  #openedAt = 0;
  /** Shared by every call admitted while closed in this epoch: no allocation on the hot path. */
  #closedPermit: BreakerPermit = Object.freeze({ probe: false, epoch: 0 });
  readonly #events: Emitter<CircuitBreakerEvents> = mitt<CircuitBreakerEvents>();
  /** The state last announced in a `stateChange` (the shared state, as seen, with a store). */
  #announced: CircuitState = 'closed';
  readonly #shared: SharedCircuit | undefined;
  readonly #link: StoreLink | undefined;
  #view: SharedCircuitView | undefined;
  readonly #leasePrefix: string = '';
  #leases = 0;

  constructor(options?: CircuitBreakerOptions) {
    this.options = resolveBreakerOptions(options);
    this.name = this.options.name;
    const { store, onStoreError } = this.options;
    if (store) {
      this.#shared = store.circuit(this.name, this.options);
      this.#link = new StoreLink(store, {
        name: this.name,
        kind: 'circuit_breaker',
        policy: onStoreError,
        notify: (change) => this.#notify(change),
      });
      this.#leasePrefix = `${randomUUID().slice(0, 13)}:`;
    }
    Object.freeze(this);
  }

  /** The current state (moving open → half-open first if `recoveryTimeout` has passed). */
  get state(): CircuitState {
    this.#advance(undefined);
    return this.#state;
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
    this.#move('closed', undefined);
    const link = this.#link;
    const shared = this.#shared;
    if (link === undefined || shared === undefined) return DONE;
    return link
      .call(() => shared.reset(), undefined, undefined)
      .then(
        (view) => {
          if (view !== LOCAL) this.#observe(view, undefined);
        },
        () => {},
      );
  }

  /** The state for reports. With a shared `store`, as last seen: {@link fetchState} reads it afresh. */
  describeState(): CircuitBreakerSnapshot {
    const state = this.state;
    const link = this.#link;
    return {
      name: this.name,
      state,
      failures: this.#failures,
      probesInFlight: link && !link.degraded ? (this.#view?.probes ?? 0) : this.#probes,
      retryAfterMs: state === 'open' ? this.#untilHalfOpen() : undefined,
      ...(link ? { store: link.store.name, degraded: link.degraded } : {}),
    };
  }

  /** Reads the shared state from the `store` (when it answers), then reports as {@link describeState}. */
  async fetchState(): Promise<CircuitBreakerSnapshot> {
    const link = this.#link;
    const shared = this.#shared;
    if (link && shared) {
      const view = await link.call(() => shared.read(), undefined, undefined).catch((): Local => LOCAL);
      if (view !== LOCAL) this.#observe(view, undefined);
    }
    return this.describeState();
  }

  /**
   * @internal Admits a call or refuses it with `CircuitOpenError`: at once from the local state,
   * or, with a shared store, once the store has answered.
   */
  _enter(ctx: CallContext, who: Caller): BreakerPermit | Promise<BreakerPermit> {
    return this.#link === undefined ? this._admit(ctx, who) : this.#enterShared(this.#link, ctx, who);
  }

  /** @internal Admits a call or throws `CircuitOpenError` (naming `who`) at once. */
  _admit(ctx: CallContext, who: { readonly provider: Provider; readonly model: string }): BreakerPermit {
    this.#advance(ctx);
    if (this.#state === 'closed') return this.#closedPermit;
    if (this.#state === 'half_open') {
      if (this.#probes < this.options.halfOpenMaxCalls) {
        this.#probes++;
        return { probe: true, epoch: this.#epoch };
      }
      throw this.#refusal('half_open', 0, who);
    }
    throw this.#refusal('open', this.#untilHalfOpen(), who);
  }

  #refusal(state: CircuitState, retryAfterMs: number, { provider, model }: Caller): CircuitOpenError {
    if (state === 'half_open') {
      return new CircuitOpenError(
        `Circuit "${this.name}" is half-open and its ${this.options.halfOpenMaxCalls} probe slot(s) are taken`,
        this.name,
        { provider, model },
      );
    }
    return new CircuitOpenError(
      `Circuit "${this.name}" is open; a probe goes out in ${retryAfterMs} ms`,
      this.name,
      {
        provider,
        model,
        retryAfterMs,
      },
    );
  }

  async #enterShared(link: StoreLink, ctx: CallContext, who: Caller): Promise<BreakerPermit> {
    const shared = this.#shared!;
    const lease = `${this.#leasePrefix}${++this.#leases}`;
    const answer = await link.call(
      () => shared.admit(lease),
      ctx,
      who,
      (late) => {
        // The caller left while the store answered: free the probe slot it was given.
        if (late.admitted === 'probe')
          link.send(() => shared.settle(late.epoch, 'neutral', lease), undefined);
      },
    );
    if (answer === LOCAL) return this._admit(ctx, who);
    this.#observe(answer, ctx);
    if (answer.admitted === 'refused') throw this.#refusal(answer.state, answer.retryAfterMs, who);
    return answer.admitted === 'probe'
      ? { probe: true, epoch: answer.epoch, shared: true, lease }
      : { probe: false, epoch: answer.epoch, shared: true };
  }

  /** @internal What a failed call means here: never a cancellation, else whether `countOn` matches. */
  _outcomeOf(error: unknown, ctx: CallContext): BreakerOutcome {
    if (ctx.signal?.aborted) return 'neutral';
    return matchesAny(error, this.options.countOn) ? 'failure' : 'neutral';
  }

  /** @internal Records how an admitted call ended and releases its probe slot. */
  _settle(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
    if (permit.shared) return this.#settleShared(permit, outcome, ctx);
    // A probe holds its slot until it ends, even when the circuit moved on meanwhile: never more
    // than `halfOpenMaxCalls` probes run at once, across half-open spells too.
    if (permit.probe) this.#probes--;
    if (permit.epoch !== this.#epoch || outcome === 'neutral') return; // stale: admitted before the last change
    if (this.#state === 'closed') {
      if (outcome === 'success') this.#failures = 0;
      else if (++this.#failures >= this.options.failureThreshold) this.#move('open', ctx);
    } else if (this.#state === 'half_open') {
      if (outcome === 'failure') this.#move('open', ctx);
      else if (++this.#successes >= this.options.successThreshold) this.#move('closed', ctx);
    }
  }

  /** Sends a shared call's outcome without delaying the caller; the store's answer updates the view. */
  #settleShared(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
    const shared = this.#shared!;
    if (outcome === 'neutral' && !permit.probe) return; // nothing to record, no slot to free
    this.#link!.send(
      () => shared.settle(permit.epoch, outcome, permit.lease),
      ctx,
      (view) => this.#observe(view, ctx),
    );
  }

  /** Takes in the shared state as the store reported it: mirrors it locally, announces a change. */
  #observe(view: SharedCircuitView, ctx: CallContext | undefined): void {
    this.#view = view;
    if (this.#state !== view.state) {
      this.#state = view.state;
      this.#epoch++;
      this.#closedPermit = Object.freeze({ probe: false, epoch: this.#epoch });
      this.#successes = 0;
    }
    this.#failures = view.failures;
    if (view.state === 'open') {
      this.#openedAt = this.options.now() - this.options.recoveryTimeout + view.retryAfterMs;
    }
    if (view.state !== this.#announced) this.#announce(this.#announced, view.state, ctx);
  }

  #notify(change: StoreStatusChange): boolean {
    const heard = (this.#events.all.get('storeStatus')?.length ?? 0) > 0;
    try {
      this.#events.emit('storeStatus', change);
    } catch (error) {
      console.warn(`llm-resilience: a storeStatus handler of circuit "${this.name}" threw; ignored.`, error);
    }
    return heard;
  }

  #untilHalfOpen(): number {
    return Math.max(0, this.#openedAt + this.options.recoveryTimeout - this.options.now());
  }

  /** Open → half-open once `recoveryTimeout` has passed. */
  #advance(ctx: CallContext | undefined): void {
    if (this.#state === 'open' && this.#untilHalfOpen() === 0) this.#move('half_open', ctx);
  }

  #move(to: CircuitState, ctx: CallContext | undefined): void {
    const from = this.#state;
    this.#state = to;
    this.#epoch++;
    this.#closedPermit = Object.freeze({ probe: false, epoch: this.#epoch });
    this.#failures = 0;
    this.#successes = 0;
    if (to === 'open') this.#openedAt = this.options.now();
    if (from === to) return;
    this.#announce(from, to, ctx);
  }

  #announce(from: CircuitState, to: CircuitState, ctx: CallContext | undefined): void {
    this.#announced = to;
    const change: CircuitStateChange = { name: this.name, from, to };
    if (ctx) emit(ctx, 'circuitState', change);
    try {
      this.#events.emit('stateChange', change);
    } catch (error) {
      console.warn(`llm-resilience: a stateChange handler of circuit "${this.name}" threw; ignored.`, error);
    }
  }
}

// Shared on purpose between LLMs: `instanceof CircuitBreaker` holds across copies of the package.
brand(CircuitBreaker, 'CircuitBreaker');

import mitt, { type Emitter } from 'mitt';
import { type CallContext, emit } from '../../context.js';
import { CircuitOpenError } from '../../errors/classes.js';
import { matchesAny } from '../../retry/matchers.js';
import type { Provider } from '../../types.js';
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

/** Events a breaker emits to direct subscribers. */
export type CircuitBreakerEvents = { stateChange: CircuitStateChange };

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
}

/**
 * @internal What an admitted call holds until it settles: whether it is a probe, and the epoch
 * (one per stay in a state) that admitted it. An outcome from an earlier epoch is stale.
 */
export interface BreakerPermit {
  readonly probe: boolean;
  readonly epoch: number;
}

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

  constructor(options?: CircuitBreakerOptions) {
    this.options = resolveBreakerOptions(options);
    this.name = this.options.name;
    Object.freeze(this);
  }

  /** The current state (moving open → half-open first if `recoveryTimeout` has passed). */
  get state(): CircuitState {
    this.#advance(undefined);
    return this.#state;
  }

  /** Subscribes to state changes. */
  on(type: 'stateChange', handler: (change: CircuitStateChange) => void): void {
    this.#events.on(type, handler);
  }

  /** Unsubscribes a handler given to {@link on}. */
  off(type: 'stateChange', handler: (change: CircuitStateChange) => void): void {
    this.#events.off(type, handler);
  }

  /** Closes the circuit and forgets every count; outcomes of calls still running are ignored. */
  reset(): void {
    this.#move('closed', undefined);
  }

  /** The state for reports. */
  describeState(): CircuitBreakerSnapshot {
    const state = this.state;
    return {
      name: this.name,
      state,
      failures: this.#failures,
      probesInFlight: this.#probes,
      retryAfterMs: state === 'open' ? this.#untilHalfOpen() : undefined,
    };
  }

  /** @internal Admits a call or throws `CircuitOpenError` (naming `who`) at once. */
  _admit(ctx: CallContext, who: { readonly provider: Provider; readonly model: string }): BreakerPermit {
    this.#advance(ctx);
    const { provider, model } = who;
    if (this.#state === 'closed') return this.#closedPermit;
    if (this.#state === 'half_open') {
      if (this.#probes < this.options.halfOpenMaxCalls) {
        this.#probes++;
        return { probe: true, epoch: this.#epoch };
      }
      throw new CircuitOpenError(
        `Circuit "${this.name}" is half-open and its ${this.options.halfOpenMaxCalls} probe slot(s) are taken`,
        this.name,
        { provider, model },
      );
    }
    const retryAfterMs = this.#untilHalfOpen();
    throw new CircuitOpenError(
      `Circuit "${this.name}" is open; a probe goes out in ${retryAfterMs} ms`,
      this.name,
      {
        provider,
        model,
        retryAfterMs,
      },
    );
  }

  /** @internal What a failed call means here: never a cancellation, else whether `countOn` matches. */
  _outcomeOf(error: unknown, ctx: CallContext): BreakerOutcome {
    if (ctx.signal?.aborted) return 'neutral';
    return matchesAny(error, this.options.countOn) ? 'failure' : 'neutral';
  }

  /** @internal Records how an admitted call ended and releases its probe slot. */
  _settle(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
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
    const change: CircuitStateChange = { name: this.name, from, to };
    if (ctx) emit(ctx, 'circuitState', change);
    try {
      this.#events.emit('stateChange', change);
    } catch (error) {
      console.warn(`resilient-llm: a stateChange handler of circuit "${this.name}" threw; ignored.`, error);
    }
  }
}

/**
 * The breaker's state machine in this process: `closed` → `open` → `half_open` → `closed`, counted
 * in epochs (one per stay in a state) so that an outcome admitted in an earlier one is ignored.
 * With a shared store it mirrors the shared state as last seen ({@link CircuitMachine.observe}).
 */
import { type CallContext, emit } from '../../context.js';
import { CircuitOpenError } from '../../errors/classes.js';
import type { Provider } from '../../types.js';
import type { SharedCircuitView } from '../store/types.js';
import type { BreakerEvents, CircuitStateChange } from './events.js';
import type { CircuitState, ResolvedCircuitBreakerOptions } from './options.js';

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

/** @internal How a call ended, for the breaker: a success, a counted failure, or neither. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

/** @internal Who is calling, for errors. */
export interface Caller {
  readonly provider: Provider;
  readonly model: string;
}

/** @internal The local circuit: its counts, its clock, and who hears of its changes. */
export class CircuitMachine {
  readonly #name: string;
  readonly #options: ResolvedCircuitBreakerOptions;
  readonly #events: BreakerEvents;
  #state: CircuitState = 'closed';
  #epoch = 0;
  #failures = 0;
  #successes = 0;
  #probes = 0;
  #openedAt = 0;
  /** Shared by every call admitted while closed in this epoch: no allocation on the hot path. */
  #closedPermit: BreakerPermit = Object.freeze({ probe: false, epoch: 0 });
  /** The state last announced in a `stateChange` (the shared state, as seen, with a store). */
  #announced: CircuitState = 'closed';

  constructor(name: string, options: ResolvedCircuitBreakerOptions, events: BreakerEvents) {
    this.#name = name;
    this.#options = options;
    this.#events = events;
  }

  /** The current state (moving open → half-open first if `recoveryTimeout` has passed). */
  state(ctx: CallContext | undefined): CircuitState {
    this.#advance(ctx);
    return this.#state;
  }

  get failures(): number {
    return this.#failures;
  }

  get probes(): number {
    return this.#probes;
  }

  /** Admits a call or throws `CircuitOpenError` (naming `who`) at once. */
  admit(ctx: CallContext, who: Caller): BreakerPermit {
    this.#advance(ctx);
    if (this.#state === 'closed') return this.#closedPermit;
    if (this.#state === 'half_open') {
      if (this.#probes < this.#options.halfOpenMaxCalls) {
        this.#probes++;
        return { probe: true, epoch: this.#epoch };
      }
      throw this.refusal('half_open', 0, who);
    }
    throw this.refusal('open', this.untilHalfOpen(), who);
  }

  refusal(state: CircuitState, retryAfterMs: number, { provider, model }: Caller): CircuitOpenError {
    if (state === 'half_open') {
      return new CircuitOpenError(
        `Circuit "${this.#name}" is half-open and its ${this.#options.halfOpenMaxCalls} probe slot(s) are taken`,
        this.#name,
        { provider, model },
      );
    }
    return new CircuitOpenError(
      `Circuit "${this.#name}" is open; a probe goes out in ${retryAfterMs} ms`,
      this.#name,
      {
        provider,
        model,
        retryAfterMs,
      },
    );
  }

  /** Records how a locally admitted call ended and releases its probe slot. */
  settle(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
    // A probe holds its slot until it ends, even when the circuit moved on meanwhile: never more
    // than `halfOpenMaxCalls` probes run at once, across half-open spells too.
    if (permit.probe) this.#probes--;
    if (permit.epoch !== this.#epoch || outcome === 'neutral') return; // stale: admitted before the last change
    if (this.#state === 'closed') {
      if (outcome === 'success') this.#failures = 0;
      else if (++this.#failures >= this.#options.failureThreshold) this.move('open', ctx);
    } else if (this.#state === 'half_open') {
      if (outcome === 'failure') this.move('open', ctx);
      else if (++this.#successes >= this.#options.successThreshold) this.move('closed', ctx);
    }
  }

  /** Takes in the shared state as the store reported it: mirrors it locally, announces a change. */
  observe(view: SharedCircuitView, ctx: CallContext | undefined): void {
    if (this.#state !== view.state) {
      this.#state = view.state;
      this.#newEpoch();
    }
    this.#failures = view.failures;
    if (view.state === 'open') {
      this.#openedAt = this.#options.now() - this.#options.recoveryTimeout + view.retryAfterMs;
    }
    if (view.state !== this.#announced) this.#announce(this.#announced, view.state, ctx);
  }

  untilHalfOpen(): number {
    return Math.max(0, this.#openedAt + this.#options.recoveryTimeout - this.#options.now());
  }

  move(to: CircuitState, ctx: CallContext | undefined): void {
    const from = this.#state;
    this.#state = to;
    this.#newEpoch();
    this.#failures = 0;
    if (to === 'open') this.#openedAt = this.#options.now();
    if (from === to) return;
    this.#announce(from, to, ctx);
  }

  /** Open → half-open once `recoveryTimeout` has passed. */
  #advance(ctx: CallContext | undefined): void {
    if (this.#state === 'open' && this.untilHalfOpen() === 0) this.move('half_open', ctx);
  }

  #newEpoch(): void {
    this.#epoch++;
    this.#closedPermit = Object.freeze({ probe: false, epoch: this.#epoch });
    this.#successes = 0;
  }

  #announce(from: CircuitState, to: CircuitState, ctx: CallContext | undefined): void {
    this.#announced = to;
    const change: CircuitStateChange = { name: this.#name, from, to };
    if (ctx) emit(ctx, 'circuitState', change);
    this.#events.tell('stateChange', change);
  }
}

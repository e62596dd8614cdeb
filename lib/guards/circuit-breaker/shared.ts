/**
 * A breaker's shared-store path: every breaker of the same `name` on one store, in any process,
 * is one circuit. Each admission and each outcome is one atomic step in the store, by the store's
 * clock; outcomes are sent without delaying the call. The local machine mirrors each answer, and
 * serves calls when the store cannot answer under `onStoreError: 'fail-open'`.
 */
import { randomUUID } from 'node:crypto';
import type { CallContext } from '../../context.js';
import { LOCAL, type Local, StoreLink } from '../store/link.js';
import type { SharedCircuit, SharedCircuitView, StateStore } from '../store/types.js';
import type { BreakerEvents } from './events.js';
import type { ResolvedCircuitBreakerOptions } from './options.js';
import type { BreakerOutcome, BreakerPermit, Caller, CircuitMachine } from './state.js';

/** @internal What a shared circuit is made from: the breaker's parts. */
export interface SharedBreakerParts {
  readonly store: StateStore;
  readonly name: string;
  readonly options: ResolvedCircuitBreakerOptions;
  readonly machine: CircuitMachine;
  readonly events: BreakerEvents;
}

/** @internal One breaker's link to its shared circuit. */
export class SharedBreaker {
  readonly link: StoreLink;
  readonly #shared: SharedCircuit;
  readonly #machine: CircuitMachine;
  readonly #leasePrefix = `${randomUUID().slice(0, 13)}:`;
  #leases = 0;
  #view: SharedCircuitView | undefined;

  constructor({ store, name, options, machine, events }: SharedBreakerParts) {
    this.#machine = machine;
    this.#shared = store.circuit(name, options);
    this.link = new StoreLink(store, {
      name,
      kind: 'circuit_breaker',
      policy: options.onStoreError,
      notify: (change) => events.tell('storeStatus', change),
    });
  }

  /** Probes running now, as the store last said (the local count while it is out of reach). */
  get probesInFlight(): number {
    return this.link.degraded ? this.#machine.probes : (this.#view?.probes ?? 0);
  }

  /** Admits a call once the store has answered; the local machine when it fails open. */
  async enter(ctx: CallContext, who: Caller): Promise<BreakerPermit> {
    const link = this.link;
    const shared = this.#shared;
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
    if (answer === LOCAL) return this.#machine.admit(ctx, who);
    this.#observe(answer, ctx);
    if (answer.admitted === 'refused') throw this.#machine.refusal(answer.state, answer.retryAfterMs, who);
    return answer.admitted === 'probe'
      ? { probe: true, epoch: answer.epoch, shared: true, lease }
      : { probe: false, epoch: answer.epoch, shared: true };
  }

  /** Sends a shared call's outcome without delaying the caller; the store's answer updates the view. */
  settle(permit: BreakerPermit, outcome: BreakerOutcome, ctx: CallContext | undefined): void {
    const shared = this.#shared;
    if (outcome === 'neutral' && !permit.probe) return; // nothing to record, no slot to free
    this.link.send(
      () => shared.settle(permit.epoch, outcome, permit.lease),
      ctx,
      (view) => this.#observe(view, ctx),
    );
  }

  /** Resets the shared circuit; never rejects (a store that cannot answer is reported by the link). */
  reset(): Promise<void> {
    const shared = this.#shared;
    return this.link
      .call(() => shared.reset(), undefined, undefined)
      .then(
        (view) => {
          if (view !== LOCAL) this.#observe(view, undefined);
        },
        () => {},
      );
  }

  /** Reads the shared state afresh when the store answers. */
  async fetch(): Promise<void> {
    const shared = this.#shared;
    const view = await this.link.call(() => shared.read(), undefined, undefined).catch((): Local => LOCAL);
    if (view !== LOCAL) this.#observe(view, undefined);
  }

  #observe(view: SharedCircuitView, ctx: CallContext | undefined): void {
    this.#view = view;
    this.#machine.observe(view, ctx);
  }
}

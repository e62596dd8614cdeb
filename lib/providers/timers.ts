import { TimeoutError } from '../errors/classes.js';
import { clearTimer, setTimer, type Timer } from '../sleep.js';
import type { Provider, TimeoutOptions } from '../types.js';

type TimerName = keyof TimeoutOptions;

/**
 * One attempt's own abort controller and time limits. It follows the call's signal; a limit
 * that passes aborts it with a `TimeoutError` naming the limit. Our own timers (rather than
 * the SDK's `timeout`) make the outcome the same for every SDK and every client a user passes.
 */
export class AttemptTimers {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #who: { readonly provider: Provider; readonly model: string };
  readonly #timers: Partial<Record<TimerName, Timer>> = {};
  readonly #onParentAbort = (): void => this.#controller.abort(this.#parent?.reason);

  constructor(parent: AbortSignal | undefined, who: { readonly provider: Provider; readonly model: string }) {
    this.#parent = parent;
    this.#who = who;
    if (parent?.aborted) this.#controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** (Re)starts a limit; `undefined` leaves it off. */
  arm(name: TimerName, ms: number | undefined): void {
    if (ms === undefined) return;
    clearTimer(this.#timers[name]);
    this.#timers[name] = setTimer(() => {
      const { provider, model } = this.#who;
      this.#controller.abort(new TimeoutError(`${name} of ${ms} ms passed`, { provider, model }));
    }, ms);
  }

  disarm(name: TimerName): void {
    clearTimer(this.#timers[name]);
    this.#timers[name] = undefined;
  }

  /** Clears every timer and stops following the call's signal; `abort` also cancels the request. */
  dispose(abort = false): void {
    for (const timer of Object.values(this.#timers)) clearTimer(timer);
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
    if (abort && !this.#controller.signal.aborted) this.#controller.abort();
  }
}

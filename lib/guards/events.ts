/** A guard's events for direct subscribers (`breaker.on(…)`, `limiter.on(…)`), shared by every guard. */
import mitt, { type Emitter } from 'mitt';
import type { StoreStatusChange } from './store/types.js';

/**
 * @internal A guard's subscribers: one emitter, handlers' errors contained (reported with
 * `console.warn` and ignored: a subscriber never fails a call). `who` names the guard in that
 * report, e.g. `circuit "primary"`.
 */
export class GuardEvents<E extends { storeStatus: StoreStatusChange }> {
  readonly #who: string;
  readonly #emitter: Emitter<E> = mitt<E>();

  constructor(who: string) {
    this.#who = who;
  }

  on<K extends keyof E>(type: K, handler: (event: E[K]) => void): void {
    this.#emitter.on(type, handler);
  }

  off<K extends keyof E>(type: K, handler: (event: E[K]) => void): void {
    this.#emitter.off(type, handler);
  }

  /** Tells `type`'s subscribers; whether anyone listened. */
  tell<K extends keyof E>(type: K, event: E[K]): boolean {
    const heard = (this.#emitter.all.get(type)?.length ?? 0) > 0;
    try {
      this.#emitter.emit(type, event);
    } catch (error) {
      console.warn(`llm-resilience: a ${String(type)} handler of ${this.#who} threw; ignored.`, error);
    }
    return heard;
  }
}

/** A limiter's events for direct subscribers; a handler that throws is reported and ignored. */
import mitt, { type Emitter } from 'mitt';
import type { StoreStatusChange } from '../store/types.js';

/** Events a limiter emits to direct subscribers: with a shared `store`, the store's loss and return. */
export type RateLimiterEvents = { storeStatus: StoreStatusChange };

/** @internal A limiter's subscribers: one emitter, handlers' errors contained. */
export class LimiterEvents {
  readonly #name: string;
  readonly #emitter: Emitter<RateLimiterEvents> = mitt<RateLimiterEvents>();

  constructor(name: string) {
    this.#name = name;
  }

  on<K extends keyof RateLimiterEvents>(type: K, handler: (event: RateLimiterEvents[K]) => void): void {
    this.#emitter.on(type, handler);
  }

  off<K extends keyof RateLimiterEvents>(type: K, handler: (event: RateLimiterEvents[K]) => void): void {
    this.#emitter.off(type, handler);
  }

  /** Tells `storeStatus` subscribers; whether anyone listened. */
  storeStatus(change: StoreStatusChange): boolean {
    const heard = (this.#emitter.all.get('storeStatus')?.length ?? 0) > 0;
    try {
      this.#emitter.emit('storeStatus', change);
    } catch (error) {
      console.warn(
        `llm-resilience: a storeStatus handler of rate limiter "${this.#name}" threw; ignored.`,
        error,
      );
    }
    return heard;
  }
}

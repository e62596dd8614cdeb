/** A limiter's events for direct subscribers (through {@link GuardEvents}). */
import type { GuardEvents } from '../events.js';
import type { StoreStatusChange } from '../store/types.js';

/** Events a limiter emits to direct subscribers: with a shared `store`, the store's loss and return. */
export type RateLimiterEvents = { storeStatus: StoreStatusChange };

/** @internal A limiter's subscribers. */
export type LimiterEvents = GuardEvents<RateLimiterEvents>;

/** A limiter's state for reports: the local figures, or the shared window's when a store answers. */
import type { SharedWindowUsage } from '../store/types.js';

/** A limiter's state for reports (`healthCheck`, metrics): plain, JSON-serialisable. */
export interface RateLimiterSnapshot {
  readonly name: string;
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly windowMs: number;
  /** Calls started in the window ending now. */
  readonly requestsInWindow: number;
  readonly tokensInWindow: number;
  /** Headroom in the window ending now (`undefined` for a limit not set). */
  readonly remainingRequests: number | undefined;
  readonly remainingTokens: number | undefined;
  /** Calls waiting for their turn. */
  readonly queued: number;
  /** How much longer the provider's headers hold every call, in ms. */
  readonly heldForMs: number;
  /** With a shared `store`: its name (`'redis'`). `describeState()` then counts only the calls this process ran on its local state; `fetchState()` reads the shared window. */
  readonly store?: string;
  /** With a shared `store`: whether it is out of reach, so that calls follow `onStoreError`. */
  readonly degraded?: boolean;
}

/** @internal Headroom under `limit` after `used` (`undefined` for a limit not set). */
export function remaining(limit: number | undefined, used: number): number | undefined {
  return limit === undefined ? undefined : Math.max(0, limit - used);
}

/** @internal `local` with the shared window's figures, as the store reported them. */
export function withSharedUsage(
  local: RateLimiterSnapshot,
  usage: SharedWindowUsage,
  degraded: boolean,
): RateLimiterSnapshot {
  return {
    ...local,
    requestsInWindow: usage.requests,
    tokensInWindow: usage.tokens,
    remainingRequests: remaining(local.requestsPerMinute, usage.requests),
    remainingTokens: remaining(local.tokensPerMinute, usage.tokens),
    queued: usage.queued,
    heldForMs: usage.heldForMs,
    degraded,
  };
}

/**
 * The limiter's vocabulary: what `check` and `acquire` answer and take, and the one record an
 * admission carries through the local and the shared path.
 */
import type { CallContext } from '../../context.js';
import type { RateLimitedError } from '../../errors/classes.js';
import type { Provider } from '../../types.js';

/** The answer of {@link RateLimiter.canProceed}. `waitMs` is `Infinity` when the call can never fit. */
export interface RateLimitCheck {
  readonly ok: boolean;
  readonly waitMs: number;
}

/** A granted slot: how long it waited, and a way to replace its token estimate with the real count. */
export interface RateLimitTicket {
  readonly waitedMs: number;
  /** Sets the tokens this call counts for (e.g. `usage.totalTokens`); later admissions see it. */
  reconcile(tokens: number): void;
}

/** Options of {@link RateLimiter.acquire}. */
export interface AcquireOptions {
  /** Aborting it leaves the queue at once: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Overrides the limiter's `maxWait` for this call. */
  readonly maxWait?: number;
}

/** @internal Who is calling, for errors and events. */
export interface Caller {
  readonly provider: Provider;
  readonly model: string;
}

/** @internal Tells the call's buses how long it waits, or that it was refused. */
export type Report = (waitMs: number, rejected: boolean) => void;

/** @internal One call asking for a slot: what it counts for, how long it may wait, for whom. */
export interface Admission {
  /** The tokens the call counts for (0 without a token limit). */
  readonly tokens: number;
  /** The longest wait allowed, in ms. */
  readonly maxWait: number;
  /** How a refusal names the bound it hit (`maxWait (… ms)` or the deadline). */
  readonly limit: string;
  readonly signal: AbortSignal | undefined;
  readonly who: Caller | undefined;
  readonly report: Report | undefined;
  readonly ctx: CallContext | undefined;
}

/** @internal The limiter's refusal of `admission` for a wait of `waitMs` (a call of `tokens`). */
export type Refuse = (waitMs: number, tokens: number, admission: Admission) => RateLimitedError;

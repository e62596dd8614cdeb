import { TimeoutError } from './errors/classes.js';
import { setTimer } from './sleep.js';
import type { EventBus, LLMEvents } from './telemetry/events.js';
import type { Attempt, CallOptions, Provider } from './types.js';

/**
 * What every layer of one call shares: the caller's signal (combined with the deadline), the
 * attempt history and the event buses. Internal: wrappers pass it down, never to users.
 */
export interface CallContext {
  /** Aborts when the caller aborts (reason: theirs) or the deadline passes (reason: a `TimeoutError`). */
  readonly signal: AbortSignal | undefined;
  /** Epoch ms at which the deadline passes, if any. */
  readonly deadlineAt: number | undefined;
  /** Every request of the call so far, in order; appended to by providers. */
  readonly attempts: Attempt[];
  readonly buses: readonly EventBus[];
  /**
   * Set only when a layer wants the providers' response headers (a rate limiter pacing itself on
   * `x-ratelimit-*`); a provider then reads them, for answers and errors alike. Absent, nothing is read.
   */
  readonly onHeaders?: ((provider: Provider, headers: Headers) => void) | undefined;
}

/** An open call: its context and what to release when it ends. */
export interface OpenCall {
  readonly ctx: CallContext;
  close(): void;
}

const NO_BUSES: readonly EventBus[] = [];

/** Starts a call: combines the caller's signal with a `deadline` timer, which `close()` clears. */
export function openCall(options: CallOptions): OpenCall {
  const { signal, deadline } = options;
  if (deadline === undefined) {
    return { ctx: { signal, deadlineAt: undefined, attempts: [], buses: NO_BUSES }, close: noop };
  }
  const controller = new AbortController();
  const attempts: Attempt[] = [];
  const deadlineAt = Date.now() + deadline;
  const onAbort = (): void => controller.abort(signal?.reason);
  const timer = setTimer(() => {
    const last = attempts[attempts.length - 1];
    controller.abort(
      new TimeoutError(
        `The call's deadline of ${deadline} ms passed`,
        last?.error === undefined ? {} : { cause: last.error },
      ),
    );
  }, deadline);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const close = (): void => {
    timer.clear();
    signal?.removeEventListener('abort', onAbort);
  };
  return { ctx: { signal: controller.signal, deadlineAt, attempts, buses: NO_BUSES }, close };
}

/** Emits on every bus of the call; costs one length check when there are none. */
export function emit<K extends keyof LLMEvents>(ctx: CallContext, type: K, payload: LLMEvents[K]): void {
  for (const bus of ctx.buses) {
    try {
      bus.emit(type, payload);
    } catch (error) {
      // A listener that throws must never change the call's outcome.
      console.warn(`llm-resilience: a '${String(type)}' event listener threw; the call goes on.`, error);
    }
  }
}

/** Runs a user callback; a throw or rejection is reported and never changes the outcome. */
export async function runCallback(ctx: CallContext, name: string, callback: () => unknown): Promise<void> {
  try {
    await callback();
  } catch (error) {
    if (ctx.buses.length > 0) emit(ctx, 'callbackError', { callback: name, error });
    else console.warn(`llm-resilience: ${name} callback threw; the call goes on.`, error);
  }
}

/** Throws the reason if the call was aborted (by the caller or the deadline). */
export function throwIfAborted(ctx: CallContext): void {
  if (ctx.signal?.aborted) throw ctx.signal.reason;
}

/** Milliseconds left before the deadline (`Infinity` without one). */
export function timeLeft(ctx: CallContext): number {
  return ctx.deadlineAt === undefined ? Infinity : ctx.deadlineAt - Date.now();
}

function noop(): void {}

import type { CallContext } from '../context.js';
import { LLMError } from '../errors/classes.js';
import { raceAbort } from '../sleep.js';
import type { Reply, StreamChunk } from '../types.js';

/**
 * Marks the package's own layers, which honour `call.signal` themselves: only a user's layer
 * gets the abort race that rejects a call at once through a layer that ignores the signal.
 */
export const BUILT_IN = Symbol('llm-resilience.builtIn');

/** Told the LLM a layer is attached to, when `use()` attaches it (telemetry finds the guards there). */
export const ATTACH = Symbol('llm-resilience.attach');

/**
 * How one layer's call through `next` ended: it returned a reply; it failed; or it was
 * cancelled — the caller aborted (its own reason, carried as `error`) or a stream's consumer
 * left before the end (no error).
 */
export type Outcome =
  | { readonly type: 'success'; readonly reply: Reply }
  | { readonly type: 'failure'; readonly error: unknown }
  | { readonly type: 'cancel'; readonly error?: unknown };

/** Reports an {@link Outcome}; it must not throw. */
export type Settle = (outcome: Outcome) => void;

const LEFT: Outcome = Object.freeze({ type: 'cancel' });

/** The outcome of an error: the caller's own abort (not a deadline, not a failure) is a cancellation. */
export function failed(error: unknown, ctx: CallContext): Outcome {
  const { signal } = ctx;
  // The deadline's reason is a `TimeoutError` (an `LLMError`): a failure, not the caller's abort.
  const cancelled = signal?.aborted === true && error === signal.reason && !(error instanceof LLMError);
  return cancelled ? { type: 'cancel', error } : { type: 'failure', error };
}

/** Awaits an ask through the next layer, tells `settle` how it ended, and passes the reply or error on unchanged. */
export async function settleAsk(pending: Promise<Reply>, ctx: CallContext, settle: Settle): Promise<Reply> {
  let reply: Reply;
  try {
    reply = await pending;
  } catch (error) {
    settle(failed(error, ctx));
    throw error;
  }
  settle({ type: 'success', reply });
  return reply;
}

/** Relays a stream through the next layer, tells `settle` how it ended (a consumer leaving early is a cancellation). */
export async function* settleStream(
  chunks: AsyncGenerator<StreamChunk, Reply, undefined>,
  ctx: CallContext,
  settle: Settle,
): AsyncGenerator<StreamChunk, Reply, undefined> {
  let outcome = LEFT;
  try {
    const reply = yield* chunks;
    outcome = { type: 'success', reply };
    return reply;
  } catch (error) {
    outcome = failed(error, ctx);
    throw error;
  } finally {
    settle(outcome);
  }
}

/** A stream that rejects at once when `signal` aborts, even if its source ignores the signal. */
export async function* abortable(
  chunks: AsyncGenerator<StreamChunk, Reply, undefined>,
  signal: AbortSignal,
): AsyncGenerator<StreamChunk, Reply, undefined> {
  let finished = false;
  try {
    for (;;) {
      const step = await raceAbort(chunks.next(), signal);
      if (step.done) {
        finished = true;
        return step.value;
      }
      yield step.value;
    }
  } finally {
    if (!finished) void chunks.return(undefined as never).catch(() => {});
  }
}

import type { CallContext } from '../context.js';
import type { LLM } from '../llm.js';
import { LLMError } from '../errors/classes.js';
import { raceAbort } from '../sleep.js';
import type { Reply, StreamChunk } from '../types.js';
import type { LLMRequest } from './types.js';

/**
 * Marks the package's own layers, which honour `call.signal` themselves: only a user's layer
 * gets the abort race that rejects a call at once through a layer that ignores the signal.
 * A marked layer's `next` is made once per `use()`, not per call, so it must always be called
 * with the call to pass on: `next(request, ctx)` ({@link InnerAsk}, {@link InnerStream}).
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

/** The inner layers' `next`, as the package's own layers call it: always with the call to pass on. */
export type InnerAsk = (request: LLMRequest, ctx: CallContext) => Promise<Reply>;
export type InnerStream = (
  request: LLMRequest,
  ctx: CallContext,
) => AsyncGenerator<StreamChunk, Reply, undefined>;

/**
 * A layer that wraps each call the same way for `ask` and `stream`: it is let in (`_enter`,
 * which may wait or refuse by throwing), hands the layers inside a call (`_callFor`), and is
 * told how the call ended (`_settle`, which must not throw). {@link askThrough} and
 * {@link streamThrough} run it; methods rather than closures, so the hot path allocates little.
 */
export interface Layer<S> {
  _enter(request: LLMRequest, ctx: CallContext, inner: LLM): S | Promise<S>;
  _callFor(state: S, ctx: CallContext): CallContext;
  _settle(state: S, outcome: Outcome, ctx: CallContext): void;
}

const LEFT: Outcome = Object.freeze({ type: 'cancel' });

/** The outcome of an error: the caller's own abort (not a deadline, not a failure) is a cancellation. */
export function failed(error: unknown, ctx: CallContext): Outcome {
  const { signal } = ctx;
  // The deadline's reason is a `TimeoutError` (an `LLMError`): a failure, not the caller's abort.
  const cancelled = signal?.aborted === true && error === signal.reason && !(error instanceof LLMError);
  return cancelled ? { type: 'cancel', error } : { type: 'failure', error };
}

/** One `ask` through a {@link Layer}: enter, call the inner layers, settle; the reply or error passes on unchanged. */
export function askThrough<S>(
  layer: Layer<S>,
  request: LLMRequest,
  next: InnerAsk,
  ctx: CallContext,
  inner: LLM,
): Promise<Reply> {
  let entered: S | Promise<S>;
  try {
    entered = layer._enter(request, ctx, inner);
  } catch (error) {
    return Promise.reject(error);
  }
  // An in-memory guard admits at once: no extra promise for it.
  if (entered instanceof Promise) return entered.then((state) => settleAsk(layer, state, request, next, ctx));
  return settleAsk(layer, entered, request, next, ctx);
}

function settleAsk<S>(
  layer: Layer<S>,
  state: S,
  request: LLMRequest,
  next: InnerAsk,
  ctx: CallContext,
): Promise<Reply> {
  let pending: Promise<Reply>;
  try {
    pending = next(request, layer._callFor(state, ctx));
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (reply) => {
      layer._settle(state, { type: 'success', reply }, ctx);
      return reply;
    },
    (error: unknown) => {
      layer._settle(state, failed(error, ctx), ctx);
      throw error;
    },
  );
}

/** One `stream` through a {@link Layer}: a consumer leaving early settles as a cancellation. */
export async function* streamThrough<S>(
  layer: Layer<S>,
  request: LLMRequest,
  next: InnerStream,
  ctx: CallContext,
  inner: LLM,
): AsyncGenerator<StreamChunk, Reply, undefined> {
  const entered = layer._enter(request, ctx, inner);
  const state = entered instanceof Promise ? await entered : entered;
  let outcome = LEFT;
  try {
    const reply = yield* next(request, layer._callFor(state, ctx));
    outcome = { type: 'success', reply };
    return reply;
  } catch (error) {
    outcome = failed(error, ctx);
    throw error;
  } finally {
    layer._settle(state, outcome, ctx);
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

/**
 * Base of the package's own {@link Layer} middleware (breaker, rate limit, telemetry, events):
 * `wrapAsk` and `wrapStream` run the layer through {@link askThrough} and {@link streamThrough};
 * a subclass supplies only `_enter`, `_callFor` and `_settle`.
 */
export abstract class LayerMiddleware<S> implements Layer<S> {
  /** @internal */
  readonly [BUILT_IN] = true;

  abstract _enter(request: LLMRequest, ctx: CallContext, inner: LLM): S | Promise<S>;
  abstract _callFor(state: S, ctx: CallContext): CallContext;
  abstract _settle(state: S, outcome: Outcome, ctx: CallContext): void;

  /** Runs one `ask` through this layer. */
  wrapAsk(request: LLMRequest, next: InnerAsk, ctx: CallContext, inner: LLM): Promise<Reply> {
    return askThrough(this, request, next, ctx, inner);
  }

  /** Runs one `stream` through this layer. */
  wrapStream(
    request: LLMRequest,
    next: InnerStream,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    return streamThrough(this, request, next, ctx, inner);
  }
}

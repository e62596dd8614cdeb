/**
 * Stale-if-error (DESIGN §11): when the live call fails with an error a fallback chain would fall
 * back on, an expired reply still inside its `staleIfError` window answers instead — seed 002's
 * "cached fallback", inside the chain. The wrapper asks {@link staleReply} after a failure, and
 * streams through {@link streamOrStale}.
 */
import { type CallContext, emit } from '../../context.js';
import { ContentFilterError, LLMError } from '../../errors/classes.js';
import type { Reply, StreamChunk } from '../../types.js';
import type { CacheLookup, ResponseCache } from './store.js';

/**
 * Whether `error` is one a fallback chain falls back on by default: any `LLMError` but a
 * `ContentFilterError`; a `RetryError` or `FallbackError` only if every error it gathers is one.
 * A plain `Error` (a bug, a bad argument) is not.
 */
export function servesStaleOn(error: unknown): boolean {
  if (!(error instanceof LLMError) || error instanceof ContentFilterError) return false;
  const { errors } = error as { errors?: unknown };
  return !Array.isArray(errors) || errors.every(servesStaleOn);
}

/** What the wrapper knows about the failed call, to answer it from a stale entry. */
export interface StaleCall {
  readonly cache: ResponseCache;
  readonly key: string;
  /** The entry found at the start of the call (expired), if any. */
  readonly found: CacheLookup | undefined;
  readonly ctx: CallContext;
  readonly model: string;
  readonly provider: Reply['provider'];
}

/**
 * The stale reply that answers a call failed with `error`, or `undefined` when none may: no
 * entry, past its window, an error a fallback would not handle, or the call was aborted (by the
 * caller or its deadline). Counts the serve and emits `cacheStale`.
 */
export function staleReply(call: StaleCall, error: unknown): Reply | undefined {
  const { found, ctx } = call;
  if (!found || found.fresh || call.cache.staleIfError === 0) return undefined;
  if (ctx.signal?.aborted || Date.now() >= found.staleUntil || !servesStaleOn(error)) return undefined;
  call.cache._countStale();
  emit(ctx, 'cacheStale', { key: call.key, model: call.model, provider: call.provider, error });
  return { ...found.reply, attempts: ctx.attempts, cached: 'stale' };
}

/**
 * Relays `chunks`; if they fail before the first chunk and a stale reply may answer, streams
 * that reply instead. After the first chunk reaches the caller nothing is replaced.
 */
export async function* streamOrStale(
  chunks: AsyncGenerator<StreamChunk, Reply, undefined>,
  call: StaleCall,
  split: (text: string) => string[],
): AsyncGenerator<StreamChunk, Reply, undefined> {
  let first: IteratorResult<StreamChunk, Reply>;
  try {
    first = await chunks.next();
  } catch (error) {
    const reply = staleReply(call, error);
    if (!reply) throw error;
    for (const text of split(reply.text)) yield { type: 'text', text };
    return reply;
  }
  if (first.done) return first.value;
  let delegated = false;
  try {
    yield first.value;
    delegated = true;
    return yield* chunks;
  } finally {
    // The consumer left at the first chunk: close the inner stream too.
    if (!delegated) await chunks.return(undefined as never);
  }
}

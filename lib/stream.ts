import type { Reply, StreamChunk } from './types.js';

/** A source of chunks that returns the final reply; `close()` releases the call's resources. */
export interface ChunkSource {
  readonly chunks: AsyncGenerator<StreamChunk, Reply, undefined>;
  close(): void;
}

/**
 * A streamed answer: iterate it for chunks, then `finalReply()` for the whole `Reply`.
 * It can be iterated once. `finalReply()` alone drains the stream.
 *
 * @example
 * const stream = llm.stream('Tell me a story');
 * for await (const chunk of stream) process.stdout.write(chunk.text);
 * const reply = await stream.finalReply();
 */
export class ReplyStream implements AsyncIterable<StreamChunk> {
  readonly #start: () => ChunkSource;
  #iterated = false;
  readonly #final: Promise<Reply>;
  #settle!: { resolve(reply: Reply): void; reject(error: unknown): void };

  /** @internal */
  constructor(start: () => ChunkSource) {
    this.#start = start;
    this.#final = new Promise<Reply>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.#final.catch(() => {}); // rejections surface through iteration or finalReply()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamChunk, void, undefined> {
    if (this.#iterated) throw new TypeError('A ReplyStream can be iterated only once');
    this.#iterated = true;
    const source = this.#start();
    let ended = false;
    try {
      for (;;) {
        let step: IteratorResult<StreamChunk, Reply>;
        try {
          step = await source.chunks.next();
        } catch (error) {
          ended = true;
          this.#settle.reject(error);
          throw error;
        }
        if (step.done) {
          ended = true;
          this.#settle.resolve(step.value);
          return;
        }
        yield step.value;
      }
    } finally {
      if (!ended) {
        // The consumer stopped early: cancel the request and say so to finalReply().
        this.#settle.reject(new DOMException('The stream was closed before it completed', 'AbortError'));
        await source.chunks.return(undefined as never).catch(() => {});
      }
      source.close();
    }
  }

  /** The complete reply; rejects with the very error the iteration threw. Drains the stream if nobody iterates it. */
  finalReply(): Promise<Reply> {
    if (!this.#iterated) {
      void (async () => {
        for await (const _ of this);
      })().catch(() => {});
    }
    return this.#final;
  }
}

/** The chunk a restarting stream sends first: discard what was shown, the answer starts again. */
export const RESET: StreamChunk = Object.freeze({ type: 'reset', text: '' });

/**
 * Passes an opened stream on: yields its first chunk, then the rest, and returns its reply.
 * A failure is thrown to the caller; if the consumer leaves early, the inner stream is closed.
 */
export async function* relay(
  stream: AsyncGenerator<StreamChunk, Reply, undefined>,
  first: StreamChunk,
): AsyncGenerator<StreamChunk, Reply, undefined> {
  let settled = false;
  try {
    yield first;
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        settled = true;
        return step.value;
      }
      yield step.value;
    }
  } catch (error) {
    settled = true;
    throw error;
  } finally {
    if (!settled) await stream.return(undefined as never);
  }
}

/** What a stream does when it is cut after text reached the caller. */
export type InterruptMode = 'error' | 'restart';

/** Validates an `onInterrupt` option (shared by `withRetry` and `withFallbacks`). */
export function checkInterrupt(value: unknown): InterruptMode {
  if (value === undefined) return 'error';
  if (value !== 'error' && value !== 'restart') {
    throw new RangeError(`\`onInterrupt\` must be 'error' or 'restart', got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * One member's request within a routed call, and its bookkeeping: calls in flight, the outcome
 * and the latency (to the answer for `ask`, to the first chunk for `stream`) in the member's stats.
 */
import type { Reply, StreamChunk } from '../types.js';
import { type Leg, lossOf } from './race.js';
import type { LatencyMode, MemberStats } from './stats.js';

/** A member's side of a leg: its stats, the clock, and which errors count as its failures. */
export interface MemberBook {
  readonly stats: MemberStats;
  readonly now: () => number;
  /** Whether `error` counts against the member's success rate (else it is neutral). */
  counts(error: unknown): boolean;
}

type ChunkStream = AsyncGenerator<StreamChunk, Reply, undefined>;

/** A stream whose first step has arrived: a chunk, or (an empty answer) its reply. */
export interface OpenedStream {
  readonly stream: ChunkStream;
  readonly first: IteratorResult<StreamChunk, Reply>;
}

/** Runs an `ask` leg: resolves with the member's reply. */
export async function askLeg(
  book: MemberBook,
  leg: Leg,
  ask: (signal: AbortSignal | undefined) => Promise<Reply>,
): Promise<Reply> {
  const startedAt = book.now();
  book.stats.start();
  try {
    const reply = await ask(leg.signal);
    book.stats.latency('ask', book.now() - startedAt);
    book.stats.outcome('success');
    return reply;
  } catch (error) {
    failed(book, leg, error, 'ask', startedAt);
    throw error;
  } finally {
    book.stats.end();
  }
}

/** Opens a `stream` leg: resolves once its first chunk (or, for an empty answer, its reply) arrives. */
export async function openLeg(
  book: MemberBook,
  leg: Leg,
  open: (signal: AbortSignal | undefined) => ChunkStream,
): Promise<OpenedStream> {
  const startedAt = book.now();
  book.stats.start();
  try {
    const stream = open(leg.signal);
    const first = await stream.next();
    book.stats.latency('stream', book.now() - startedAt);
    if (first.done) {
      book.stats.outcome('success');
      book.stats.end();
    }
    return { stream, first };
  } catch (error) {
    failed(book, leg, error, 'stream', startedAt);
    book.stats.end();
    throw error;
  }
}

/**
 * Passes the winning stream on to the caller: its first chunk, then the rest, returning its reply.
 * Records how it ended; a consumer that leaves early closes it (the request is cancelled).
 */
export async function* relayLeg(book: MemberBook, leg: Leg, opened: OpenedStream): ChunkStream {
  const { stream, first } = opened;
  if (first.done) {
    leg.release();
    return first.value;
  }
  let settled = false;
  try {
    yield first.value;
    for (;;) {
      const step = await stream.next();
      if (step.done) {
        settled = true;
        book.stats.outcome('success');
        return step.value;
      }
      yield step.value;
    }
  } catch (error) {
    settled = true;
    if (!leg.signal?.aborted && book.counts(error)) book.stats.outcome('failure');
    throw error;
  } finally {
    if (!settled) await stream.return(undefined as never).catch(() => {});
    book.stats.end();
    leg.release();
  }
}

/**
 * A stream leg that got its first chunk after another leg had won (its signal is already
 * aborted): throws the abort into it, so it cancels its request and records its attempt as
 * an error, and nothing of it reaches the caller.
 */
export function discardLeg(book: MemberBook, leg: Leg, opened: OpenedStream): void {
  if (opened.first.done) return; // complete already: nothing left to cancel
  book.stats.end();
  opened.stream.throw(leg.signal?.reason).catch(() => {});
}

/**
 * A leg failed: a cancelled one records no outcome; one a hedge overtook records how long it had
 * run, as a lower bound of its latency (its p95 must not forget it); else its outcome.
 */
function failed(book: MemberBook, leg: Leg, error: unknown, mode: LatencyMode, startedAt: number): void {
  if (leg.signal?.aborted) {
    if (lossOf(leg.signal.reason)?.type === 'overtaken')
      book.stats.latency(mode, book.now() - startedAt, true);
    return;
  }
  if (book.counts(error)) book.stats.outcome('failure');
}

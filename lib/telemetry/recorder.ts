import mitt from 'mitt';
import { LLMError } from '../errors/classes.js';
import type { Reply } from '../types.js';
import { collectCircuitOpen, type Counters } from './counters.js';
import type { EventBus, LLMEvents } from './events.js';
import type { CallSpan } from './otel.js';

/**
 * One observed call: a bus of its own (so its events, even among concurrent calls, reach
 * its span), the counters it adds to, and its span if tracing is on.
 */
export class CallRecorder {
  readonly bus: EventBus;
  readonly #counters: Counters;
  readonly #span: CallSpan | undefined;
  readonly #startedAt = Date.now();
  #cached = false;
  #hedged = false;
  /** Refusals by open breakers seen in this call, each error once. */
  #blocks: Set<unknown> | undefined;

  readonly #onEnd: () => void;

  constructor(counters: Counters, span: CallSpan | undefined, onEnd: () => void) {
    this.#counters = counters;
    this.#span = span;
    this.#onEnd = onEnd;
    counters.requests++;
    counters.inFlight++;
    this.bus = mitt<LLMEvents>();
    this.bus.on('*', (type, payload) => this.#observe(type, payload));
  }

  succeed(reply: Reply): void {
    this.#onEnd();
    const c = this.#counters;
    c.inFlight--;
    c.successes++;
    c.latency.add(Date.now() - this.#startedAt);
    if (!this.#cached) c.addTokens(reply);
    c.circuitBreaker.blocks += this.#blocks?.size ?? 0;
    this.#span?.succeed(reply);
  }

  /** The call failed with `error` (the caller's own abort is a cancellation, not this). */
  fail(error: unknown): void {
    this.#onEnd();
    const c = this.#counters;
    c.inFlight--;
    collectCircuitOpen(error, (this.#blocks ??= new Set()));
    c.circuitBreaker.blocks += this.#blocks.size;
    c.failures++;
    c.latency.add(Date.now() - this.#startedAt);
    this.#span?.fail(error);
  }

  /** The caller aborted (with `error`, its reason), or the consumer left the stream before its end. */
  cancel(error?: unknown): void {
    this.#onEnd();
    const c = this.#counters;
    c.inFlight--;
    if (error !== undefined) collectCircuitOpen(error, (this.#blocks ??= new Set()));
    c.cancelled++;
    c.circuitBreaker.blocks += this.#blocks?.size ?? 0;
    this.#span?.cancel();
  }

  #observe(type: keyof LLMEvents, payload: unknown): void {
    this.#counters.observe(type, payload);
    switch (type) {
      case 'cacheHit':
        this.#cached = true;
        this.#span?.cacheHit();
        return;
      case 'attempt':
        this.#span?.attempt(payload as LLMEvents['attempt']);
        return;
      case 'retry':
        this.#blocked((payload as LLMEvents['retry']).error);
        this.#span?.retry(payload as LLMEvents['retry']);
        return;
      case 'fallback':
        this.#blocked((payload as LLMEvents['fallback']).error);
        this.#span?.fallback(payload as LLMEvents['fallback']);
        return;
      case 'hedge':
        if (!this.#hedged) this.#counters.hedges++; // hedged calls, however many hedges each
        this.#hedged = true;
        this.#span?.hedge(payload as LLMEvents['hedge']);
        return;
      case 'hedgeWin':
        this.#span?.hedgeWin(payload as LLMEvents['hedgeWin']);
        return;
    }
  }

  #blocked(error: unknown): void {
    if (error instanceof LLMError && error.kind === 'circuit_open') (this.#blocks ??= new Set()).add(error);
  }
}

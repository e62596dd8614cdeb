import { LLMError } from '../errors/classes.js';
import type { Reply } from '../types.js';
import { collectCircuitOpen, type Counters } from './counters.js';
import type { EventBus, LLMEvents } from './events.js';
import type { CallSpan } from './otel.js';
import type { CostMeter } from './cost.js';
import type { MetricInstruments } from './instruments.js';
import type { Attributes } from '@opentelemetry/api';

/** What a {@link CallRecorder} records into. */
export interface RecorderParts {
  readonly counters: Counters;
  readonly span: CallSpan | undefined;
  /** OpenTelemetry instruments, when `metrics` is on. */
  readonly metrics: MetricInstruments | undefined;
  /** The call's target as metric attributes (with `metrics` only). */
  readonly attributes: Attributes | undefined;
  /** Prices, when the telemetry has a price table. */
  readonly cost: CostMeter | undefined;
  readonly onEnd: () => void;
}

/**
 * One observed call: a bus of its own (so its events, even among concurrent calls, reach
 * its span), the counters it adds to, and its span if tracing is on.
 */
export class CallRecorder {
  readonly bus: EventBus;
  readonly #counters: Counters;
  readonly #span: CallSpan | undefined;
  readonly #metrics: MetricInstruments | undefined;
  readonly #attributes: Attributes | undefined;
  readonly #cost: CostMeter | undefined;
  readonly #startedAt = performance.now();
  #cached = false;
  #hedged = false;
  /** The configured model of the last successful attempt (the one that answered). */
  #answeredBy: string | undefined;
  /** Refusals by open breakers seen in this call, each error once. */
  #blocks: Set<unknown> | undefined;

  readonly #onEnd: () => void;

  constructor({ counters, span, metrics, attributes, cost, onEnd }: RecorderParts) {
    this.#counters = counters;
    this.#span = span;
    this.#metrics = metrics;
    this.#attributes = attributes;
    this.#cost = cost;
    this.#onEnd = onEnd;
    counters.requests++;
    counters.inFlight++;
    this.bus = ownBus((type, payload) => this.#observe(type, payload));
  }

  succeed(reply: Reply): void {
    this.#onEnd();
    const c = this.#counters;
    c.inFlight--;
    c.successes++;
    const ms = performance.now() - this.#startedAt;
    c.latency.add(ms);
    const cached = this.#cached || reply.cached !== undefined;
    if (!cached) c.addTokens(reply);
    c.circuitBreaker.blocks += this.#blocks?.size ?? 0;
    // Cache hits (fresh or stale) spend no tokens and cost nothing.
    const cost = !this.#cost ? undefined : cached ? 0 : this.#cost.add(reply, this.#answeredBy);
    this.#span?.succeed(reply, cost);
    this.#metrics?.succeeded(
      this.#attributes!,
      reply,
      ms / 1000,
      cost ?? 0,
      cost === undefined ? undefined : this.#cost!.modelOf(reply, this.#answeredBy),
    );
  }

  /** The call failed with `error` (the caller's own abort is a cancellation, not this). */
  fail(error: unknown): void {
    this.#onEnd();
    const c = this.#counters;
    c.inFlight--;
    collectCircuitOpen(error, (this.#blocks ??= new Set()));
    c.circuitBreaker.blocks += this.#blocks.size;
    c.failures++;
    const ms = performance.now() - this.#startedAt;
    c.latency.add(ms);
    this.#span?.fail(error);
    this.#metrics?.failed(this.#attributes!, error, ms / 1000);
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
    this.#metrics?.observe(type, payload);
    switch (type) {
      case 'cacheHit':
      case 'cacheStale':
        this.#cached = true;
        this.#span?.cacheHit(type === 'cacheStale');
        return;
      case 'attempt': {
        const attempt = payload as LLMEvents['attempt'];
        if (attempt.outcome === 'success') this.#answeredBy = attempt.model;
        this.#span?.attempt(attempt);
        return;
      }
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

/** A call recorder's bus takes no subscribers. */
function noSubscribers(): never {
  throw new Error("llm-resilience: a call recorder's bus takes no subscribers");
}

/**
 * A call's own bus, with one listener and nothing to subscribe: `emit` calls it directly. Not a
 * `mitt` emitter (a Map, four closures and a copied listener array per event, for every call);
 * lacking mitt's `all` map, `emit` in context.ts calls it as it calls any foreign bus.
 */
function ownBus(listener: (type: keyof LLMEvents, payload: unknown) => void): EventBus {
  return {
    all: undefined as never,
    on: noSubscribers,
    off: noSubscribers,
    emit: listener as EventBus['emit'],
  };
}

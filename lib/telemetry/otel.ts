import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { LLMRequest } from '../middleware/types.js';
import { describeValue } from '../validate.js';
import type { Attempt, Provider, Reply } from '../types.js';
import type { LLMEvents } from './events.js';

/** The tracer `withTelemetry` uses: none unless asked; `true` is the global API's tracer (a no-op until an SDK is registered). */
export function resolveTracer(tracing: unknown): Tracer | undefined {
  if (tracing === undefined || tracing === false) return undefined;
  if (tracing === true) return trace.getTracer('llm-resilience');
  if (typeof (tracing as Tracer | null)?.startSpan === 'function') return tracing as Tracer;
  throw new TypeError(
    `\`tracing\` must be a boolean or an OpenTelemetry Tracer, got ${describeValue(tracing)}`,
  );
}

/** `error.type`: the error's class name (`RateLimitError`, `TimeoutError`, `AbortError`, …), else `_OTHER`. */
export function errorType(error: unknown): string {
  // By shape: a DOMException (an aborted request) may come from another realm than `Error`.
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}

/**
 * The spans of one call, per the OpenTelemetry GenAI conventions: a call span `chat <model>`
 * (`INTERNAL`) and, as its children, one `CLIENT` span per attempt, drawn from the `attempt`
 * events with the attempt's own start and duration. Retries, fallbacks and cache hits are
 * events on the call span. The answering attempt's span is held open until the reply is
 * known, so it carries the response model, token usage, finish reasons
 * (`gen_ai.response.finish_reasons`), the normalised stop reason and the number of tool calls
 * (`llm_resilience.tool_calls`) too.
 */
export class CallSpan {
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #parent: Context;
  #answering: { span: Span; endTime: number } | undefined;

  constructor(tracer: Tracer, target: { model: string; provider: Provider }, request: LLMRequest) {
    const { temperature, maxTokens } = request.options;
    const attributes: Attributes = {
      ...system(target.provider),
      'gen_ai.request.model': target.model,
      ...(temperature === undefined ? {} : { 'gen_ai.request.temperature': temperature }),
      ...(maxTokens === undefined ? {} : { 'gen_ai.request.max_tokens': maxTokens }),
    };
    this.#tracer = tracer;
    this.#span = tracer.startSpan(`chat ${target.model}`, {
      kind: SpanKind.INTERNAL,
      attributes,
      startTime: Date.now(),
    });
    this.#parent = trace.setSpan(context.active(), this.#span);
  }

  attempt(attempt: Attempt): void {
    const span = this.#tracer.startSpan(
      `chat ${attempt.model}`,
      {
        kind: SpanKind.CLIENT,
        startTime: attempt.startedAt,
        attributes: { ...system(attempt.provider), 'gen_ai.request.model': attempt.model },
      },
      this.#parent,
    );
    const endTime = attempt.startedAt + attempt.durationMs;
    this.#endAnswering();
    if (attempt.outcome === 'success') {
      this.#answering = { span, endTime };
      return;
    }
    failed(span, attempt.error);
    span.end(endTime);
  }

  retry({ error, attempt, delayMs, model }: LLMEvents['retry']): void {
    this.#span.addEvent('retry', {
      'gen_ai.request.model': model,
      'error.type': errorType(error),
      'llm_resilience.attempt': attempt,
      'llm_resilience.delay_ms': delayMs,
    });
  }

  fallback({ error, from, to }: LLMEvents['fallback']): void {
    this.#span.addEvent('fallback', {
      'error.type': errorType(error),
      'llm_resilience.from': from,
      'llm_resilience.to': to,
    });
  }

  /** `route()` started a hedge. */
  hedge({ from, to, afterMs }: LLMEvents['hedge']): void {
    this.#span.addEvent('hedge', {
      'llm_resilience.from': from,
      'llm_resilience.to': to,
      'llm_resilience.after_ms': afterMs,
    });
  }

  /** A hedge answered first; the request it raced was cancelled. */
  hedgeWin({ winner }: LLMEvents['hedgeWin']): void {
    this.#span.addEvent('hedge_win', { 'llm_resilience.winner': winner });
  }

  /** Answered from the cache: fresh, or `stale` after the live call failed (`staleIfError`). */
  cacheHit(stale = false): void {
    this.#span.setAttribute('llm_resilience.cache_hit', true);
    if (stale) this.#span.setAttribute('llm_resilience.cache_stale', true);
    this.#span.addEvent(stale ? 'cache_stale' : 'cache_hit');
  }

  /** The call's reply; `cost` from the telemetry's price table (`gen_ai.usage.cost`), if it has one. */
  succeed(reply: Reply, cost?: number): void {
    const answer: Attributes = {
      'gen_ai.response.model': reply.model,
      'gen_ai.usage.input_tokens': reply.usage.inputTokens,
      'gen_ai.usage.output_tokens': reply.usage.outputTokens,
      ...(reply.finishReason ? { 'gen_ai.response.finish_reasons': [reply.finishReason] } : {}),
      'llm_resilience.stop_reason': reply.stopReason,
      'llm_resilience.tool_calls': reply.toolCalls.length,
    };
    if (this.#answering) this.#answering.span.setAttributes(answer);
    this.#endAnswering();
    this.#span.setAttributes({
      ...answer,
      'llm_resilience.attempts': reply.attempts.length,
      ...(cost === undefined ? {} : { 'gen_ai.usage.cost': cost }),
    });
    this.#span.end(Date.now());
  }

  fail(error: unknown): void {
    this.#endAnswering();
    failed(this.#span, error);
    this.#span.end(Date.now());
  }

  /** The caller aborted or left the stream early: not an error of the service. */
  cancel(): void {
    this.#endAnswering();
    this.#span.setAttribute('llm_resilience.cancelled', true);
    this.#span.end(Date.now());
  }

  #endAnswering(): void {
    if (!this.#answering) return;
    this.#answering.span.end(this.#answering.endTime);
    this.#answering = undefined;
  }
}

function system(provider: Provider): Attributes {
  return { 'gen_ai.operation.name': 'chat', 'gen_ai.system': provider, 'gen_ai.provider.name': provider };
}

function failed(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(error instanceof Error ? { message: error.message } : {}),
  });
}

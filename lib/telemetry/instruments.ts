/**
 * OpenTelemetry metrics (DESIGN §11), through `@opentelemetry/api` only: a no-op until the
 * application registers a `MeterProvider`. The GenAI semantic conventions' client instruments,
 * plus this library's own counters under `llm_resilience.*`.
 *
 * - `gen_ai.client.operation.duration` (histogram, s): one per call through `withTelemetry`
 *   (start to reply or error; a stream to its end), with `gen_ai.operation.name`,
 *   `gen_ai.provider.name`, `gen_ai.request.model`, and `gen_ai.response.model` or `error.type`.
 *   Calls the caller cancelled are not recorded.
 * - `gen_ai.client.token.usage` (histogram, {token}): a live reply's input and output tokens,
 *   `gen_ai.token.type` = `input` | `output`. Cache hits spend none and record none.
 * - `llm_resilience.attempts` (provider, model, `llm_resilience.outcome`, `error.type`),
 *   `llm_resilience.retries`, `llm_resilience.fallbacks`, `llm_resilience.hedges`,
 *   `llm_resilience.cache.lookups` (`llm_resilience.cache.result` = hit | miss | stale),
 *   `llm_resilience.rate_limit.waits` and `…rejections`, `llm_resilience.rate_limit.wait.duration`
 *   (s), `llm_resilience.circuit_breaker.transitions` (`llm_resilience.circuit_breaker.name`,
 *   `…state`), the gauge `llm_resilience.circuit_breaker.state` (0 closed, 1 half-open, 2 open)
 *   of every breaker found, and `llm_resilience.cost` (with `prices`).
 */
import { type Attributes, type Counter, type Histogram, type Meter, metrics } from '@opentelemetry/api';
import type { FoundGuard } from '../chain.js';
import { describeValue } from '../validate.js';
import type { Attempt, Provider, Reply } from '../types.js';
import type { LLMEvents } from './events.js';
import { errorType } from './otel.js';

/**
 * Where metrics go: nowhere unless asked; `true` is the global API's meter `llm-resilience`, taken
 * when the first call is recorded (the API's global meter is not a proxy: one taken before the
 * application registers its `MeterProvider` would stay a no-op).
 */
export function resolveMeter(option: unknown): (() => Meter) | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => metrics.getMeter('llm-resilience');
  if (typeof (option as Meter | null)?.createHistogram === 'function') return () => option as Meter;
  throw new TypeError(
    `\`metrics\` must be a boolean or an OpenTelemetry Meter, got ${describeValue(option)}`,
  );
}

/** Bucket boundaries the GenAI conventions advise. */
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const BREAKER_STATES: Readonly<Record<string, number>> = { closed: 0, half_open: 1, open: 2 };

/** The call's target, as the attributes every call-level point carries. */
export function callAttributes(target: { model: string; provider: Provider }): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': target.provider,
    'gen_ai.request.model': target.model,
  };
}

/** The instruments of one `Telemetry`, created once on its meter. */
export class MetricInstruments {
  readonly #duration: Histogram;
  readonly #tokens: Histogram;
  readonly #attempts: Counter;
  readonly #retries: Counter;
  readonly #fallbacks: Counter;
  readonly #hedges: Counter;
  readonly #cache: Counter;
  readonly #waits: Counter;
  readonly #rejections: Counter;
  readonly #waited: Histogram;
  readonly #transitions: Counter;
  readonly #cost: Counter;

  constructor(meter: Meter, breakers: readonly FoundGuard[]) {
    this.#duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#tokens = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Measures number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    const counter = (name: string, description: string, unit = '1'): Counter =>
      meter.createCounter(`llm_resilience.${name}`, { description, unit });
    this.#attempts = counter('attempts', 'Requests sent to providers', '{request}');
    this.#retries = counter('retries', 'Retries scheduled', '{retry}');
    this.#fallbacks = counter('fallbacks', 'Moves to the next LLM of a fallback chain', '{fallback}');
    this.#hedges = counter('hedges', 'Hedged requests started', '{request}');
    this.#cache = counter('cache.lookups', 'Cache lookups by result (hit, miss, stale)', '{lookup}');
    this.#waits = counter('rate_limit.waits', 'Calls the local rate limiter held back', '{call}');
    this.#rejections = counter('rate_limit.rejections', 'Calls the local rate limiter refused', '{call}');
    this.#waited = meter.createHistogram('llm_resilience.rate_limit.wait.duration', {
      description: 'Time a call was held by the local rate limiter',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#transitions = counter(
      'circuit_breaker.transitions',
      'Circuit breaker state changes',
      '{transition}',
    );
    this.#cost = counter('cost', 'Cost of live replies, from the Telemetry price table', '{currency}');
    meter
      .createObservableGauge('llm_resilience.circuit_breaker.state', {
        description: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
        unit: '1',
      })
      .addCallback((result) => {
        for (const { guard } of breakers) {
          const { name, state } = guard as { name?: unknown; state?: unknown };
          const value = typeof state === 'string' ? BREAKER_STATES[state] : undefined;
          if (value !== undefined && typeof name === 'string')
            result.observe(value, { 'llm_resilience.circuit_breaker.name': name });
        }
      });
  }

  /** A call ended with a reply. `cached`: no tokens were spent. */
  succeeded(
    attributes: Attributes,
    reply: Reply,
    seconds: number,
    cost: number,
    costModel: string | undefined,
  ): void {
    const answered = { ...attributes, 'gen_ai.response.model': reply.model };
    this.#duration.record(seconds, answered);
    if (reply.cached !== undefined) return;
    this.#tokens.record(reply.usage.inputTokens, { ...answered, 'gen_ai.token.type': 'input' });
    this.#tokens.record(reply.usage.outputTokens, { ...answered, 'gen_ai.token.type': 'output' });
    if (costModel !== undefined) this.#cost.add(cost, { ...attributes, 'gen_ai.response.model': costModel });
  }

  /** A call failed with `error` (not the caller's cancellation). */
  failed(attributes: Attributes, error: unknown, seconds: number): void {
    this.#duration.record(seconds, { ...attributes, 'error.type': errorType(error) });
  }

  /** Counts one event of an observed call. */
  observe(type: keyof LLMEvents | 'hedge', payload: unknown): void {
    switch (type) {
      case 'attempt': {
        const a = payload as Attempt;
        this.#attempts.add(1, {
          'gen_ai.provider.name': a.provider,
          'gen_ai.request.model': a.model,
          'llm_resilience.outcome': a.outcome,
          ...(a.outcome === 'error' ? { 'error.type': errorType(a.error) } : {}),
        });
        return;
      }
      case 'retry': {
        const r = payload as LLMEvents['retry'];
        this.#retries.add(1, { 'gen_ai.request.model': r.model, 'error.type': errorType(r.error) });
        return;
      }
      case 'fallback':
        this.#fallbacks.add(1, { 'error.type': errorType((payload as LLMEvents['fallback']).error) });
        return;
      case 'hedge':
        this.#hedges.add(1);
        return;
      case 'cacheHit':
      case 'cacheMiss':
      case 'cacheStale': {
        const { model } = payload as LLMEvents['cacheHit'];
        const result = type === 'cacheHit' ? 'hit' : type === 'cacheMiss' ? 'miss' : 'stale';
        this.#cache.add(1, { 'gen_ai.request.model': model, 'llm_resilience.cache.result': result });
        return;
      }
      case 'rateLimited': {
        const { waitMs, rejected, model } = payload as LLMEvents['rateLimited'];
        const attributes = { 'gen_ai.request.model': model };
        if (rejected) this.#rejections.add(1, attributes);
        else {
          this.#waits.add(1, attributes);
          if (Number.isFinite(waitMs)) this.#waited.record(waitMs / 1000, attributes);
        }
        return;
      }
      case 'circuitState': {
        const { name, to } = payload as LLMEvents['circuitState'];
        this.#transitions.add(1, {
          'llm_resilience.circuit_breaker.name': name,
          'llm_resilience.circuit_breaker.state': to,
        });
        return;
      }
    }
  }
}

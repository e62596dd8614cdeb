import { brand } from './brand.js';
import { type CallContext, emit, openCall } from './context.js';
import { ReplyStream } from './stream.js';
import type { EventBus } from './telemetry/events.js';
import { checkDuration, checkInteger, checkNumber } from './validate.js';
import type { CallOptions, Input, Message, Provider, Reply, StreamChunk } from './types.js';
import type { RetryConfig } from './retry/config.js';
import type { FallbackOptions } from './fallback/options.js';
import type { CircuitBreaker } from './guards/circuit-breaker/breaker.js';
import type { CircuitBreakerOptions } from './guards/circuit-breaker/options.js';
import type { RateLimiter } from './guards/rate-limit/limiter.js';
import type { RateLimiterOptions } from './guards/rate-limit/options.js';
import type { CacheOptions, ResponseCache } from './guards/cache/store.js';
import type { Telemetry } from './telemetry/metrics.js';
import { checkHealth, type HealthCheckOptions, type ModelHealth } from './health.js';
import { checkCallOptionKeys, checkInput } from './request-checks.js';

/** A call as every layer sees it: the conversation and the caller's options. Internal. */
export interface LLMRequest {
  readonly messages: readonly Message[];
  readonly options: CallOptions;
}

/** How `withX` builds its wrapper; filled once by `compose.ts` so no import cycle can leave a class undefined. */
export interface WrapperFactories {
  retry(inner: LLM, config: RetryConfig | number | undefined): LLM;
  fallbacks(inner: LLM, fallbacks: readonly LLM[], options: FallbackOptions | undefined): LLM;
  events(inner: LLM, bus: EventBus): LLM;
  circuitBreaker(inner: LLM, breaker: CircuitBreaker | CircuitBreakerOptions | undefined): LLM;
  rateLimit(inner: LLM, limiter: RateLimiter | RateLimiterOptions): LLM;
  cache(inner: LLM, cache: ResponseCache | CacheOptions | undefined): LLM;
  telemetry(inner: LLM, telemetry: Telemetry): LLM;
}

let factories: WrapperFactories | undefined;

/** @internal Called once by `compose.ts`. */
export function installWrappers(f: WrapperFactories): void {
  factories = f;
}

function wrappers(): WrapperFactories {
  if (!factories) throw new Error('llm-resilience: import the package from its entry point (llm-resilience)');
  return factories;
}

/**
 * An immutable handle on a model. Providers (`OpenAILLM`, `AnthropicLLM`) and wrappers (retry,
 * fallbacks, …) all extend it; every `withX` returns a new LLM wrapping this one.
 *
 * @example
 * const llm = new OpenAILLM('gpt-4o').withRetry({ maxRetries: 3 }).withFallbacks([new AnthropicLLM('claude-3-5-haiku-latest')]);
 * const reply = await llm.ask('Write a haiku');
 */
export abstract class LLM {
  /** The model this LLM (or the LLM it fronts) calls. */
  abstract readonly model: string;
  abstract readonly provider: Provider;

  /** A one-line picture of the chain, e.g. `fallback(retry(openai:gpt-4o ×4), anthropic:claude-3-5-haiku)`. */
  abstract describe(): string;

  /** @internal One call through this layer. */
  abstract _ask(request: LLMRequest, ctx: CallContext): Promise<Reply>;

  /** @internal One stream through this layer: yields chunks, returns the final reply. */
  abstract _stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined>;

  /** Asks once (through whatever this LLM wraps) and resolves to the complete reply. */
  async ask(input: Input, options: CallOptions = {}): Promise<Reply> {
    const request = toRequest(input, options); // validate before arming the deadline
    const call = openCall(options);
    try {
      return await this._ask(request, call.ctx);
    } finally {
      call.close();
    }
  }

  /** Streams the answer. Retry and fallback cover it exactly as they cover `ask()`. */
  stream(input: Input, options: CallOptions = {}): ReplyStream {
    const request = toRequest(input, options);
    return new ReplyStream(() => {
      const call = openCall(options);
      return { chunks: this._stream(request, call.ctx), close: call.close };
    });
  }

  /**
   * Retries this LLM on transient errors. A number is `maxRetries`.
   *
   * @example
   * llm.withRetry({ maxRetries: 3, backoffStrategy: 'jitter', onRetry: (e, n, ms) => log.warn(`retry ${n} in ${ms} ms`) });
   */
  withRetry(config?: RetryConfig | number): LLM {
    return wrappers().retry(this, config);
  }

  /**
   * Falls back to each of `llms` in order when this one fails.
   *
   * @example
   * primary.withFallbacks([backup], { onFallback: (e, next) => log.info(`falling back to ${next.model}`) });
   */
  withFallbacks(llms: readonly LLM[], options?: FallbackOptions): LLM {
    return wrappers().fallbacks(this, llms, options);
  }

  /**
   * Emits this chain's events (attempt, retry, fallback, success, failure) on `bus`.
   *
   * @example
   * const bus = createEventBus(); bus.on('fallback', (e) => log.info(e));
   * const observed = llm.withEvents(bus);
   */
  withEvents(bus: EventBus): LLM {
    return wrappers().events(this, bus);
  }

  /**
   * Guards this LLM with a circuit breaker: after `failureThreshold` consecutive failures that
   * say the provider is in trouble, calls fail fast with `CircuitOpenError` (a fallback chain
   * moves on at once) until a probe succeeds after `recoveryTimeout`. Pass a `CircuitBreaker`
   * to share one circuit between LLMs, or options for a private one.
   *
   * @example
   * const guarded = primary.withCircuitBreaker({ failureThreshold: 3, recoveryTimeout: 30_000 }).withFallbacks([backup]);
   * const shared = new CircuitBreaker(); a.withCircuitBreaker(shared); b.withCircuitBreaker(shared);
   */
  withCircuitBreaker(breaker?: CircuitBreaker | CircuitBreakerOptions): LLM {
    return wrappers().circuitBreaker(this, breaker);
  }

  /**
   * Paces this LLM's calls under a local limit on requests and tokens per minute (a sliding
   * window), queueing up to `maxWait` and following the provider's rate-limit headers. Pass a
   * `RateLimiter` to share one quota between LLMs, or options for a private one.
   *
   * @example
   * const paced = llm.withRateLimit({ requestsPerMinute: 500, tokensPerMinute: 200_000, maxWait: 10_000 });
   * const quota = new RateLimiter({ requestsPerMinute: 60 }); a.withRateLimit(quota); b.withRateLimit(quota);
   */
  withRateLimit(limiter: RateLimiter | RateLimiterOptions): LLM {
    return wrappers().rateLimit(this, limiter);
  }

  /**
   * Answers repeated calls from a cache of complete replies (LRU with a TTL). Pass a
   * `ResponseCache` to share one between LLMs, or options for a private one. By default a
   * call that sets `temperature > 0` is not cached (see `cachesByDefault`).
   *
   * @example
   * const cached = llm.withCache({ ttl: 10 * 60_000, maxEntries: 500 });
   * const shared = new ResponseCache(); a.withCache(shared); b.withCache(shared);
   */
  withCache(cache?: ResponseCache | CacheOptions): LLM {
    return wrappers().cache(this, cache);
  }

  /**
   * Records this chain's calls in `telemetry`: metrics (`telemetry.getMetrics()`) and, with
   * `tracing`, OpenTelemetry spans. Attach it outermost to count what callers see.
   *
   * @example
   * const telemetry = new Telemetry({ tracing: true });
   * const observed = llm.withRetry(3).withFallbacks([backup]).withTelemetry(telemetry);
   * await observed.ask('Hi'); telemetry.getMetrics().successRate; // 1
   */
  withTelemetry(telemetry: Telemetry): LLM {
    return wrappers().telemetry(this, telemetry);
  }

  /**
   * Checks every provider model of this chain with one cheap real request each (a models-list
   * call), in parallel, and reports reachability, latency, and the state of the breaker and
   * limiter in front of each. Never rejects for an unreachable model; rejects only on `signal`.
   *
   * @example
   * const report = await llm.healthCheck({ timeout: 5_000 });
   * // [{ model: 'gpt-4o', provider: 'openai', llm: 'openai:gpt-4o', reachable: true, latencyMs: 84, breaker: 'closed' }, …]
   */
  healthCheck(options?: HealthCheckOptions): Promise<ModelHealth[]> {
    return checkHealth(this, options);
  }
}

// `instanceof LLM` (the fallback and wrapper checks) holds across copies of the package (ESM and CJS at once).
brand(LLM, 'LLM');

/**
 * Whether `value` is an LLM, from this copy of the package or another (an app loading it through
 * both `import` and `require`). `instanceof LLM` says the same.
 *
 * @example
 * if (!isLLM(candidate)) throw new TypeError('expected an LLM');
 */
export function isLLM(value: unknown): value is LLM {
  return value instanceof LLM;
}

/**
 * Base of every wrapper: fronts `inner`'s model and provider. A wrapper overrides `_ask` and
 * `_stream`; the defaults pass straight through.
 */
export abstract class WrapperLLM extends LLM {
  readonly inner: LLM;

  protected constructor(inner: LLM) {
    super();
    if (!(inner instanceof LLM))
      throw new TypeError(`the wrapped LLM must be an LLM, got ${describeValue(inner)}`);
    this.inner = inner;
  }

  get model(): string {
    return this.inner.model;
  }

  get provider(): Provider {
    return this.inner.provider;
  }
}

/** The events wrapper: adds a bus to the call's context, and reports the call's outcome on it. */
export class EventsLLM extends WrapperLLM {
  readonly bus: EventBus;

  constructor(inner: LLM, bus: EventBus) {
    super(inner);
    if (typeof bus?.emit !== 'function')
      throw new TypeError(`\`bus\` must be an event bus (createEventBus()), got ${describeValue(bus)}`);
    this.bus = bus;
    Object.freeze(this);
  }

  describe(): string {
    return this.inner.describe();
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const inner = this.#withBus(ctx);
    try {
      const reply = await this.inner._ask(request, inner);
      emit(inner, 'success', { reply });
      return reply;
    } catch (error) {
      emit(inner, 'failure', { error, attempts: ctx.attempts });
      throw error;
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const inner = this.#withBus(ctx);
    try {
      const reply = yield* this.inner._stream(request, inner);
      emit(inner, 'success', { reply });
      return reply;
    } catch (error) {
      emit(inner, 'failure', { error, attempts: ctx.attempts });
      throw error;
    }
  }

  #withBus(ctx: CallContext): CallContext {
    return { ...ctx, buses: [...ctx.buses, this.bus] };
  }
}

/** Normalises `ask`/`stream` input: a string is one user message. */
export function toRequest(input: Input, options: CallOptions): LLMRequest {
  checkCallOptions(options);
  if (typeof input !== 'string' && (!Array.isArray(input) || input.length === 0)) {
    throw new TypeError(`\`input\` must be a string or a non-empty Message[], got ${describeValue(input)}`);
  }
  checkInput(input);
  if (typeof input === 'string') return { messages: [{ role: 'user', content: input }], options };
  return { messages: input, options };
}

function checkCallOptions(options: CallOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`call options must be an object, got ${describeValue(options)}`);
  checkCallOptionKeys(options);
  const { signal, deadline, timeout, firstChunkTimeout, idleTimeout, temperature, maxTokens } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`\`signal\` must be an AbortSignal, got ${describeValue(signal)}`);
  }
  checkDuration('deadline', deadline);
  checkDuration('timeout', timeout);
  checkDuration('firstChunkTimeout', firstChunkTimeout);
  checkDuration('idleTimeout', idleTimeout);
  checkNumber('temperature', temperature, 0);
  checkInteger('maxTokens', maxTokens, 1);
}

/** A short, safe picture of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

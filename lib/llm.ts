import { brand, isLLM, LLM_BRAND } from './brand.js';
import { type CallContext, checkRequest, openCall } from './context.js';
import { checkHealth, type HealthCheckOptions, type ModelHealth } from './health.js';
import { checkMiddleware } from './middleware/check.js';
import { explainChain, explainLeaf } from './middleware/explain.js';
import { abortable, ATTACH, BUILT_IN } from './middleware/run.js';
import type {
  AskNext,
  ExplainNode,
  ExplainOptions,
  Explanation,
  Guard,
  LLMMiddleware,
  LLMRequest,
  StreamNext,
} from './middleware/types.js';
import { toRequest } from './request.js';
import { raceAbort } from './sleep.js';
import { ReplyStream } from './stream.js';
import type {
  CallOptions,
  Input,
  Provider,
  Reply,
  SchemaInput,
  StreamChunk,
  TimeoutOptions,
} from './types.js';
import type { ReplyWithChoice, ReplyWithObject, SchemaOutput } from './schema/infer.js';
import { describeValue } from './validate.js';
import { type RetryMiddleware, retry } from './retry/wrapper.js';
import type { RetryConfig } from './retry/config.js';
import { type FallbackMiddleware, fallback } from './fallback/wrapper.js';
import type { FallbackOptions } from './fallback/options.js';
import { type CircuitBreakerMiddleware, circuitBreaker } from './guards/circuit-breaker/wrapper.js';
import type { CircuitBreaker } from './guards/circuit-breaker/breaker.js';
import type { CircuitBreakerOptions } from './guards/circuit-breaker/options.js';
import { type RateLimitMiddleware, rateLimit } from './guards/rate-limit/wrapper.js';
import type { RateLimiter } from './guards/rate-limit/limiter.js';
import type { RateLimiterOptions } from './guards/rate-limit/options.js';
import { type CacheMiddleware, cache } from './guards/cache/wrapper.js';
import type { CacheOptions, ResponseCache } from './guards/cache/store.js';
import { type TelemetryMiddleware, telemetry } from './telemetry/wrapper.js';
import type { Telemetry } from './telemetry/metrics.js';
import { type EventsMiddleware, events } from './middleware/events.js';
import type { EventBus } from './telemetry/events.js';

export type { LLMRequest } from './middleware/types.js';

/**
 * An immutable handle on a model. Providers (`OpenAILLM`, `AnthropicLLM`) extend it; every
 * layer on top is a middleware (`use()`), and every `withX` is sugar for `use(x(…))`.
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

  /** The brand `isLLM()` reads, the same in every copy of the package. */
  get [LLM_BRAND](): true {
    return true;
  }

  /**
   * Asks once (through whatever this LLM wraps) and resolves to the complete reply. With
   * `schema`, `reply.object` is typed from it; with `choices`, `reply.choice` is one of them.
   */
  ask<S extends SchemaInput>(
    input: Input,
    options: Omit<CallOptions, 'schema'> & { readonly schema: S },
  ): Promise<ReplyWithObject<SchemaOutput<S>>>;
  ask<const C extends readonly string[]>(
    input: Input,
    options: CallOptions & { readonly choices: C },
  ): Promise<ReplyWithChoice<C[number]>>;
  ask(input: Input, options?: CallOptions): Promise<Reply>;
  async ask(input: Input, options: CallOptions = {}): Promise<Reply> {
    const request = toRequest(input, options); // every option is checked before anything is armed
    const call = openCall(options.signal, options.deadline);
    try {
      return await this._ask(request, call.ctx);
    } finally {
      call.close();
    }
  }

  /** Streams the answer. Retry and fallback cover it exactly as they cover `ask()`; `finalReply()` is typed like `ask`'s reply. */
  stream<S extends SchemaInput>(
    input: Input,
    options: Omit<CallOptions, 'schema'> & { readonly schema: S },
  ): ReplyStream<ReplyWithObject<SchemaOutput<S>>>;
  stream<const C extends readonly string[]>(
    input: Input,
    options: CallOptions & { readonly choices: C },
  ): ReplyStream<ReplyWithChoice<C[number]>>;
  stream(input: Input, options?: CallOptions): ReplyStream;
  stream(input: Input, options: CallOptions = {}): ReplyStream {
    const request = toRequest(input, options);
    return new ReplyStream(() => {
      const call = openCall(options.signal, options.deadline);
      return { chunks: this._stream(request, call.ctx), close: call.close };
    });
  }

  /**
   * Adds a layer, outermost: the new LLM's `inner` is this one. Built-ins and a user's layers are peers.
   *
   * @example
   * const logged = llm.use({ name: 'log', wrapAsk: async (req, next) => { console.time('ask'); try { return await next(req); } finally { console.timeEnd('ask'); } } });
   */
  use<M extends LLMMiddleware>(middleware: M): MiddlewareLLM<M> {
    return new MiddlewareLLM(this, middleware);
  }

  /**
   * Retries this LLM on transient errors (`use(retry(config))`). A number is `maxRetries`.
   *
   * @example
   * llm.withRetry({ maxRetries: 3, backoffStrategy: 'jitter', onRetry: (e, n, ms) => log.warn(`retry ${n} in ${ms} ms`) });
   */
  withRetry(config?: RetryConfig | number): MiddlewareLLM<RetryMiddleware> {
    return this.use(retry(config));
  }

  /**
   * Falls back to each of `llms` in order when this one fails (`use(fallback(llms, options))`).
   *
   * @example
   * primary.withFallbacks([backup], { onFallback: (e, next) => log.info(`falling back to ${next.model}`) });
   */
  withFallbacks(llms: readonly LLM[], options?: FallbackOptions): MiddlewareLLM<FallbackMiddleware> {
    return this.use(fallback(llms, options));
  }

  /**
   * Emits this chain's events (attempt, retry, fallback, success, failure) on `bus` (`use(events(bus))`).
   *
   * @example
   * const bus = createEventBus(); bus.on('fallback', (e) => log.info(e));
   * const observed = llm.withEvents(bus);
   */
  withEvents(bus: EventBus): MiddlewareLLM<EventsMiddleware> {
    return this.use(events(bus));
  }

  /**
   * Guards this LLM with a circuit breaker (`use(circuitBreaker(…))`): after `failureThreshold`
   * consecutive failures that say the provider is in trouble, calls fail fast with
   * `CircuitOpenError` (a fallback chain moves on at once) until a probe succeeds after
   * `recoveryTimeout`. Pass a `CircuitBreaker` to share one circuit between LLMs, or options
   * for a private one (named after this LLM's `describe()` unless `name` is given).
   *
   * @example
   * const guarded = primary.withCircuitBreaker({ failureThreshold: 3, recoveryTimeout: 30_000 }).withFallbacks([backup]);
   * const shared = new CircuitBreaker(); a.withCircuitBreaker(shared); b.withCircuitBreaker(shared);
   */
  withCircuitBreaker(
    breaker?: CircuitBreaker | CircuitBreakerOptions,
  ): MiddlewareLLM<CircuitBreakerMiddleware> {
    return this.use(circuitBreaker(breaker, this.describe()));
  }

  /**
   * Paces this LLM's calls under a local limit on requests and tokens per minute
   * (`use(rateLimit(…))`), queueing up to `maxWait` and following the provider's rate-limit
   * headers. Pass a `RateLimiter` to share one quota between LLMs, or options for a private one.
   *
   * @example
   * const paced = llm.withRateLimit({ requestsPerMinute: 500, tokensPerMinute: 200_000, maxWait: 10_000 });
   * const quota = new RateLimiter({ requestsPerMinute: 60 }); a.withRateLimit(quota); b.withRateLimit(quota);
   */
  withRateLimit(limiter: RateLimiter | RateLimiterOptions): MiddlewareLLM<RateLimitMiddleware> {
    return this.use(rateLimit(limiter));
  }

  /**
   * Answers repeated calls from a cache of complete replies (`use(cache(…))`, LRU with a TTL).
   * Pass a `ResponseCache` to share one between LLMs, or options for a private one. By default
   * a call that sets `temperature > 0` is not cached (see `cachesByDefault`).
   *
   * @example
   * const cached = llm.withCache({ ttl: 10 * 60_000, maxEntries: 500 });
   * const shared = new ResponseCache(); a.withCache(shared); b.withCache(shared);
   */
  withCache(responses?: ResponseCache | CacheOptions): MiddlewareLLM<CacheMiddleware> {
    return this.use(cache(responses));
  }

  /**
   * Records this chain's calls in `telemetry` (`use(telemetry(t))`): metrics
   * (`telemetry.getMetrics()`) and, with `tracing`, OpenTelemetry spans. Attach it outermost
   * to count what callers see.
   *
   * @example
   * const telemetry = new Telemetry({ tracing: true });
   * const observed = llm.withRetry(3).withFallbacks([backup]).withTelemetry(telemetry);
   * await observed.ask('Hi'); telemetry.getMetrics().successRate; // 1
   */
  withTelemetry(recorder: Telemetry): MiddlewareLLM<TelemetryMiddleware> {
    return this.use(telemetry(recorder));
  }

  /**
   * The most upstream requests one call can make and the longest it can take, from the
   * configuration alone (timeouts, retries and their waits, fallbacks, `deadline`), with the
   * same figures for every layer. `worstCaseMs` is `Infinity` (with a `reason`) where nothing
   * bounds an attempt.
   *
   * @example
   * new OpenAILLM('gpt-4o', { timeout: 10_000 }).withRetry(2).explain();
   * // { maxRequests: 3, worstCaseMs: 73_000, tree: { llm: 'retry(openai:gpt-4o ×3)', … } }
   */
  explain(options: ExplainOptions = {}): Explanation {
    return explainChain(this, options);
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

  /** @internal The LLMs this one may call (its inner, then its routes): what `healthCheck()` and `Telemetry` walk. */
  _children(): readonly LLM[] {
    return NONE;
  }

  /** @internal The guards this layer declares. */
  _guards(): readonly Guard[] {
    return NONE;
  }

  /**
   * @internal What the providers of this chain add to every answer from their own settings
   * (constructor `system`, sampling, default tools, provider options), as canonical text; `''`
   * when they add nothing. Part of a cache key: two LLMs of one model with another constructor
   * `system` never share an answer. Computed once per LLM (LLMs are immutable).
   */
  _answerScope(): string {
    let scope = SCOPES.get(this);
    if (scope === undefined) {
      scope = this._ownAnswerScope();
      SCOPES.set(this, scope);
    }
    return scope;
  }

  /**
   * @internal This LLM's {@link _answerScope}, uncached: a provider's own settings; a layer's is
   * its one child's (a retry does not change the answer), or all its children's together.
   */
  _ownAnswerScope(): string {
    const children = this._children();
    if (children.length === 1) return children[0]!._answerScope();
    const scopes = children.map((child) => child._answerScope());
    return scopes.every((scope) => scope === '') ? '' : JSON.stringify(scopes);
  }

  /**
   * @internal `request` as this chain's provider reads it: with a provider's constructor `system`,
   * `maxTokens` and default tools applied (what the token estimate counts). A layer passes it to its one child;
   * a chain of several members, or an LLM that cannot tell, returns it unchanged.
   */
  _withDefaults(request: LLMRequest): LLMRequest {
    const children = this._children();
    return children.length === 1 ? children[0]!._withDefaults(request) : request;
  }

  /** @internal The time limits of a leaf, for `explain()`; undefined when it has none it can tell. */
  _limits(): TimeoutOptions | undefined {
    return undefined;
  }

  /** @internal This LLM's `explain()` figures. */
  _explain(options: ExplainOptions): ExplainNode {
    return explainLeaf(this, options);
  }
}

// `instanceof LLM` holds across copies of the package (ESM and CJS at once), as `isLLM()` does.
brand(LLM, 'LLM');

const NONE: readonly never[] = Object.freeze([]);
const SCOPES = new WeakMap<LLM, string>();

/**
 * An LLM with one middleware layer on top of `inner`: what `use()` (and every `withX`) returns.
 * It fronts `inner`'s model and provider; `describe()` is `name(inner.describe())` unless the
 * middleware describes itself.
 *
 * @example
 * const retried = llm.withRetry(3); // a MiddlewareLLM<RetryMiddleware>
 * retried.inner === llm; retried.middleware.config.maxRetries; // 3
 * retried.describe(); // 'retry(openai:gpt-4o ×4)'
 */
export class MiddlewareLLM<M extends LLMMiddleware = LLMMiddleware> extends LLM {
  readonly inner: LLM;
  readonly middleware: M;
  /** The LLMs the middleware declared it may call, as they were when it was attached. */
  readonly routes: readonly LLM[];
  /** The guards the middleware declared, as they were when it was attached. */
  readonly guards: readonly Guard[];
  readonly #builtIn: boolean;
  /** For the package's own layers, which always pass the call on (typed as `AskNext`): made once, not per call. */
  readonly #askNext: (request: LLMRequest, ctx: CallContext) => Promise<Reply>;
  readonly #streamNext: (
    request: LLMRequest,
    ctx: CallContext,
  ) => AsyncGenerator<StreamChunk, Reply, undefined>;

  constructor(inner: LLM, middleware: M) {
    super();
    if (!isLLM(inner)) throw new TypeError(`the wrapped LLM must be an LLM, got ${describeValue(inner)}`);
    checkMiddleware(middleware);
    this.inner = inner;
    this.middleware = middleware;
    this.routes = Object.freeze([...(middleware.routes ?? [])]);
    this.guards = Object.freeze([...(middleware.guards ?? [])]);
    this.#builtIn = (middleware as { [BUILT_IN]?: unknown })[BUILT_IN] === true;
    this.#askNext = (request, ctx) => inner._ask(request, ctx);
    this.#streamNext = (request, ctx) => inner._stream(request, ctx);
    (middleware as { [ATTACH]?: (inner: LLM) => void })[ATTACH]?.(inner);
    if (new.target === MiddlewareLLM) Object.freeze(this);
  }

  get model(): string {
    return this.inner.model;
  }

  get provider(): Provider {
    return this.inner.provider;
  }

  describe(): string {
    const inner = this.inner.describe();
    const { middleware } = this;
    return middleware.describe ? middleware.describe(inner) : `${middleware.name}(${inner})`;
  }

  override _children(): readonly LLM[] {
    return [this.inner, ...this.routes];
  }

  override _guards(): readonly Guard[] {
    return this.guards;
  }

  _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    if (this.middleware.transformRequest) return this.#transformThenAsk(request, ctx);
    return this.#wrapAsk(request, ctx);
  }

  _stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    if (this.middleware.transformRequest) return this.#transformThenStream(request, ctx);
    return this.#wrapStream(request, ctx);
  }

  #wrapAsk(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const { middleware, inner } = this;
    if (!middleware.wrapAsk) return inner._ask(request, ctx);
    if (this.#builtIn) return middleware.wrapAsk(request, this.#askNext as AskNext, ctx, inner);
    const next = (r: LLMRequest): Promise<Reply> => inner._ask(r === request ? r : checkRequest(r), ctx);
    const pending = (async () => middleware.wrapAsk!(request, next, ctx, inner))();
    return ctx.signal ? raceAbort(pending, ctx.signal) : pending;
  }

  #wrapStream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const { middleware, inner } = this;
    if (!middleware.wrapStream) return inner._stream(request, ctx);
    if (this.#builtIn) return middleware.wrapStream(request, this.#streamNext as StreamNext, ctx, inner);
    const next = (r: LLMRequest): AsyncGenerator<StreamChunk, Reply, undefined> =>
      inner._stream(r === request ? r : checkRequest(r), ctx);
    const chunks = middleware.wrapStream(request, next, ctx, inner);
    return ctx.signal ? abortable(chunks, ctx.signal) : chunks;
  }

  async #transformThenAsk(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    return this.#wrapAsk(await this.#transform(request, ctx), ctx);
  }

  async *#transformThenStream(
    request: LLMRequest,
    ctx: CallContext,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    return yield* this.#wrapStream(await this.#transform(request, ctx), ctx);
  }

  async #transform(request: LLMRequest, ctx: CallContext): Promise<LLMRequest> {
    const transformed = this.middleware.transformRequest!(request, ctx);
    const settled =
      typeof (transformed as Partial<PromiseLike<LLMRequest>> | null)?.then === 'function'
        ? await raceAbort(Promise.resolve(transformed), ctx.signal)
        : (transformed as LLMRequest);
    ctx.signal?.throwIfAborted();
    return checkRequest(settled);
  }
}

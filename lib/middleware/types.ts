import type { LLM } from '../llm.js';
import type { CircuitBreaker } from '../guards/circuit-breaker/breaker.js';
import type { RateLimiter } from '../guards/rate-limit/limiter.js';
import type { ResponseCache } from '../guards/cache/store.js';
import type { LLMEvents } from '../telemetry/events.js';
import type { Attempt, CallOptions, Message, Reply, StreamChunk } from '../types.js';

/** The options a request carries to every layer: the call's options without `signal` and `deadline` (those live on {@link CallInfo}). */
export type RequestOptions = Omit<CallOptions, 'signal' | 'deadline'>;

/**
 * One call's request as every layer sees it: the conversation and the options. Immutable
 * (frozen): a layer that changes it returns a new one, e.g.
 * `{ ...request, messages: request.messages.map(redact) }`.
 */
export interface LLMRequest {
  readonly messages: readonly Message[];
  readonly options: RequestOptions;
}

/** Calls the next layer (inward) with a request; resolves to its reply. */
export type AskNext = (request: LLMRequest) => Promise<Reply>;

/** Streams through the next layer (inward): yields its chunks and returns its final reply. */
export type StreamNext = (request: LLMRequest) => AsyncGenerator<StreamChunk, Reply, undefined>;

/** A piece of shared state a layer holds, which `healthCheck()` and `Telemetry` report. */
export type Guard = CircuitBreaker | RateLimiter | ResponseCache;

/** What `call.via(llm)` gives: `ask` and `stream` of another LLM, inside the current call. */
export interface ViaLLM {
  readonly ask: AskNext;
  readonly stream: StreamNext;
}

/** Options of `call.via(llm, options)`. */
export interface ViaOptions {
  /**
   * Also aborts this branch (not the whole call) when it aborts: for a layer that runs several
   * LLMs at once and cancels the losers (hedging).
   */
  readonly signal?: AbortSignal;
}

/**
 * The public face of one call in flight, handed to every layer: the one home of its signal and
 * deadline, its attempt history, its event buses, and a way to run another LLM inside it.
 */
export interface CallInfo {
  /** Aborts when the caller aborts (reason: theirs) or the deadline passes (reason: a `TimeoutError`). */
  readonly signal: AbortSignal | undefined;
  /** When the deadline passes, on the monotonic clock of `performance.now()`; undefined without one. */
  readonly deadlineAt: number | undefined;
  /** Every request of the call so far, in order, across retries, fallbacks and routes. */
  readonly attempts: readonly Attempt[];
  /** Emits an event on the call's buses (`withEvents`, `withTelemetry`); costs nothing when none listens. */
  emit<K extends keyof LLMEvents>(type: K, payload: LLMEvents[K]): void;
  /**
   * Runs another LLM inside this call: same signal, deadline, attempt history and buses, so
   * cancellation, `deadline`, `Reply.attempts` and events work through a user's router.
   */
  via(llm: LLM, options?: ViaOptions): ViaLLM;
}

/** Figures a layer contributes to `explain()`; see {@link Explanation}. */
export interface ExplainNode {
  /** `describe()` of the layer or LLM. */
  readonly llm: string;
  /** The most upstream requests through it. */
  readonly maxRequests: number;
  /** The longest it can take, in ms; `Infinity` when nothing bounds it (see `reason`). */
  readonly worstCaseMs: number;
  /** Why `worstCaseMs` is `Infinity`, or what capped it. */
  readonly reason?: string;
  /** How the figures were computed, e.g. `4 attempts + 3 waits of ≤ 60000 ms`. */
  readonly formula?: string;
  readonly children: readonly ExplainNode[];
}

/** What `llm.explain()` returns: the most requests one call can make, the longest it can take, and why. */
export interface Explanation {
  readonly maxRequests: number;
  readonly worstCaseMs: number;
  /** Why `worstCaseMs` is `Infinity` (what leaves an attempt unbounded), or what capped it. */
  readonly reason?: string;
  /** The same figures for every layer, outermost first. */
  readonly tree: ExplainNode;
}

/** Options of `explain()`: the call options that bound a call. */
export interface ExplainOptions {
  /** A call's `deadline`: caps `worstCaseMs`. */
  readonly deadline?: number;
  /** A call's per-attempt `timeout`, overriding the providers' own. */
  readonly timeout?: number;
  /** Explain a `stream()` call: its `firstChunkTimeout` / `idleTimeout` count too. */
  readonly stream?: boolean;
}

/**
 * One layer of a chain. Every built-in (retry, fallback, breaker, limiter, cache, telemetry,
 * events) is one, and a user's layer is a peer of them: `llm.use(middleware)` puts it
 * outermost. Every hook is optional; a layer without hooks passes calls straight through.
 *
 * @example
 * const redact: LLMMiddleware = {
 *   name: 'redact',
 *   transformRequest: (request) => ({
 *     ...request,
 *     messages: request.messages.map((m) => ({ ...m, content: m.content.replace(/\d{3}-\d{2}-\d{4}/g, '[ssn]') })),
 *   }),
 * };
 * const safe = new OpenAILLM('gpt-4o').use(redact).withRetry(3);
 */
export interface LLMMiddleware {
  /** Shown by `describe()`: `name(inner.describe())`. */
  readonly name: string;
  /** Rewrites the request before this layer's `wrapAsk` / `wrapStream` (and before inner layers). */
  transformRequest?(request: LLMRequest, call: CallInfo): LLMRequest | Promise<LLMRequest>;
  /** Wraps `ask()`: call `next` zero (answer yourself), one or several times; `inner` is the LLM `next` calls. */
  wrapAsk?(request: LLMRequest, next: AskNext, call: CallInfo, inner: LLM): Promise<Reply>;
  /** Wraps `stream()`: yield chunks (transformed or not) and return the final reply. */
  wrapStream?(
    request: LLMRequest,
    next: StreamNext,
    call: CallInfo,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined>;
  /** Other LLMs this layer may call through `call.via` (fallbacks, routes): what `healthCheck()` and `Telemetry` walk. */
  readonly routes?: readonly LLM[];
  /** Shared state this layer holds (breakers, limiters, caches): what `healthCheck()` and `getMetrics()` report. */
  readonly guards?: readonly Guard[];
  /** Replaces `name(inner)` in `describe()`, e.g. `retry(openai:gpt-4o ×4)`. */
  describe?(inner: string): string;
  /**
   * This layer's own figures for `explain()`, from `inner` (the explanation of the LLM it wraps)
   * and the routes' explanations; without it, a layer adds nothing but its routes, tried in
   * order after `inner` (as a fallback would).
   */
  explain?(
    inner: ExplainNode,
    routes: readonly ExplainNode[],
    options: ExplainOptions,
  ): Omit<ExplainNode, 'llm'>;
}

import { brand } from '../brand.js';
import type { Meter, Tracer } from '@opentelemetry/api';
import { type FoundGuard, guardState, guardsOf } from '../chain.js';
import type { CallContext } from '../context.js';
import type { LLM, LLMRequest } from '../llm.js';
import type { Provider } from '../types.js';
import { checkInteger, checkOptionKeys, optionNames } from '../validate.js';
import { Counters, countsSnapshot, type OutcomeCounts, type RouteShare, routesSnapshot } from './counters.js';
import { CallSpan, resolveTracer } from './otel.js';
import { CallRecorder } from './recorder.js';
import { checkPrices, CostMeter, type CostMetrics, type PriceTable } from './cost.js';
import { callAttributes, MetricInstruments, resolveMeter } from './instruments.js';

/** Options of a {@link Telemetry}. */
export interface TelemetryOptions {
  /**
   * OpenTelemetry spans: `true` uses the global API's tracer `llm-resilience` (a no-op until
   * the application registers an SDK), or pass a `Tracer`. Off, no span code runs at all.
   * @default false
   */
  readonly tracing?: boolean | Tracer;
  /**
   * How many of the most recent calls `latencyMs.p95` is computed over (memory stays flat).
   * @default 1000
   */
  readonly latencyWindow?: number;
  /**
   * OpenTelemetry metrics (the GenAI conventions' `gen_ai.client.operation.duration` and
   * `gen_ai.client.token.usage`, and `llm_resilience.*` counters): `true` uses the global API's
   * meter `llm-resilience`, taken at the first recorded call (a no-op if the application has not
   * registered a `MeterProvider` by then), or pass a `Meter`. Off, no metric code runs at all.
   * @default false
   */
  readonly metrics?: boolean | Meter;
  /**
   * Prices per million tokens by model, for `getMetrics().cost` and the `gen_ai.usage.cost` span
   * attribute. No built-in list. A reply is priced by its reported model, else the configured
   * model that answered; unpriced models and cache hits cost 0.
   *
   * @example
   * { 'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 }, 'claude-3-5-haiku-latest': { input: 0.8, output: 4 } }
   */
  readonly prices?: PriceTable;
}

/** `metrics` and `prices` are the names the OTel-metrics and cost work (DESIGN §11) adds. */
const TELEMETRY_KEYS = optionNames<TelemetryOptions, 'metrics' | 'prices'>({
  tracing: true,
  latencyWindow: true,
  metrics: true,
  prices: true,
});

/** A breaker or limiter found in an observed chain, with its state at the time of `getMetrics()`. */
export interface GuardReport {
  /** `describe()` of the wrapper holding it. */
  readonly llm: string;
  /** The guard's `name`, if it has one. */
  readonly name?: string;
  /** Its `describeState()`, else its `state` (e.g. `'closed'`). */
  readonly state: unknown;
}

/**
 * What `getMetrics()` returns: a plain, JSON-serialisable snapshot. Calls are counted where
 * `withTelemetry` sits (attach it outermost to count what callers see); attempts, retries,
 * fallbacks and the guards' events come from every layer inside it.
 *
 * @example
 * {
 *   since: '2026-01-01T00:00:00.000Z',
 *   requests: 4, inFlight: 0, successes: 3, failures: 1, cancelled: 0, successRate: 0.75,
 *   latencyMs: { average: 250, p95: 400, max: 400, samples: 4 },
 *   tokens: { input: 30, output: 12, total: 42 },
 *   attempts: 6, retries: 2, fallbacks: 1,
 *   cache: { hits: 1, misses: 3, stale: 0, hitRate: 0.25 },
 *   rateLimit: { waits: 0, waitedMs: 0, rejections: 0 },
 *   circuitBreaker: { blocks: 0, opened: 0 },
 *   byProvider: { openai: { successes: 2, failures: 3 }, anthropic: { successes: 1, failures: 0 } },
 *   byModel: { 'gpt-4o': { successes: 2, failures: 3 }, 'claude-3-5-haiku-latest': { successes: 1, failures: 0 } },
 *   breakers: [{ llm: 'circuit(openai:gpt-4o)', name: 'gpt-4o', state: 'closed' }],
 *   limiters: [],
 * }
 */
export interface TelemetryMetrics {
  /** When counting started (construction or the last `reset()`), ISO 8601. */
  readonly since: string;
  /** Calls started (`ask()` or `stream()` through the observed chain). */
  readonly requests: number;
  readonly inFlight: number;
  /** Calls that returned a reply (cache hits included). */
  readonly successes: number;
  /** Calls that failed: any error but the caller's own abort. */
  readonly failures: number;
  /** Calls the caller aborted, or streams left before their end. Counted in neither rate. */
  readonly cancelled: number;
  /** `successes / (successes + failures)`; `null` before the first finished call. */
  readonly successRate: number | null;
  /**
   * Call latency, start to reply or error (streams: to the end of the stream), in ms.
   * `average` and `max` cover every finished call; `p95` (nearest rank) the last
   * `latencyWindow` of them; `samples` is how many calls `p95` covers.
   */
  readonly latencyMs: {
    readonly average: number | null;
    readonly p95: number | null;
    readonly max: number | null;
    readonly samples: number;
  };
  /** Tokens of successful calls as the providers reported them; cache hits spend none. */
  readonly tokens: { readonly input: number; readonly output: number; readonly total: number };
  /** Requests sent to providers (from the `attempt` events). */
  readonly attempts: number;
  readonly retries: number;
  readonly fallbacks: number;
  /** `route()` calls that started at least one hedged request (`hedge` events). Present once a routed call was seen. */
  readonly hedges?: number;
  /** `route()` calls a hedge answered first (`hedgeWin` events). Present once a routed call was seen. */
  readonly hedgeWins?: number;
  /**
   * `route()` traffic by member (`describe()`): requests sent to it (`routed` events) and its share
   * of all routed requests. Present once a routed call was seen.
   */
  readonly routes?: Readonly<Record<string, RouteShare>>;
  /** Cache lookups; `stale`: expired replies served because the live call failed (each also a miss). */
  readonly cache: {
    readonly hits: number;
    readonly misses: number;
    readonly stale: number;
    readonly hitRate: number | null;
  };
  /** Local rate limiting (`rateLimited` events): calls held back, total time held, calls refused. */
  readonly rateLimit: { readonly waits: number; readonly waitedMs: number; readonly rejections: number };
  /** Calls (or steps of a fallback chain) refused by an open breaker, and how often a breaker opened. */
  readonly circuitBreaker: { readonly blocks: number; readonly opened: number };
  /** Attempt outcomes by provider. */
  readonly byProvider: Readonly<Record<string, OutcomeCounts>>;
  /** Attempt outcomes by model (the configured model name). */
  readonly byModel: Readonly<Record<string, OutcomeCounts>>;
  /** Every circuit breaker in the observed chains, with its current state. */
  readonly breakers: readonly GuardReport[];
  /** Every rate limiter in the observed chains, with its current state. */
  readonly limiters: readonly GuardReport[];
  /** With `prices`: the cost of live replies so far, total and by model. */
  readonly cost?: CostMetrics;
}

/**
 * Metrics (and, if asked, OpenTelemetry spans) for the chains it is attached to with
 * `llm.withTelemetry(telemetry)`. One object may observe several chains; its figures add up.
 * Attaching it finds the chain's circuit breakers and rate limiters, whose state
 * `getMetrics()` then reports.
 *
 * @example
 * const telemetry = new Telemetry({ tracing: true });
 * const llm = new OpenAILLM('gpt-4o').withRetry(3).withFallbacks([backup]).withTelemetry(telemetry);
 * await llm.ask('Hi');
 * console.log(JSON.stringify(telemetry.getMetrics()));
 */
export class Telemetry {
  /** The tracer spans go to; undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  readonly latencyWindow: number;
  /** Whether OpenTelemetry metrics are recorded. */
  readonly metrics: boolean;
  /** The price table, if any. */
  readonly prices: PriceTable | undefined;
  #counters: Counters;
  #cost: CostMeter | undefined;
  readonly #meter: (() => Meter) | undefined;
  #instruments: MetricInstruments | undefined;
  readonly #breakers: FoundGuard[] = [];
  readonly #limiters: FoundGuard[] = [];
  readonly #active = new WeakSet<object>();

  constructor(options: TelemetryOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`telemetry options must be an object, got ${String(options)}`);
    checkOptionKeys('Telemetry options', options, TELEMETRY_KEYS);
    const { tracing, latencyWindow = 1000 } = options;
    checkInteger('latencyWindow', latencyWindow, 1);
    this.tracer = resolveTracer(tracing);
    this.#meter = resolveMeter(options.metrics);
    this.metrics = this.#meter !== undefined;
    this.prices = checkPrices(options.prices);
    this.latencyWindow = latencyWindow;
    this.#counters = new Counters(latencyWindow);
    this.#cost = this.prices && new CostMeter(this.prices);
    Object.freeze(this);
  }

  /** A JSON-serialisable snapshot of every figure; see {@link TelemetryMetrics}. */
  getMetrics(): TelemetryMetrics {
    const c = this.#counters;
    const finished = c.successes + c.failures;
    const lookups = c.cache.hits + c.cache.misses;
    return {
      since: new Date(c.since).toISOString(),
      requests: c.requests,
      inFlight: c.inFlight,
      successes: c.successes,
      failures: c.failures,
      cancelled: c.cancelled,
      successRate: finished === 0 ? null : c.successes / finished,
      latencyMs: c.latency.summary(),
      tokens: { ...c.tokens },
      attempts: c.attempts,
      retries: c.retries,
      fallbacks: c.fallbacks,
      ...(c.routes.size === 0
        ? {}
        : { hedges: c.hedges, hedgeWins: c.hedgeWins, routes: routesSnapshot(c.routes) }),
      cache: { ...c.cache, hitRate: lookups === 0 ? null : c.cache.hits / lookups },
      rateLimit: { ...c.rateLimit },
      circuitBreaker: { ...c.circuitBreaker },
      byProvider: countsSnapshot(c.byProvider),
      byModel: countsSnapshot(c.byModel),
      breakers: this.#breakers.map(report),
      limiters: this.#limiters.map(report),
      ...(this.#cost ? { cost: this.#cost.snapshot() } : {}),
    };
  }

  /** Zeroes every counter (the guards found stay watched). */
  reset(): void {
    this.#counters = new Counters(this.latencyWindow);
    this.#cost = this.prices && new CostMeter(this.prices);
  }

  /** @internal Finds the breakers and limiters of a chain `withTelemetry` is attached to. */
  _watch(llm: LLM): void {
    const found = guardsOf(llm);
    adopt(this.#breakers, found.breakers);
    adopt(this.#limiters, found.limiters);
  }

  /**
   * @internal Starts recording one call through `target`; undefined when this telemetry already
   * records the call (attached twice in one chain), so nothing is counted twice.
   */
  _begin(
    target: { model: string; provider: Provider },
    request: LLMRequest,
    ctx: CallContext,
  ): CallRecorder | undefined {
    // A call's attempt history is one array shared by every layer: it identifies the call.
    if (this.#active.has(ctx.attempts)) return undefined;
    this.#active.add(ctx.attempts);
    const span = this.tracer ? new CallSpan(this.tracer, target, request) : undefined;
    const instruments =
      this.#meter && (this.#instruments ??= new MetricInstruments(this.#meter(), this.#breakers));
    return new CallRecorder({
      counters: this.#counters,
      span,
      metrics: instruments,
      attributes: instruments && callAttributes(target),
      cost: this.#cost,
      onEnd: () => this.#active.delete(ctx.attempts),
    });
  }
}

function adopt(list: FoundGuard[], found: readonly FoundGuard[]): void {
  for (const f of found) if (!list.some((known) => known.guard === f.guard)) list.push(f);
}

function report({ llm, guard }: FoundGuard): GuardReport {
  const { name } = guard as { name?: unknown };
  return { llm, ...(typeof name === 'string' ? { name } : {}), state: guardState(guard) };
}

// Shared on purpose between LLMs: `instanceof Telemetry` holds across copies of the package.
brand(Telemetry, 'Telemetry');

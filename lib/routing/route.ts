import { setImmediate } from 'node:timers';
import { isLLM } from '../brand.js';
import { type CallContext, emit, runCallback } from '../context.js';
import { FallbackError } from '../errors/classes.js';
import { fallsBackByDefault } from '../fallback/wrapper.js';
import type { LLM, MiddlewareLLM } from '../llm.js';
import { sequence } from '../middleware/explain.js';
import { BUILT_IN } from '../middleware/run.js';
import type { AskNext, ExplainNode, LLMMiddleware, LLMRequest, StreamNext } from '../middleware/types.js';
import { raceAbort } from '../sleep.js';
import { RESET } from '../stream.js';
import type { Reply, StreamChunk } from '../types.js';
import { describeValue } from '../validate.js';
import { isRefusal, openCircuitCheck } from './circuits.js';
import { HedgeBudget } from './budget.js';
import { askLeg, discardLeg, type MemberBook, openLeg, type OpenedStream, relayLeg } from './legs.js';
import { type ResolvedRouteOptions, resolveRouteOptions, type RouteOptions } from './options.js';
import { type Leg, race, type RacePlan, type RaceWin } from './race.js';
import { select, type Selection } from './select.js';
import { type LatencyMode, MemberStats } from './stats.js';
import { strategyOrder } from './strategies.js';

/**
 * One LLM over several interchangeable ones: each call goes to the member the `strategy` picks,
 * moves on to the next in the strategy's order when it fails (the fallback rules: a
 * `fallbackCondition`, `onFallback`, and a `FallbackError` when all failed), skips members whose
 * circuits are open without a request, and with `hedge` races a slow member against the next.
 * Stats are per process: each process routes on what it sees. It is `llms[0]` with a
 * {@link RouteMiddleware} over the others: `llms[0].use(router(llms.slice(1), options))`.
 *
 * @example
 * const llm = route([new OpenAILLM('gpt-4o'), new AnthropicLLM('claude-sonnet-4-5')], {
 *   strategy: 'latency',
 *   hedge: { after: 'p95' },
 * }).withRetry(2);
 */
export function route(llms: readonly LLM[], options: RouteOptions = {}): MiddlewareLLM<RouteMiddleware> {
  if (!Array.isArray(llms) || llms.length === 0)
    throw new TypeError(`\`llms\` must be a non-empty array of LLMs, got ${describeValue(llms)}`);
  llms.forEach((llm, i) => {
    if (!isLLM(llm)) throw new TypeError(`\`llms[${i}]\` must be an LLM, got ${describeValue(llm)}`);
  });
  return llms[0]!.use(new RouteMiddleware(llms.slice(1), options));
}

/**
 * `router(routes, options)`: the middleware `route()` puts on its first member. Its members are
 * the LLM it is attached to (`inner`), then `routes`; their stats live as long as it does, by
 * place (attach one router to one LLM: two would share the first place's figures).
 *
 * @example
 * primary.use(router([backup], { strategy: 'success-rate' })); // = route([primary, backup], …)
 */
export function router(routes: readonly LLM[], options?: RouteOptions): RouteMiddleware {
  return new RouteMiddleware(routes, options);
}

/** Members of one attachment: the inner LLM, then the routes, and how to tell each one's circuits are open. */
interface Members {
  readonly llms: readonly LLM[];
  readonly open: readonly (() => boolean)[];
}

/** The middleware of `route()` / `router()`; see {@link route}. */
export class RouteMiddleware implements LLMMiddleware {
  readonly name = 'route';
  /** The members after the inner LLM (what `healthCheck()` and `Telemetry` walk). */
  readonly routes: readonly LLM[];
  readonly options: ResolvedRouteOptions;
  /** @internal */
  readonly [BUILT_IN] = true;
  readonly #stats: readonly MemberStats[];
  readonly #books: readonly MemberBook[];
  readonly #members = new WeakMap<LLM, Members>();
  readonly #turns = { count: 0 };
  readonly #budget: HedgeBudget | undefined;

  constructor(routes: readonly LLM[], options: RouteOptions = {}) {
    if (!Array.isArray(routes))
      throw new TypeError(`\`routes\` must be an array of LLMs, got ${describeValue(routes)}`);
    routes.forEach((llm, i) => {
      if (!isLLM(llm)) throw new TypeError(`\`llms[${i + 1}]\` must be an LLM, got ${describeValue(llm)}`);
    });
    this.routes = Object.freeze([...routes]);
    this.options = resolveRouteOptions(options, routes.length + 1);
    const { window, now } = this.options;
    const counts = (error: unknown): boolean => !isRefusal(error) && this.#condition(error);
    this.#stats = Object.freeze(
      Array.from({ length: routes.length + 1 }, () => new MemberStats(window, now)),
    );
    this.#books = Object.freeze(this.#stats.map((stats) => ({ stats, now, counts })));
    const { hedge } = this.options;
    this.#budget = hedge === undefined ? undefined : new HedgeBudget(hedge.budget, window, now);
    Object.freeze(this);
  }

  describe(inner: string): string {
    const { strategy, hedge } = this.options;
    const how = [
      strategy,
      ...(hedge ? [`hedge ${hedge.after === 'p95' ? 'p95' : `${hedge.after} ms`}`] : []),
    ];
    return `route[${how.join(', ')}](${[inner, ...this.routes.map((llm) => llm.describe())].join(', ')})`;
  }

  /**
   * Every member is tried at most once: the most requests is the members' sum. Hedging starts
   * them sooner (at most `1 + maxExtra` at once), never more of them; the longest is, as for a
   * fallback chain, the members' times one after the other.
   */
  explain(inner: ExplainNode, routes: readonly ExplainNode[]): Omit<ExplainNode, 'llm'> {
    const { hedge } = this.options;
    const figures = sequence([inner, ...routes]);
    const members = routes.length + 1;
    const parallel = hedge
      ? `; hedged: at most ${Math.min(members, 1 + hedge.maxExtra)} in flight at once`
      : '';
    return { ...figures, formula: `${members} members, each tried at most once${parallel}` };
  }

  /** Each member's recent figures in this process (the inner LLM first), for reports and tests. */
  memberStats(): readonly MemberReport[] {
    const minSamples = this.options.hedge?.minSamples ?? 20;
    return this.#stats.map((s, i) => ({
      member: i,
      requests: s.requests,
      inFlight: s.inFlight,
      successRate: s.successRate() ?? null,
      latencyMs: { ask: s.meanLatency('ask') ?? null, stream: s.meanLatency('stream') ?? null },
      p95Ms: { ask: s.p95('ask', minSamples) ?? null, stream: s.p95('stream', minSamples) ?? null },
    }));
  }

  async wrapAsk(request: LLMRequest, _next: AskNext, ctx: CallContext, inner: LLM): Promise<Reply> {
    const { llms, open } = this.#membersOf(inner);
    const plan = this.#plan<Reply>(
      ctx,
      'ask',
      llms,
      open,
      (leg) =>
        askLeg(this.#books[leg.member]!, leg, (signal) =>
          ctx.via(llms[leg.member]!, { signal }).ask(request),
        ),
      () => {},
    );
    const win = await race(plan);
    win.leg.release();
    this.#won(ctx, llms, win);
    // The losers were aborted: let their attempts land in the history before the caller reads it.
    await settledSoon(win.losers);
    return win.value;
  }

  async *wrapStream(
    request: LLMRequest,
    _next: StreamNext,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const { llms, open } = this.#membersOf(inner);
    let plan = this.#plan<OpenedStream>(
      ctx,
      'stream',
      llms,
      open,
      (leg) =>
        openLeg(this.#books[leg.member]!, leg, (signal) =>
          ctx.via(llms[leg.member]!, { signal }).stream(request),
        ),
      (opened, leg) => discardLeg(this.#books[leg.member]!, leg, opened),
    );
    // Errors of earlier races of this call (with `onInterrupt: 'restart'`), for its FallbackError.
    const earlier: unknown[] = [];
    for (;;) {
      const win = await race(plan);
      this.#won(ctx, llms, win);
      try {
        return yield* relayLeg(this.#books[win.leg.member]!, win.leg, win.value);
      } catch (error) {
        // Cut after the caller saw a chunk: the rest of the members, as a fallback chain would.
        if (this.options.onInterrupt !== 'restart' || ctx.signal?.aborted || !this.#condition(error))
          throw error;
        earlier.push(...win.errors, error);
        const left = plan.order.slice(win.started);
        if (left.length === 0) throw new FallbackError(earlier, [...ctx.attempts]);
        await plan.beforeNext(error, win.leg.member, left[0]!);
        const before = [...earlier];
        plan = {
          ...plan,
          order: left,
          hedgeable: Math.max(0, plan.hedgeable - win.started),
          exhausted: (errors) => new FallbackError([...before, ...errors], [...ctx.attempts]),
        };
      }
      yield RESET;
    }
  }

  #membersOf(inner: LLM): Members {
    let members = this.#members.get(inner);
    if (members === undefined) {
      const llms = Object.freeze([inner, ...this.routes]);
      members = { llms, open: Object.freeze(llms.map(openCircuitCheck)) };
      this.#members.set(inner, members);
    }
    return members;
  }

  /** The race of one call: the members in order, and what happens at each step. */
  #plan<T>(
    ctx: CallContext,
    mode: LatencyMode,
    llms: readonly LLM[],
    open: Members['open'],
    start: (leg: Leg) => Promise<T>,
    discard: RacePlan<T>['discard'],
  ): RacePlan<T> {
    const { order, explored, available } = this.#order(mode, open);
    const { hedge } = this.options;
    const name = (i: number): string => llms[i]!.describe();
    const budget = this.#budget;
    budget?.call();
    return {
      order,
      signal: ctx.signal,
      maxExtra: hedge?.maxExtra ?? 0,
      hedgeable: available,
      hedgeAfter: (member) =>
        hedge === undefined
          ? undefined
          : hedge.after === 'p95'
            ? this.#stats[member]!.p95(mode, hedge.minSamples)
            : hedge.after,
      start: (leg) => {
        const reason =
          leg.kind === 'first' && leg.member === explored
            ? 'explore'
            : leg.kind === 'first'
              ? 'pick'
              : leg.kind;
        emit(ctx, 'routed', { member: name(leg.member), reason });
        return start(leg);
      },
      verdict: (error) => (isRefusal(error) ? 'skip' : this.#condition(error) ? 'next' : 'stop'),
      beforeNext: async (error, from, to) => {
        emit(ctx, 'fallback', { error, from: name(from), to: name(to) });
        const onFallback = this.options.onFallback;
        if (onFallback)
          await raceAbort(
            runCallback(ctx, 'onFallback', () => onFallback(error, llms[to]!)),
            ctx.signal,
          );
      },
      admitHedge: () => budget?.spend() ?? false,
      hedged: (from, to, afterMs) => emit(ctx, 'hedge', { from: name(from), to: name(to), afterMs }),
      exhausted: (errors) => new FallbackError(errors, [...ctx.attempts]),
      discard,
    };
  }

  /** The strategy's order for this call, open circuits last, with `explore`. */
  #order(mode: LatencyMode, open: Members['open']): Selection {
    const { strategy, weights, random, explore } = this.options;
    const order = strategyOrder({
      strategy,
      stats: this.#stats,
      mode,
      weights,
      random,
      turn: this.#turns.count++,
    });
    const explores = strategy === 'latency' || strategy === 'success-rate';
    return select(order, { skipped: (i) => open[i]!(), explore: explores ? explore : 0, random });
  }

  #won(ctx: CallContext, llms: readonly LLM[], win: RaceWin<unknown>): void {
    if (win.leg.kind !== 'hedge') return;
    emit(ctx, 'hedgeWin', { winner: llms[win.leg.member]!.describe() });
  }

  #condition(error: unknown): boolean {
    return (this.options.fallbackCondition ?? fallsBackByDefault)(error);
  }
}

/** A member's figures in {@link RouteMiddleware.memberStats}. */
export interface MemberReport {
  /** Its place among the members: 0 is the LLM the router is attached to (`llms[0]` of `route()`). */
  readonly member: number;
  /** Requests sent to it since the route was built. */
  readonly requests: number;
  readonly inFlight: number;
  /** Share of its recent requests that succeeded; `null` without recent data. */
  readonly successRate: number | null;
  /** Recent mean latency, to the answer (`ask`) and to the first chunk (`stream`); `null` without data. */
  readonly latencyMs: { readonly ask: number | null; readonly stream: number | null };
  /** Recent p95 latency, as `hedge: { after: 'p95' }` uses it; `null` below `minSamples` samples. */
  readonly p95Ms: { readonly ask: number | null; readonly stream: number | null };
}

/**
 * Waits for aborted legs to settle, but never longer than one turn of the event loop (Node's own
 * `setImmediate`, which fake timers leave alone: a member that ignores its signal never holds the answer).
 */
function settledSoon(losers: readonly Promise<unknown>[]): Promise<unknown> {
  if (losers.length === 0) return Promise.resolve();
  return Promise.race([Promise.all(losers), new Promise((resolve) => setImmediate(resolve))]);
}

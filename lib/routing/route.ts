import { setImmediate } from 'node:timers';
import { type CallContext, emit, runCallback } from '../context.js';
import { FallbackError } from '../errors/classes.js';
import { fallsBackByDefault } from '../fallback/wrapper.js';
import { describeValue, LLM, type LLMRequest } from '../llm.js';
import { raceAbort } from '../sleep.js';
import type { Provider, Reply, StreamChunk } from '../types.js';
import { isRefusal, openCircuitCheck } from './circuits.js';
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
 * Stats are per process: each process routes on what it sees.
 *
 * @example
 * const llm = route([new OpenAILLM('gpt-4o'), new AnthropicLLM('claude-sonnet-4-5')], {
 *   strategy: 'latency',
 *   hedge: { after: 'p95' },
 * }).withRetry(2);
 */
export function route(llms: readonly LLM[], options: RouteOptions = {}): LLM {
  return new RouteLLM(llms, options);
}

/** `route()`'s LLM. Its members are `routes`; their stats live as long as it does. */
export class RouteLLM extends LLM {
  /** The members, in the order given. */
  readonly routes: readonly LLM[];
  readonly options: ResolvedRouteOptions;
  readonly #stats: readonly MemberStats[];
  readonly #open: readonly (() => boolean)[];
  readonly #books: readonly MemberBook[];
  readonly #turns = { count: 0 };

  constructor(llms: readonly LLM[], options: RouteOptions = {}) {
    super();
    if (!Array.isArray(llms) || llms.length === 0)
      throw new TypeError(`\`llms\` must be a non-empty array of LLMs, got ${describeValue(llms)}`);
    llms.forEach((llm, i) => {
      if (!(llm instanceof LLM))
        throw new TypeError(`\`llms[${i}]\` must be an LLM, got ${describeValue(llm)}`);
    });
    this.routes = Object.freeze([...llms]);
    this.options = resolveRouteOptions(options, llms.length);
    const { window, now } = this.options;
    const counts = (error: unknown): boolean => !isRefusal(error) && this.#condition(error);
    this.#stats = Object.freeze(llms.map(() => new MemberStats(window, now)));
    this.#books = Object.freeze(this.#stats.map((stats) => ({ stats, now, counts })));
    this.#open = Object.freeze(llms.map(openCircuitCheck));
    Object.freeze(this);
  }

  get model(): string {
    return this.routes[0]!.model;
  }

  get provider(): Provider {
    return this.routes[0]!.provider;
  }

  describe(): string {
    const { strategy, hedge } = this.options;
    const how = [
      strategy,
      ...(hedge ? [`hedge ${hedge.after === 'p95' ? 'p95' : `${hedge.after} ms`}`] : []),
    ];
    return `route[${how.join(', ')}](${this.routes.map((llm) => llm.describe()).join(', ')})`;
  }

  /** Each member's recent figures in this process, for reports and tests. */
  memberStats(): readonly MemberReport[] {
    return this.routes.map((llm, i) => {
      const s = this.#stats[i]!;
      return {
        llm: llm.describe(),
        requests: s.requests,
        inFlight: s.inFlight,
        successRate: s.successRate() ?? null,
        latencyMs: { ask: s.meanLatency('ask') ?? null, stream: s.meanLatency('stream') ?? null },
      };
    });
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const plan = this.#plan<Reply>(ctx, 'ask', (leg) =>
      askLeg(this.#books[leg.member]!, leg, (signal) =>
        this.routes[leg.member]!._ask(request, { ...ctx, signal }),
      ),
    );
    const win = await race({ ...plan, discard: () => {} });
    this.#won(ctx, win);
    // The losers were aborted: let their attempts land in the history before the caller reads it.
    await settledSoon(win.losers);
    return win.value;
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const plan = this.#plan<OpenedStream>(ctx, 'stream', (leg) =>
      openLeg(this.#books[leg.member]!, leg, (signal) =>
        this.routes[leg.member]!._stream(request, { ...ctx, signal }),
      ),
    );
    const win = await race({
      ...plan,
      discard: (opened, leg) => discardLeg(this.#books[leg.member]!, leg, opened),
    });
    this.#won(ctx, win);
    return yield* relayLeg(this.#books[win.leg.member]!, win.leg, win.value);
  }

  /** The race of one call: the members in order, and what happens at each step. */
  #plan<T>(
    ctx: CallContext,
    mode: LatencyMode,
    start: (leg: Leg) => Promise<T>,
  ): Omit<RacePlan<T>, 'discard'> {
    const { order, explored, available } = this.#order(mode);
    const { hedge } = this.options;
    const name = (i: number): string => this.routes[i]!.describe();
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
            runCallback(ctx, 'onFallback', () => onFallback(error, this.routes[to]!)),
            ctx.signal,
          );
      },
      hedged: (from, to, afterMs) => emit(ctx, 'hedge', { from: name(from), to: name(to), afterMs }),
      exhausted: (errors) => new FallbackError(errors, [...ctx.attempts]),
    };
  }

  /** The strategy's order for this call, open circuits last, with `explore`. */
  #order(mode: LatencyMode): Selection {
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
    return select(order, { skipped: (i) => this.#open[i]!(), explore: explores ? explore : 0, random });
  }

  #won(ctx: CallContext, win: RaceWin<unknown>): void {
    if (win.leg.kind !== 'hedge') return;
    emit(ctx, 'hedgeWin', { winner: this.routes[win.leg.member]!.describe() });
  }

  #condition(error: unknown): boolean {
    return (this.options.fallbackCondition ?? fallsBackByDefault)(error);
  }
}

/** A member's figures in {@link RouteLLM.memberStats}. */
export interface MemberReport {
  /** `describe()` of the member. */
  readonly llm: string;
  /** Requests sent to it since the route was built. */
  readonly requests: number;
  readonly inFlight: number;
  /** Share of its recent requests that succeeded; `null` without recent data. */
  readonly successRate: number | null;
  /** Recent mean latency, to the answer (`ask`) and to the first chunk (`stream`); `null` without data. */
  readonly latencyMs: { readonly ask: number | null; readonly stream: number | null };
}

/**
 * Waits for aborted legs to settle, but never longer than one turn of the event loop (Node's own
 * `setImmediate`, which fake timers leave alone: a member that ignores its signal never holds the answer).
 */
function settledSoon(losers: readonly Promise<unknown>[]): Promise<unknown> {
  if (losers.length === 0) return Promise.resolve();
  return Promise.race([Promise.all(losers), new Promise((resolve) => setImmediate(resolve))]);
}

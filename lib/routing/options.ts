import type { LLM } from '../llm.js';
import { checkInterrupt, type InterruptMode } from '../stream.js';
import { checkFunction, checkInteger, checkNumber, checkOptionKeys, optionNames } from '../validate.js';

/**
 * How `route()` picks the member a call goes to first; the others follow in the strategy's
 * order when it fails.
 *
 * - `'priority'`: the members in the order given (the first healthy one).
 * - `'round-robin'`: each call starts one member further along.
 * - `'weighted'`: drawn at random in proportion to `weights`.
 * - `'least-busy'`: the fewest calls in flight (ties drawn at random).
 * - `'latency'`: the lowest recent mean latency (to the answer for `ask`, to the first chunk for `stream`).
 * - `'success-rate'`: the highest recent share of successful requests (a member without recent
 *   requests counts as healthy).
 */
export type RouteStrategy =
  'priority' | 'round-robin' | 'weighted' | 'least-busy' | 'latency' | 'success-rate';

/** The strategies, for validation and docs. */
export const STRATEGIES: readonly RouteStrategy[] = Object.freeze([
  'priority',
  'round-robin',
  'weighted',
  'least-busy',
  'latency',
  'success-rate',
]);

/**
 * Hedged requests: when the member a call went to has not answered (`ask`) or sent its first
 * chunk (`stream`) `after` ms from the call's start, the next member starts in parallel; the
 * first to answer wins and the others are aborted at once.
 *
 * @example
 * route([primary, backup], { hedge: { after: 'p95' } });
 * route([a, b, c], { hedge: { after: 800, maxExtra: 2 } });
 */
export interface HedgeOptions {
  /**
   * Ms to wait before the next member starts, from the call's start (and for a second hedge,
   * from the first hedge's start). `'p95'`: the waiting member's recent p95 of the same measure
   * (a request its hedge overtook counts as a lower bound: how long it ran); with fewer than
   * `minSamples` recent samples the call is not hedged.
   */
  readonly after: number | 'p95';
  /** The most extra requests one call may start in parallel. @default 1 */
  readonly maxExtra?: number;
  /** With `after: 'p95'`: recent samples a member needs before its p95 is used. @default 20 */
  readonly minSamples?: number;
  /**
   * The hedge budget: the most hedges the router starts, as a share (0–1) of the calls it started
   * over the stats `window`, with an allowance of 3 hedges per window a cold router can always use.
   * A hedge the budget denies does not start (the call keeps waiting on its request). `1` turns
   * the budget off.
   * @default 0.05
   */
  readonly budget?: number;
}

/**
 * Options of `route()`.
 *
 * @example
 * route([gpt, claude], { strategy: 'latency', window: 30_000, hedge: { after: 'p95' } });
 */
export interface RouteOptions {
  /** How the first member of each call is picked. @default 'priority' */
  readonly strategy?: RouteStrategy;
  /** `'weighted'`: one non-negative weight per member, aligned with `llms`. */
  readonly weights?: readonly number[];
  /** The sliding window of the stats `'latency'`, `'success-rate'` and `hedge: { after: 'p95' }` use, in ms. @default 60_000 */
  readonly window?: number;
  /**
   * `'latency'` and `'success-rate'`: the share of calls (0–1) sent to a member other than the
   * strategy's pick, chosen at random, so a member with no recent data (a recovered one) is tried
   * and wins its traffic back. `0` turns it off.
   * @default 0.05
   */
  readonly explore?: number;
  /** Hedged requests; off unless given. */
  readonly hedge?: HedgeOptions;
  /** Replaces the default: move on after every `LLMError` but `ContentFilterError`. */
  readonly fallbackCondition?: (error: unknown) => boolean;
  /** Called with exactly what the failed member threw, before `next` is tried. May be async. */
  readonly onFallback?: (error: unknown, next: LLM) => unknown;
  /**
   * A stream cut after its first chunk reached the caller: `'error'` ends it with
   * `StreamInterruptedError`; `'restart'` goes on with the next member not yet tried in this call
   * (under `fallbackCondition` and `onFallback`), yielding `{ type: 'reset' }` first so the
   * consumer can discard what it showed — as `withFallbacks` does.
   * @default 'error'
   */
  readonly onInterrupt?: InterruptMode;
  /** Uniform random numbers in [0, 1), for `weighted`, `least-busy` ties and `explore`. @default Math.random */
  readonly random?: () => number;
  /** A monotonic clock in ms, for the stats window and latencies. @default performance.now */
  readonly now?: () => number;
}

/** `RouteOptions` with every default filled in, frozen. */
export interface ResolvedRouteOptions {
  readonly strategy: RouteStrategy;
  readonly weights: readonly number[] | undefined;
  readonly window: number;
  readonly explore: number;
  readonly hedge: Required<HedgeOptions> | undefined;
  readonly fallbackCondition: ((error: unknown) => boolean) | undefined;
  readonly onFallback: RouteOptions['onFallback'];
  readonly onInterrupt: InterruptMode;
  readonly random: () => number;
  readonly now: () => number;
}

const ROUTE_KEYS = optionNames<RouteOptions>({
  strategy: true,
  weights: true,
  window: true,
  explore: true,
  hedge: true,
  fallbackCondition: true,
  onFallback: true,
  onInterrupt: true,
  random: true,
  now: true,
});

const HEDGE_KEYS = optionNames<HedgeOptions>({
  after: true,
  maxExtra: true,
  minSamples: true,
  budget: true,
});

/** Checks `options` for `members` LLMs and fills the defaults; throws `TypeError`/`RangeError` naming the option. */
export function resolveRouteOptions(options: RouteOptions, members: number): ResolvedRouteOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`route options must be an object, got ${String(options)}`);
  checkOptionKeys('`route` options', options, ROUTE_KEYS);
  const { strategy = 'priority', weights, window = 60_000, explore = 0.05, hedge } = options;
  if (!STRATEGIES.includes(strategy))
    throw new TypeError(
      `\`strategy\` must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`,
    );
  checkNumber('window', window, 1);
  checkNumber('explore', explore, 0);
  if (explore > 1) throw new RangeError(`\`explore\` must be a share between 0 and 1, got ${explore}`);
  checkFunction('fallbackCondition', options.fallbackCondition);
  checkFunction('onFallback', options.onFallback);
  checkFunction('random', options.random);
  checkFunction('now', options.now);
  return Object.freeze({
    strategy,
    weights: checkWeights(strategy, weights, members),
    window,
    explore,
    hedge: hedge === undefined ? undefined : resolveHedge(hedge),
    fallbackCondition: options.fallbackCondition,
    onFallback: options.onFallback,
    onInterrupt: checkInterrupt(options.onInterrupt),
    random: options.random ?? Math.random,
    now: options.now ?? (() => performance.now()),
  });
}

function checkWeights(
  strategy: RouteStrategy,
  weights: unknown,
  members: number,
): readonly number[] | undefined {
  if (weights === undefined) {
    if (strategy === 'weighted') throw new TypeError('`weights` is required with `strategy: "weighted"`');
    return undefined;
  }
  if (strategy !== 'weighted')
    throw new TypeError(
      `\`weights\` applies only to \`strategy: "weighted"\`, got strategy ${JSON.stringify(strategy)}`,
    );
  if (!Array.isArray(weights) || weights.length !== members)
    throw new TypeError(
      `\`weights\` must be an array of ${members} numbers (one per LLM), got ${String(weights)}`,
    );
  weights.forEach((w, i) => checkNumber(`weights[${i}]`, w, 0));
  if (!weights.some((w: number) => w > 0))
    throw new RangeError('`weights` must have at least one weight > 0');
  return Object.freeze([...(weights as number[])]);
}

function resolveHedge(hedge: HedgeOptions): Required<HedgeOptions> {
  if (typeof hedge !== 'object' || hedge === null)
    throw new TypeError(`\`hedge\` must be an object ({ after, maxExtra? }), got ${String(hedge)}`);
  checkOptionKeys('`route` option `hedge`', hedge, HEDGE_KEYS);
  const { after, maxExtra = 1, minSamples = 20, budget = 0.05 } = hedge;
  if (after !== 'p95') {
    if (typeof after !== 'number')
      throw new TypeError(`\`hedge.after\` must be a number of ms or 'p95', got ${JSON.stringify(after)}`);
    checkNumber('hedge.after', after, 0);
  }
  checkInteger('hedge.maxExtra', maxExtra, 1);
  checkInteger('hedge.minSamples', minSamples, 1);
  checkNumber('hedge.budget', budget, 0);
  if (budget > 1) throw new RangeError(`\`hedge.budget\` must be a share between 0 and 1, got ${budget}`);
  return Object.freeze({ after, maxExtra, minSamples, budget });
}

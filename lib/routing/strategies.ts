import type { RouteStrategy } from './options.js';
import type { LatencyMode, MemberStats } from './stats.js';

/** What a strategy may look at to order the members of one call. */
export interface StrategyInput {
  readonly strategy: RouteStrategy;
  readonly stats: readonly MemberStats[];
  /** `ask` or `stream`: which latency `'latency'` compares. */
  readonly mode: LatencyMode;
  readonly weights: readonly number[] | undefined;
  readonly random: () => number;
  /** `'round-robin'`: how many calls the route has ordered before this one. */
  readonly turn: number;
}

/**
 * The members of one call in the strategy's order (indices into the route's members): the
 * first is the strategy's pick, the rest are who a failure moves on to. A pure function of its
 * input; `random` is drawn only by `'weighted'` and by `'least-busy'` ties.
 */
export function strategyOrder(input: StrategyInput): number[] {
  const n = input.stats.length;
  switch (input.strategy) {
    case 'priority':
      return indices(n);
    case 'round-robin':
      return indices(n).map((i) => (i + input.turn) % n);
    case 'weighted':
      return weightedOrder(input.weights!, input.random);
    case 'least-busy':
      return shuffle(indices(n), input.random).sort(
        (a, b) => input.stats[a]!.inFlight - input.stats[b]!.inFlight,
      );
    case 'latency':
      return rankKnownFirst(input.stats, (s) => s.meanLatency(input.mode), 'ascending');
    case 'success-rate':
      // A member without recent outcomes is presumed healthy (ties keep the given order).
      return rankKnownFirst(input.stats, (s) => s.successRate() ?? 1, 'descending');
  }
}

/**
 * Members with a recent figure first, best first (ties keep the given order), then those without
 * recent data in the given order: an unknown member is reached by failover or `explore`.
 */
function rankKnownFirst(
  stats: readonly MemberStats[],
  figure: (s: MemberStats) => number | undefined,
  direction: 'ascending' | 'descending',
): number[] {
  const sign = direction === 'ascending' ? 1 : -1;
  const known: { i: number; v: number }[] = [];
  const unknown: number[] = [];
  stats.forEach((s, i) => {
    const v = figure(s);
    if (v === undefined) unknown.push(i);
    else known.push({ i, v });
  });
  known.sort((a, b) => sign * (a.v - b.v) || a.i - b.i);
  return [...known.map((k) => k.i), ...unknown];
}

/** Weighted sampling without replacement: each place is drawn in proportion to the weights left. Weight 0 comes last. */
function weightedOrder(weights: readonly number[], random: () => number): number[] {
  const left = indices(weights.length).filter((i) => weights[i]! > 0);
  const order: number[] = [];
  let total = left.reduce((sum, i) => sum + weights[i]!, 0);
  while (left.length > 0) {
    let u = random() * total;
    let k = 0;
    while (k < left.length - 1 && u >= weights[left[k]!]!) u -= weights[left[k++]!]!;
    const [picked] = left.splice(k, 1);
    order.push(picked!);
    total -= weights[picked!]!;
  }
  for (let i = 0; i < weights.length; i++) if (weights[i] === 0) order.push(i);
  return order;
}

function shuffle(items: number[], random: () => number): number[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
